"""Runs one trainer task in its own process (QProcess) with live progress and Cancel.

The window stays responsive (nothing runs on the UI thread), a trainer crash is reported,
not fatal, and Cancel stops the process at once; the trainer writes its results
atomically, so a cancelled run leaves the previous models and calibration in place.
"""

from __future__ import annotations

from PySide6.QtCore import QProcess, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from albumtag.app.training import parse_progress
from albumtag.cli_progress import format_duration


class TrainerDialog(QDialog):
    """Runs ``command`` (``albumtag.app.training``); ``finished_ok`` is emitted when the task
    ended successfully, ``finished_failed`` when it failed or was cancelled."""

    finished_ok = Signal()
    finished_failed = Signal()

    def __init__(self, title: str, command: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(520)
        self.message = QLabel("Starting…")
        self.message.setWordWrap(True)
        self.message.setMinimumHeight(2 * self.message.fontMetrics().height())
        self.bar = QProgressBar()
        self.bar.setRange(0, 0)  # busy until the first progress line
        self.log = QPlainTextEdit(readOnly=True)
        self.log.setMaximumBlockCount(500)
        self.log.hide()  # shown once the trainer has something to say besides progress
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for widget in (self.message, self.bar, self.log, self.buttons):
            layout.addWidget(widget)
        self.process = QProcess(self)
        self.process.readyReadStandardOutput.connect(self._read_output)
        self.process.readyReadStandardError.connect(self._read_errors)
        self.process.finished.connect(self._on_finished)
        self.process.errorOccurred.connect(self._on_error)
        program, *arguments = command
        self.process.start(program, arguments)

    @property
    def running(self) -> bool:
        return self.process.state() != QProcess.ProcessState.NotRunning

    def _read_output(self) -> None:
        for line in bytes(self.process.readAllStandardOutput()).decode(errors="replace").splitlines():
            progress = parse_progress(line)
            if progress is None:
                self._append(line)
                continue
            self.bar.setRange(0, progress.total)
            self.bar.setValue(progress.step)
            eta = f" — about {format_duration(progress.eta_s)} left" if progress.eta_s else ""
            self.message.setText(f"{progress.message} (step {progress.step:,} of {progress.total:,}){eta}")

    def _read_errors(self) -> None:
        self._append(bytes(self.process.readAllStandardError()).decode(errors="replace").rstrip())

    def _append(self, text: str) -> None:
        if text.strip():
            self.log.show()
            self.log.appendPlainText(text)

    def _on_finished(self, code: int, status: QProcess.ExitStatus) -> None:
        self._read_output()
        self._read_errors()
        self.buttons.setStandardButtons(QDialogButtonBox.StandardButton.Close)
        self.adjustSize()
        if status == QProcess.ExitStatus.NormalExit and code == 0:
            self.bar.setRange(0, 1)
            self.bar.setValue(1)
            self.finished_ok.emit()
        else:
            self.message.setText(f"Stopped (exit code {code}); nothing was changed. Details below.")
            self.finished_failed.emit()

    def _on_error(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart:
            self.message.setText(f"The trainer could not start: {self.process.errorString()}")
            self.buttons.setStandardButtons(QDialogButtonBox.StandardButton.Close)
            self.finished_failed.emit()

    def reject(self) -> None:
        """Cancel (or Close): stop a running task first, and wait for it to end."""
        if self.running:
            self.process.kill()
            self.process.waitForFinished(5000)
        super().reject()
