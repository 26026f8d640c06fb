"""Status-bar panel for long work: what runs, a bar with counts and ETA, Cancel, and for the
import's background pass Pause, then Resume."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from albumtag.app.progress import Progress
from albumtag.cli_progress import format_duration
from albumtag.gui.text import plural


def progress_text(progress: Progress) -> str:
    if progress.total is None:
        return f"{progress.label}… {progress.done} files"
    label = f"{progress.label} (in the background; people are shown already)" if progress.background \
        else progress.label
    text = f"{label}: {progress.done} of {progress.total}"
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
        self.pause_button = QPushButton("Pause")
        self.pause_button.setToolTip("Stop the background pass after the current photos; Resume carries on")
        self.resume_button = QPushButton("Resume")
        self.cancel_button = QPushButton("Cancel")
        for widget in (self.label, self.bar, self.pause_button, self.resume_button, self.cancel_button):
            layout.addWidget(widget)
        self.setVisible(False)

    def show_progress(self, progress: Progress) -> None:
        self.setVisible(True)
        self.bar.setVisible(True)
        self.cancel_button.setVisible(True)
        self.pause_button.setVisible(progress.background)
        self.resume_button.setVisible(False)
        self.label.setText(progress_text(progress))
        if progress.total:
            self.bar.setRange(0, progress.total)
            self.bar.setValue(progress.done)
        else:
            self.bar.setRange(0, 0)  # busy indicator while the total is unknown

    def show_paused(self, photos_left: int) -> None:
        """Nothing runs, and the background pass has ``photos_left`` photos still to do."""
        self.setVisible(True)
        self.label.setText(f"Finding people paused: {plural(photos_left, 'photo')} left")
        for widget in (self.bar, self.pause_button, self.cancel_button):
            widget.setVisible(False)
        self.resume_button.setVisible(True)
