"""Needs review: suggestions for a named person, walked with the arrow keys, Y and N."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import select

from albumtag.app import browse
from albumtag.app.importer import import_folders
from albumtag.app.people_actions import PeopleActions
from albumtag.gui.main_window import MainWindow
from albumtag.library.database import Library
from albumtag.library.schema import (
    AssignedBy,
    DecisionState,
    PersonInstance,
    Photo,
    TagDecision,
)


def _rightmost_face(library: Library, relpath: str) -> PersonInstance:
    with library.session() as session:
        photo = session.scalar(select(Photo).where(Photo.relpath == relpath))
        return session.scalars(select(PersonInstance).where(PersonInstance.photo_id == photo.id,
                                                            PersonInstance.face_x1.is_not(None))
                               .order_by(PersonInstance.face_x1.desc())).first()


@pytest.fixture
def reviewed_library(library: Library, shared_data: Path, tmp_path: Path) -> tuple[Library, int]:
    """Sheldon named from three photos; two more photos of him arrive later, so the engine
    has suggestions for him (faces it put with him that nobody confirmed). The first three are
    ones where his faces lie within chinese whispers' radius of each other (bbt4 links bbt1 and
    bbt3; bbt1, bbt2 and bbt3 alone lie 0.51-0.53 apart, and three lone faces form no group)."""
    album = tmp_path / "Friends"
    album.mkdir()
    images = shared_data / "group-bbt/examples/images"
    for i in (1, 3, 4):
        shutil.copy(images / f"bbt{i}.jpg", album)
    import_folders(library, [album])
    sheldon = _rightmost_face(library, "bbt1.jpg")
    assert sheldon.person_id is not None, "Sheldon's faces were grouped"
    PeopleActions(library).name_person(sheldon.person_id, "Sheldon")
    for i in (2, 5):
        shutil.copy(images / f"bbt{i}.jpg", album)
    import_folders(library, [album])
    return library, sheldon.person_id


def _suggested(library: Library, person_id: int) -> list[int]:
    with library.session() as session:
        return list(session.scalars(select(PersonInstance.id).where(PersonInstance.person_id == person_id,
                                                                    PersonInstance.assigned_by == AssignedBy.MODEL)))


def test_review_with_arrows_y_and_n(qtbot, open_window, reviewed_library: tuple[Library, int]) -> None:
    library, sheldon = reviewed_library
    waiting = _suggested(library, sheldon)
    assert len(waiting) >= 2, "his faces in the new photos are suggested, not confirmed"
    window: MainWindow = open_window(library)
    nav = window._find_nav(("review", None))
    assert f"({len(waiting)})" in nav.text(0)
    window.sidebar.setCurrentItem(nav)
    assert window.pages.currentWidget() is window.faces_view and window.people.person.id == sheldon
    grid, model = window.faces_view.grid, window.faces_view.grid.model()
    first_suggestion = next(r for r in range(model.rowCount()) if not model.item(r).confirmed)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    grid.setFocus()
    grid.setCurrentIndex(model.index(0))
    for _ in range(first_suggestion):
        qtbot.keyClick(grid, Qt.Key.Key_Right)
    assert grid.currentIndex().row() == first_suggestion
    confirmed = model.item(first_suggestion).instance_id
    qtbot.keyClick(grid, Qt.Key.Key_Y)
    assert model.item(first_suggestion).confirmed and grid.currentIndex().row() == first_suggestion
    qtbot.keyClick(grid, Qt.Key.Key_Right)
    rejected = model.item(grid.currentIndex().row()).instance_id
    assert not model.item(grid.currentIndex().row()).confirmed
    qtbot.keyClick(grid, Qt.Key.Key_N)
    assert rejected not in {model.item(r).instance_id for r in range(model.rowCount())}
    assert window.people.writer.wait_idle(), "both decisions land, in order, in the background"
    with library.session() as session:
        assert session.get(PersonInstance, confirmed).assigned_by == AssignedBy.USER
        assert session.get(PersonInstance, rejected).person_id != sheldon
        assert session.scalar(select(TagDecision.state).where(
            TagDecision.instance_id == rejected, TagDecision.person_id == sheldon)) == DecisionState.REJECTED
    window.undo_action.trigger()  # Edit › Undo (Ctrl+Z) takes the rejection back
    with library.session() as session:
        assert session.get(PersonInstance, rejected).person_id == sheldon


def test_a_group_offered_a_name_is_asked_first_and_not_ann_settles_it(
        qtbot, open_window, offered_library: tuple[Library, int, int, int]) -> None:
    """Needs review opens "Unnamed #N — Ann?" before single faces (one answer settles a group):
    "Not Ann" rejects its faces for her, undoably, and the question is gone; the name button
    starts the naming with her name."""
    library, ann_id, later_id, _ = offered_library
    window: MainWindow = open_window(library)
    window.sidebar.setCurrentItem(window._find_nav(("review", None)))
    view = window.faces_view
    assert window.pages.currentWidget() is view and window.people.person.id == later_id
    assert "Ann?" in view.heading.text() and view.name_button.text() == "Yes, Ann…"
    assert not view.not_likely_button.isHidden() and view.not_likely_button.text() == "Not Ann"
    view.not_likely_button.click()
    window.people.writer.wait_idle()
    with library.session() as session:
        refused = session.scalars(select(TagDecision.instance_id).where(
            TagDecision.person_id == ann_id, TagDecision.state == DecisionState.REJECTED)).all()
    assert len(refused) == 6
    assert view.not_likely_button.isHidden() and "Ann?" not in view.heading.text()
    assert window.people.undo() is not None
    assert any(p.id == later_id for p in browse.group_questions(library))
