"""Models › Train models…: the trainer writes a new model version in its own process; success
puts it in use and refreshes the library in the background, Cancel leaves everything as it was,
and Models › Use the previous models goes back."""

from __future__ import annotations

from pathlib import Path

import pytest

from albumtag.app.training import TrainingRun
from albumtag.gui.main_window import MainWindow
from albumtag.library.database import Library
from albumtag.recognize.open_set import load_tail
from albumtag.runtime import model_store
from albumtag.runtime.resources import bundled_models_dir, models_dir

SMOKE = ("--set", "open_set_max_people=12", "--set", "open_set_per_person=4",
         "--set", "open_set_album_people=[5]", "--set", "open_set_trials=2")


@pytest.fixture
def window(open_window, library: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> MainWindow:
    monkeypatch.setenv(model_store.STORE_ENV, str(tmp_path / "models"))
    return open_window(library)


def test_train_from_the_menu_then_go_back(qtbot, window: MainWindow, shared_data: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    full = TrainingRun.command.fget
    monkeypatch.setattr(TrainingRun, "command", property(
        lambda run: [*full(run), "--set", f"shared_data={shared_data}", *SMOKE]))  # a small open-set run
    shipped = load_tail().to_json()
    refreshes = []
    rescan = window.training.refresh
    window.training.refresh = lambda: (refreshes.append(True), rescan())
    dialog = window.training.train("open-set")
    assert dialog is not None and not dialog.isModal()
    with qtbot.waitSignal(dialog.finished_ok, timeout=300_000):
        pass
    active = model_store.active_version()
    assert active is not None and models_dir() == active
    assert load_tail().to_json() != shipped, "the app reads the new calibration"
    assert refreshes == [True], "the library's features are refreshed in the background"
    qtbot.waitUntil(lambda: window.worker is None, timeout=120_000)
    dialog.reject()
    window.rollback_action.trigger()
    assert models_dir() == bundled_models_dir() and active.is_dir()


def test_cancel_training_keeps_the_models(qtbot, window: MainWindow) -> None:
    dialog = window.training.train("parts")
    assert dialog is not None and dialog.running
    versions = model_store.versions()
    assert len(versions) == 1, "a version folder is being written"
    dialog.reject()  # the Cancel button
    assert not dialog.running
    assert model_store.versions() == [] and models_dir() == bundled_models_dir()
