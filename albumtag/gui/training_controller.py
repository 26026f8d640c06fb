"""The Models menu: personalise recognition, train models, go back to the previous models.

Every task runs the bundled trainer in its own process (``TrainerDialog``, QProcess), so the
window stays responsive and Cancel stops it at once. Training writes a new model version
beside the bundled models (``albumtag.runtime.model_store``) and it is used only once the
trainer succeeded; the library's features are then refreshed in the background by a rescan,
since each import stage's version names the models it ran.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QInputDialog, QMainWindow, QMessageBox

from albumtag.app.training import (
    TRAINABLE,
    TrainingRun,
    finish_training,
    personalise_command,
    start_training,
    trainer_missing,
)
from albumtag.gui.dialogs.trainer_dialog import TrainerDialog
from albumtag.library.database import Library
from albumtag.runtime import model_store


class TrainingController:
    """``busy`` says whether an import runs (training then waits); ``refresh`` starts the
    background rescan that brings the library's features up to date with new models;
    ``changed`` redraws the window after a personalisation."""

    def __init__(self, library: Library, window: QMainWindow, busy: Callable[[], bool],
                 refresh: Callable[[], None], changed: Callable[[], None]) -> None:
        self.library = library
        self.window = window
        self.busy = busy
        self.refresh = refresh
        self.changed = changed

    def _idle(self) -> bool:
        """No import runs (model changes wait for it); says so in the status bar otherwise."""
        if self.busy():
            self.window.statusBar().showMessage("Wait for the import to finish (or cancel it) first.", 8000)
            return False
        return True

    def _can_start(self, title: str) -> bool:
        if not self._idle():
            return False
        if (missing := trainer_missing()) is not None:
            QMessageBox.warning(self.window, title, f"Cannot run the trainer: {missing}.")
            return False
        return True

    def personalise(self) -> TrainerDialog | None:
        """Adapt recognition to this library; the dialog is returned (non-modal)."""
        if not self._can_start("Personalise recognition"):
            return None
        dialog = TrainerDialog("Personalise recognition", personalise_command(self.library.path), self.window)
        dialog.finished_ok.connect(self.changed)
        dialog.show()
        return dialog

    def train(self, task: str | None = None) -> TrainerDialog | None:
        """Rebuild one model with the trainer (asks which when ``task`` is None)."""
        if not self._can_start("Train models"):
            return None
        task = task or self._ask_task()
        if task is None:
            return None
        run = start_training(task)
        dialog = TrainerDialog(f"Train models: {task}", run.command, self.window)
        dialog.finished_ok.connect(lambda: self._trained(run))
        dialog.finished_failed.connect(lambda: finish_training(run, succeeded=False))
        dialog.show()
        return dialog

    def _ask_task(self) -> str | None:
        items = [f"{task}: {what}" for task, what in TRAINABLE.items()]
        choice, ok = QInputDialog.getItem(self.window, "Train models", "Rebuild which model? It needs torch and "
                                          "the training data (trainer/README.md).", items, 0, False)
        return choice.split(":", 1)[0] if ok else None

    def _trained(self, run: TrainingRun) -> None:
        finish_training(run, succeeded=True)
        self.window.statusBar().showMessage(f"New models in use ({run.version.name}); refreshing features…", 8000)
        self.refresh()

    def rollback(self) -> None:
        """Back to the models used before the current version (the bundled ones at last)."""
        if model_store.active_version() is None:
            QMessageBox.information(self.window, "Previous models", "The bundled models are in use already.")
            return
        if not self._idle():
            return
        previous = model_store.rollback()
        self.window.statusBar().showMessage(
            f"Using {'the bundled models' if previous is None else previous.name}; refreshing features…", 8000)
        self.refresh()
