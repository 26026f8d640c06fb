"""Status-bar panel for long work: what runs, a bar with counts and ETA, and Cancel."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from albumtag.app.progress import Progress
from albumtag.cli_progress import format_duration


def progress_text(progress: Progress) -> str:
    if progress.total is None:
        return f"{progress.label}… {progress.done} files"
    text = f"{progress.label}: {progress.done} of {progress.total}"
    if progress.failed:
        text += f", {progress.failed} with errors"
    if progress.eta_s is not None and progress.done < progress.total:
        text += f" — about {format_duration(progress.eta_s)} left"
    return text


class ProgressPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.label = QLabel()
        self.bar = QProgressBar()
        self.bar.setFixedWidth(220)
        self.cancel_button = QPushButton("Cancel")
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        layout.addWidget(self.cancel_button)
        self.setVisible(False)

    def show_progress(self, progress: Progress) -> None:
        self.setVisible(True)
        self.label.setText(progress_text(progress))
        if progress.total:
            self.bar.setRange(0, progress.total)
            self.bar.setValue(progress.done)
        else:
            self.bar.setRange(0, 0)  # busy indicator while the total is unknown
