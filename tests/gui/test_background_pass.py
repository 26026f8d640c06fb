"""People early: an import groups the faces before the bodies pass, so the Unnamed groups are
on screen while that pass (80-90% of an import's time) still runs; Pause stops it after the
current photos and Resume finishes it, with the groups kept.

The import is real (eight photos of people through every stage); the only hook is a gate that
holds the bodies pass before its first result, so the test can look at the window at a
known point of that pass instead of racing it.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from albumtag.app.importer import background_left
from albumtag.app.people import list_people
from albumtag.app.stages.bodies import BodyStage
from albumtag.app.status import library_status
from albumtag.gui.main_window import MainWindow
from albumtag.library.database import Library

IMPORT_TIMEOUT_MS = 240_000
PHOTOS = [f"bbt{i}.jpg" for i in range(1, 6)] + [
    f"{mood}.jpg" for mood in ("angry", "happy", "sad")]


@pytest.fixture
def album(tmp_path: Path, shared_data: Path) -> Path:
    """Five group photos of the same eight people and three portraits of one of them."""
    folder = tmp_path / "Friends"
    folder.mkdir()
    for name in PHOTOS:
        shutil.copy(shared_data / "group-bbt/examples/images" / name, folder)
    return folder


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[threading.Event, threading.Event]]:
    """(reached, release): the bodies pass sets ``reached`` before its first result and
    waits for ``release`` (set at the end whatever happens, so no thread is left waiting)."""
    reached, release = threading.Event(), threading.Event()
    process = BodyStage.process

    def gated(self: BodyStage, jobs, cancel):
        for n, result in enumerate(process(self, jobs, cancel)):
            if n == 0:
                reached.set()
                release.wait(IMPORT_TIMEOUT_MS / 1000)
            yield result

    monkeypatch.setattr(BodyStage, "process", gated)
    yield reached, release
    release.set()


def _unnamed_shown(window: MainWindow) -> list[int]:
    model = window.people.people_model
    return [model.item(row).id for row in range(model.rowCount())]


def _click(qtbot, button) -> None:
    assert button.isVisible(), f"{button.text()} is offered"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_unnamed_groups_show_during_the_bodies_pass_which_pauses_and_resumes(
        qtbot, open_window: Callable[[Library], MainWindow], tmp_path: Path, album: Path,
        gate: tuple[threading.Event, threading.Event]) -> None:
    reached, release = gate
    library = Library.open(tmp_path / "library.albumtag")
    window = open_window(library)
    window.sidebar.setCurrentItem(window._find_nav(("unnamed", None)))
    assert _unnamed_shown(window) == []

    window.start_import([album])
    qtbot.waitUntil(reached.is_set, timeout=IMPORT_TIMEOUT_MS)
    qtbot.waitUntil(lambda: len(_unnamed_shown(window)) > 0, timeout=10_000)
    early = _unnamed_shown(window)
    assert background_left(library) == len(PHOTOS), "no photo's bodies are stored yet"
    assert window.worker is not None, "the import is still running"
    assert "in the background" in window.progress_panel.label.text()

    _click(qtbot, window.progress_panel.pause_button)
    release.set()
    qtbot.waitUntil(lambda: window.worker is None, timeout=IMPORT_TIMEOUT_MS)
    left = background_left(library)
    assert 0 < left < len(PHOTOS), "the photos in hand were finished, the rest left for later"
    assert "Paused" in window.statusBar().currentMessage()
    assert "paused" in window.progress_panel.label.text() and str(left) in window.progress_panel.label.text()

    _click(qtbot, window.progress_panel.resume_button)
    qtbot.waitUntil(lambda: window.worker is None and not window.progress_panel.isVisible(),
                    timeout=IMPORT_TIMEOUT_MS)
    assert background_left(library) == 0
    assert library_status(library).stages["bodies"]["done"] == len(PHOTOS)
    people = {p.id for p in list_people(library) if p.name is None}
    kept = [person_id for person_id in early if person_id in people]
    assert len(kept) * 2 > len(early), "grouping again with the bodies kept most groups (and their numbers)"
    assert _unnamed_shown(window), "the page shows the groups after the pass too"
