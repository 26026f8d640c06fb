"""People flows driven like a person would: rename (with name completion), "not them" on a
group, moving a face to someone else, a person's photos, and the Errors page's reasons.

The five group photos are imported once per session through the real pipeline
(``friends_library`` in conftest.py); each test works on its own copy of that library, so it
may change people freely. Every test clicks and presses keys through qtbot and checks the
library's rows afterwards, not only the widgets.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QCompleter, QFileDialog, QLineEdit, QListView
from sqlalchemy import func, select

from albumtag.app.people import list_people
from albumtag.app.people_actions import PeopleActions
from albumtag.app.status import photo_failures
from albumtag.gui.dialogs.name_dialog import NameDialog
from albumtag.gui.main_window import MainWindow
from albumtag.library.database import Library
from albumtag.library.schema import AssignedBy, DecisionState, Person, PersonInstance, Photo, TagDecision

IMPORT_TIMEOUT_MS = 120_000


@pytest.fixture
def named(friends_library: Library) -> dict[str, int]:
    """The two largest groups named Sheldon and Leonard (what a user did in an earlier session)."""
    groups = sorted((p for p in list_people(friends_library) if p.name is None), key=lambda p: (-p.instances, p.id))
    assert len(groups) >= 3, "the eight people form several groups"
    actions = PeopleActions(friends_library)
    return {name: actions.name_person(group.id, name) for group, name in zip(groups, ("Sheldon", "Leonard"))}


# ----- helpers ------------------------------------------------------------------------------
def _activate(qtbot, window: MainWindow) -> None:
    """Window shortcuts (Ctrl+Z) only reach an active window."""
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)


def _nav(window: MainWindow, kind: str, key: int | None = None) -> None:
    window.sidebar.setCurrentItem(window._find_nav((kind, key)))


def _click(qtbot, grid: QListView, row: int, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    """Click a cell of a grid, as the mouse would (Ctrl held adds it to the selection)."""
    index = grid.model().index(row, 0)
    grid.scrollTo(index)
    qtbot.mouseClick(grid.viewport(), Qt.MouseButton.LeftButton, modifier, grid.visualRect(index).center())


def _row_of(grid: QListView, person_id: int) -> int:
    model = grid.model()
    return next(r for r in range(model.rowCount()) if model.item(r).id == person_id)


def _open_row_with_enter(qtbot, grid: QListView, row: int) -> None:
    _click(qtbot, grid, row)
    assert grid.currentIndex().row() == row
    qtbot.keyClick(grid, Qt.Key.Key_Return)


def _open_persons_page(qtbot, window: MainWindow, person_id: int) -> MainWindow:
    """The person's faces page, opened from People with Enter, in an active window."""
    _activate(qtbot, window)
    _nav(window, "people")
    _open_row_with_enter(qtbot, window.people_view.grid, _row_of(window.people_view.grid, person_id))
    assert window.pages.currentWidget() is window.faces_view
    return window


def _when_name_dialog_opens(qtbot, act: Callable[[NameDialog], None]) -> dict:
    """Run ``act`` on the modal name dialog once it is open; whatever happens, it is closed
    afterwards (so a failing step never leaves the test hanging in ``exec``)."""
    seen: dict = {}

    def answer(tries: int = 300) -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, NameDialog):
            if tries:  # the test fails on what ``seen`` lacks if no dialog ever opens
                QTimer.singleShot(30, lambda: answer(tries - 1))
            return
        edit = dialog.findChild(QLineEdit)
        completer: QCompleter = edit.completer()
        seen["prefilled"] = edit.text()
        seen["names"] = completer.model().stringList()
        try:
            # As on a desktop, the modal dialog is the active window with its line edit focused
            # (offscreen Qt does not always do this itself; a completer only fills a focused edit).
            dialog.activateWindow()
            qtbot.waitUntil(dialog.isActiveWindow)
            assert QApplication.focusWidget() is edit
            act(dialog)
        except Exception as error:  # reported by the test, after the dialog is gone
            seen["error"] = error
        finally:
            if dialog.isVisible():
                dialog.reject()
    QTimer.singleShot(30, answer)
    return seen


def _type_over(qtbot, edit: QLineEdit, text: str) -> None:
    qtbot.keyClick(edit, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)  # select all
    qtbot.keyClicks(edit, text)


def _person(library: Library, person_id: int) -> Person | None:
    with library.session() as session:
        return session.get(Person, person_id)


def _faces_of(library: Library, person_id: int) -> dict[int, AssignedBy | None]:
    with library.session() as session:
        return dict(session.execute(select(PersonInstance.id, PersonInstance.assigned_by)
                                    .where(PersonInstance.person_id == person_id)).all())


# ----- 1. rename a named person, with completion; Ctrl+Z ------------------------------------
def test_rename_a_person_then_ctrl_z(qtbot, open_window, friends_library: Library, named: dict[str, int]) -> None:
    sheldon = named["Sheldon"]
    faces_before = _faces_of(friends_library, sheldon)
    window = open_window(friends_library)
    _activate(qtbot, window)
    _nav(window, "people")
    grid = window.people_view.grid
    _click(qtbot, grid, _row_of(grid, sheldon))
    assert window.people_view.name_button.text() == "Rename…"

    def rename(dialog: NameDialog) -> None:
        _type_over(qtbot, dialog.edit, "Sheldon  Cooper ")
        qtbot.keyClick(dialog.edit, Qt.Key.Key_Return)
    seen = _when_name_dialog_opens(qtbot, rename)
    qtbot.mouseClick(window.people_view.name_button, Qt.MouseButton.LeftButton)

    assert "error" not in seen, seen.get("error")
    assert seen["prefilled"] == "Sheldon"
    assert seen["names"] == ["Leonard", "Sheldon"], "the completer offers the library's names"
    assert _person(friends_library, sheldon).name == "Sheldon Cooper"  # spaces tidied
    with friends_library.session() as session:
        assert session.scalar(select(func.count()).select_from(Person).where(Person.name == "Sheldon")) == 0
    assert _faces_of(friends_library, sheldon).keys() == faces_before.keys()
    assert "Sheldon Cooper" in {grid.model().item(r).name for r in range(grid.model().rowCount())}

    _activate(qtbot, window)  # offscreen Qt leaves the completer's popup active, not the window
    qtbot.keyClick(window.people_view.grid, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert _person(friends_library, sheldon).name == "Sheldon"
    assert _faces_of(friends_library, sheldon) == faces_before
    assert "Undone" in window.statusBar().currentMessage()


def test_rename_to_a_completed_existing_name_merges_then_ctrl_z(
        qtbot, open_window, friends_library: Library, named: dict[str, int]) -> None:
    sheldon, leonard = named["Sheldon"], named["Leonard"]
    sheldons, leonards = _faces_of(friends_library, sheldon), _faces_of(friends_library, leonard)
    window = _open_persons_page(qtbot, open_window(friends_library), sheldon)

    def complete(dialog: NameDialog) -> None:
        _type_over(qtbot, dialog.edit, "ONA")  # matches anywhere, any case
        completer = dialog.edit.completer()
        assert completer.completionCount() == 1 and completer.currentCompletion() == "Leonard"
        popup = completer.popup()
        qtbot.waitUntil(popup.isVisible)
        assert [popup.model().index(r, 0).data() for r in range(popup.model().rowCount())] == ["Leonard"]
        qtbot.keyClick(popup, Qt.Key.Key_Down)
        qtbot.keyClick(popup, Qt.Key.Key_Return)  # take the suggestion
        assert dialog.edit.text() == "Leonard"
        qtbot.keyClick(dialog.edit, Qt.Key.Key_Return)
    seen = _when_name_dialog_opens(qtbot, complete)
    qtbot.mouseClick(window.faces_view.name_button, Qt.MouseButton.LeftButton)

    assert "error" not in seen, seen.get("error")
    assert _person(friends_library, sheldon) is None, "one person called Leonard now"
    merged = _faces_of(friends_library, leonard)
    assert merged.keys() == sheldons.keys() | leonards.keys()
    assert set(merged.values()) == {AssignedBy.USER}

    _activate(qtbot, window)
    qtbot.keyClick(window.faces_view.grid, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert _person(friends_library, sheldon).name == "Sheldon"
    assert _faces_of(friends_library, sheldon) == sheldons and _faces_of(friends_library, leonard) == leonards


# ----- 2. "not them" on an unnamed group ----------------------------------------------------
def test_not_them_splits_faces_out_of_a_group_then_undo(qtbot, open_window, friends_library: Library) -> None:
    window = open_window(friends_library)
    _activate(qtbot, window)
    _nav(window, "unnamed")
    people = window.people_view.grid
    group = people.model().item(0)
    assert group.name is None and group.instances >= 3
    before = _faces_of(friends_library, group.id)
    _open_row_with_enter(qtbot, people, 0)
    assert window.pages.currentWidget() is window.faces_view and window.people.person.id == group.id
    grid, model = window.faces_view.grid, window.faces_view.grid.model()
    assert model.rowCount() == len(before)
    _click(qtbot, grid, 0)
    _click(qtbot, grid, 2, Qt.KeyboardModifier.ControlModifier)
    split = {model.item(0).instance_id, model.item(2).instance_id}
    assert {i.row() for i in grid.selectionModel().selectedIndexes()} == {0, 2}

    qtbot.mouseClick(window.faces_view.reject_button, Qt.MouseButton.LeftButton)  # "Not them (N)"

    assert {model.item(r).instance_id for r in range(model.rowCount())} == before.keys() - split
    assert window.people.writer.wait_idle()
    assert _faces_of(friends_library, group.id).keys() == before.keys() - split, "the rest stay together"
    with friends_library.session() as session:
        for instance_id in split:  # out of the group, as unknown, and never put back with it
            assert session.get(PersonInstance, instance_id).person_id is None
            assert session.scalar(select(TagDecision.state).where(
                TagDecision.instance_id == instance_id, TagDecision.person_id == group.id)) == DecisionState.REJECTED
    assert window.undo_action.isEnabled() and "Not this person" in window.undo_action.text()

    qtbot.keyClick(grid, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert _faces_of(friends_library, group.id) == before
    with friends_library.session() as session:
        assert session.scalar(select(func.count()).select_from(TagDecision)
                              .where(TagDecision.instance_id.in_(split))) == 0
    assert model.rowCount() == len(before)  # the page shows them again


# ----- 3. one face is someone else: M, a name, Ctrl+Z --------------------------------------
def test_move_a_face_to_someone_else_then_ctrl_z(qtbot, open_window, friends_library: Library,
                                                 named: dict[str, int]) -> None:
    sheldon, leonard = named["Sheldon"], named["Leonard"]
    sheldons, leonards = _faces_of(friends_library, sheldon), _faces_of(friends_library, leonard)
    window = _open_persons_page(qtbot, open_window(friends_library), sheldon)
    grid, model = window.faces_view.grid, window.faces_view.grid.model()
    _click(qtbot, grid, 1)
    moved = model.item(1).instance_id

    def answer(dialog: NameDialog) -> None:
        _type_over(qtbot, dialog.edit, "Leonard")
        qtbot.keyClick(dialog.edit, Qt.Key.Key_Return)
    seen = _when_name_dialog_opens(qtbot, answer)
    qtbot.keyClick(grid, Qt.Key.Key_M)

    assert "error" not in seen, seen.get("error")
    assert seen["prefilled"] == "" and seen["names"] == ["Leonard", "Sheldon"]
    assert _faces_of(friends_library, sheldon).keys() == sheldons.keys() - {moved}
    assert _faces_of(friends_library, leonard) == {**leonards, moved: AssignedBy.USER}
    assert moved not in {model.item(r).instance_id for r in range(model.rowCount())}, "the page shows it gone"

    _activate(qtbot, window)
    qtbot.keyClick(grid, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert _faces_of(friends_library, sheldon) == sheldons and _faces_of(friends_library, leonard) == leonards


# ----- 5. a named person's photos ------------------------------------------------------------
def test_a_named_persons_photos(qtbot, open_window, friends_library: Library, named: dict[str, int]) -> None:
    leonard = named["Leonard"]
    window = open_window(friends_library)
    _nav(window, "people")
    grid = window.people_view.grid
    _open_row_with_enter(qtbot, grid, _row_of(grid, leonard))
    assert window.pages.currentWidget() is window.faces_view
    qtbot.mouseClick(window.faces_view.photos_button, Qt.MouseButton.LeftButton)

    assert window.pages.currentWidget() is window.grid_page
    shown = [window.photo_model.item(r).id for r in range(window.photo_model.rowCount())]
    with friends_library.session() as session:
        expected = set(session.scalars(
            select(PersonInstance.photo_id).join(Photo, Photo.id == PersonInstance.photo_id)
            .where(PersonInstance.person_id == leonard, Photo.missing.is_(False))))
    assert len(shown) == len(set(shown)) and set(shown) == expected and len(expected) >= 2
    assert window.grid_heading.text().startswith("Leonard — ")
    qtbot.mouseClick(window.search_bar.clear_button, Qt.MouseButton.LeftButton)  # back to everything
    with friends_library.session() as session:
        everything = set(session.scalars(select(Photo.id)))
    assert {window.photo_model.item(r).id for r in range(window.photo_model.rowCount())} == everything
    assert window.grid_heading.text() == f"All photos — {len(everything)} photos"


# ----- 6. the Errors page -------------------------------------------------------------------
def test_errors_page_lists_each_bad_file_with_its_reason(
        qtbot, open_window, library: Library, bad_corpus: tuple[Path, dict[str, str]], metadata_warnings,
        monkeypatch) -> None:
    folder, phrases = bad_corpus
    window = open_window(library)
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(folder))
    window.add_folder_action.trigger()
    qtbot.waitUntil(lambda: window.worker is None, timeout=IMPORT_TIMEOUT_MS)

    nav = window._find_nav(("errors", None))
    assert nav.text(0) == f"Errors  ({len(phrases)})"
    window.sidebar.setCurrentItem(nav)
    assert window.pages.currentWidget() is window.errors_view
    table = window.errors_view.table
    rows = {Path(table.item(r, 0).text()).name: (table.item(r, 1).text(), table.item(r, 2).text())
            for r in range(table.rowCount())}
    assert rows.keys() == phrases.keys() | metadata_warnings.keys(), "every bad file, and bad metadata as warnings"
    for name, phrase in phrases.items():
        assert rows[name][0] == "decode" and phrase in rows[name][1], (name, rows[name])
    for name, phrase in metadata_warnings.items():
        assert rows[name][1].startswith("Warning: ") and phrase in rows[name][1], (name, rows[name])
    failures = {f.path.name: (f.stage, ("Warning: " if f.warning else "") + f.reason) for f in photo_failures(library)}
    assert rows == failures
    with library.session() as session:
        good = set(session.scalars(select(Photo.relpath)))
    assert {"good.jpg", "corrupt-exif.jpg", "bad-xmp.jpg"} <= good
    assert (f"{len(phrases)} photos could not be read, {len(metadata_warnings)} photos imported with warnings"
            in window.errors_view.heading.text())
