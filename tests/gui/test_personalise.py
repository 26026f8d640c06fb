"""Models › Personalise recognition: the trainer runs in its own process with live progress,
adapts the library's open-set calibration, and Cancel leaves the library as it was."""

from __future__ import annotations

import pytest

from albumtag.gui.main_window import MainWindow
from albumtag.library.database import Library
from albumtag.library.library_info import stored_open_set_tail
from albumtag.recognize.open_set import library_or_shipped_tail


@pytest.fixture
def group_library(friends_library: Library) -> Library:
    """The five group photos: faces seen together are different people (44 pairs)."""
    return friends_library


@pytest.fixture
def window(open_window, group_library: Library) -> MainWindow:
    return open_window(group_library)


def test_personalise_from_the_menu(qtbot, window: MainWindow, group_library: Library) -> None:
    shipped = library_or_shipped_tail(stored_open_set_tail(group_library)).threshold(100)
    dialog = window.training.personalise()
    assert dialog is not None and dialog.isVisible() and not dialog.isModal()
    with qtbot.waitSignal(dialog.finished_ok, timeout=120_000):
        pass
    assert dialog.bar.value() == dialog.bar.maximum() == 1
    assert "impostor pairs from this library" in dialog.message.text()
    stored = stored_open_set_tail(group_library)
    tail = library_or_shipped_tail(stored)
    assert tail.version == "library" and stored is not None
    assert tail.threshold(100) != pytest.approx(shipped, abs=1e-9)  # the library's own pairs count
    dialog.reject()


def test_cancel_stops_the_trainer_and_changes_nothing(qtbot, window: MainWindow, group_library: Library) -> None:
    dialog = window.training.personalise()
    assert dialog is not None and dialog.running
    dialog.reject()  # the Cancel button
    assert not dialog.running
    assert stored_open_set_tail(group_library) is None
