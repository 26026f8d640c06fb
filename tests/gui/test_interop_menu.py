"""File › Export tags to XMP…, Back up people and tags…, Restore from backup…: driven through
the menu actions with the dialogs answered, checked on the files written and the library."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QFileDialog, QPushButton
from sqlalchemy import select

from albumtag.app.importer import import_folders
from albumtag.app.people_actions import PeopleActions
from albumtag.gui.main_window import MainWindow
from albumtag.io.hashing import content_hash
from albumtag.io.xmp_files import embedded_packet
from albumtag.io.xmp_regions import Frame, read_people
from albumtag.library.database import Library
from albumtag.library.schema import Person, PersonInstance, Photo

NAME = "Aaron Peirsol"
FRAME = Frame(1, 250, 250)
JOB_TIMEOUT_MS = 60_000


def _album(shared_data: Path, folder: Path) -> Path:
    folder.mkdir(parents=True)
    for source in sorted((shared_data / "faces-lfw" / "Aaron_Peirsol").glob("*.jpg"))[:2]:
        shutil.copyfile(source, folder / source.name)
    return folder


@pytest.fixture
def named(library: Library, shared_data: Path, tmp_path: Path) -> Path:
    """Two photos of Aaron Peirsol in ``library``, his faces named by hand; returns the folder."""
    folder = _album(shared_data, tmp_path / "Aaron")
    import_folders(library, [folder])
    with library.session() as session:
        faces = list(session.scalars(select(PersonInstance.id).where(PersonInstance.face_x1.is_not(None))))
    assert len(faces) == 2
    PeopleActions(library).assign_new_name(faces, NAME)
    return folder


def _boxes(library: Library) -> dict[str, tuple[float, float, float, float]]:
    """relpath -> the named face's box."""
    with library.session() as session:
        return {rel: (x1, y1, x2, y2) for rel, x1, y1, x2, y2 in session.execute(
            select(Photo.relpath, PersonInstance.face_x1, PersonInstance.face_y1, PersonInstance.face_x2,
                   PersonInstance.face_y2).join(PersonInstance).join(Person, PersonInstance.person_id == Person.id)
            .where(Person.name == NAME))}


def _tags(library: Library) -> set[tuple[str, str]]:
    """(content hash, name) of every named face."""
    with library.session() as session:
        return set(session.execute(select(Photo.content_hash, Person.name)
                                   .join(PersonInstance, PersonInstance.photo_id == Photo.id)
                                   .join(Person, PersonInstance.person_id == Person.id)
                                   .where(Person.name.is_not(None))))


def _click_when_shown(window: MainWindow, button: str) -> None:
    """Press the named button of the question box as soon as it is open (it runs modally)."""
    def click() -> None:
        shown = [b for b in window.findChildren(QPushButton, button) if b.isVisible()]
        if not shown:
            QTimer.singleShot(50, click)
            return
        shown[0].click()
    QTimer.singleShot(0, click)


def _export(qtbot, window: MainWindow, button: str) -> None:
    _click_when_shown(window, button)
    window.export_xmp_action.trigger()
    qtbot.waitUntil(lambda: window.worker is None, timeout=JOB_TIMEOUT_MS)


def test_export_to_sidecars_then_into_the_photos(qtbot, open_window, library: Library, named: Path) -> None:
    window = open_window(library)
    boxes = _boxes(library)
    _export(qtbot, window, "cancel")
    assert not list(named.glob("*.xmp"))

    _export(qtbot, window, "sidecars")
    assert "Wrote the people of 2 photos into sidecar files." in window.statusBar().currentMessage()
    for photo in named.glob("*.jpg"):
        people = read_people((named / f"{photo.name}.xmp").read_bytes(), FRAME)
        assert [p.name for p in people] == [NAME]
        assert people[0].box == pytest.approx(boxes[photo.name], abs=0.001)
        assert embedded_packet(photo) is None  # the photo itself untouched

    _export(qtbot, window, "intoOriginals")
    assert "Wrote the people into 2 photos; 0 photos already had them" in window.statusBar().currentMessage()
    with library.session() as session:
        stored = {rel: digest for rel, digest in session.execute(select(Photo.relpath, Photo.content_hash))}
    for photo in named.glob("*.jpg"):
        people = read_people(embedded_packet(photo), FRAME)
        assert [p.name for p in people] == [NAME]
        assert people[0].box == pytest.approx(boxes[photo.name], abs=0.001)
        assert stored[photo.name] == content_hash(photo.read_bytes())


@pytest.fixture
def fresh(tmp_path: Path, shared_data: Path) -> Iterator[Library]:
    """Another library of copies of the same photos, somewhere else, nobody named."""
    other = Library.open(tmp_path / "fresh.albumtag")
    import_folders(other, [_album(shared_data, tmp_path / "elsewhere" / "copies")])
    yield other
    other.close()


def test_backup_then_restore_into_a_fresh_library(qtbot, fresh: Library, open_window, library: Library,
                                                  named: Path, tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "saved" / "people.json"
    offered: list[str] = []

    def save_as(_parent, _title, suggested, file_filter):
        offered.append(suggested)
        return str(target), file_filter

    monkeypatch.setattr(QFileDialog, "getSaveFileName", save_as)
    window = open_window(library)
    window.backup_action.trigger()
    qtbot.waitUntil(lambda: window.worker is None, timeout=JOB_TIMEOUT_MS)
    assert Path(offered[0]).name == f"albumtag-backup-{date.today():%Y-%m-%d}.json"
    assert "Saved 1 person and 2 tags on 2 photos" in window.statusBar().currentMessage()
    document = json.loads(target.read_text(encoding="utf-8"))
    assert document["people"] == [{"name": NAME, "hidden": False}]
    assert sorted(photo["path"] for photo in document["photos"]) == sorted(p.name for p in named.glob("*.jpg"))
    assert all([tag["name"] for tag in photo["confirmed"]] == [NAME] for photo in document["photos"])

    assert _tags(fresh) == set()
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *_args: (str(target), ""))
    other = open_window(fresh)
    other.restore_action.trigger()
    qtbot.waitUntil(lambda: other.worker is None, timeout=JOB_TIMEOUT_MS)
    assert "Restored 2 tags and 1 person on 2 photos." in other.statusBar().currentMessage()
    assert _tags(fresh) == _tags(library)
