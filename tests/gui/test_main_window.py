"""The desktop app driven like a person would: menus, sidebar, grid, photo view, errors, undo.

The import tests import real photos through the window; the others work on their own copy of
the same photos imported once (``friends_library``). Each clicks and types through qtbot and
checks the library's state afterwards, not only the widgets.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QObject, Qt, QTimer, Slot
from PySide6.QtWidgets import QApplication, QFileDialog, QLineEdit
from sqlalchemy import select

from albumtag.app.status import library_status
from albumtag.gui.main_window import MainWindow
from albumtag.gui.models.thumbnail_list_model import ItemRole
from albumtag.library.database import Library
from albumtag.library.schema import AssignedBy, Person, PersonInstance

IMPORT_TIMEOUT_MS = 240_000


@pytest.fixture
def window(open_window, library: Library) -> MainWindow:
    return open_window(library)


@pytest.fixture
def imported(open_window, friends_library: Library) -> tuple[MainWindow, Library]:
    """A window on a copy of the five group photos' library, imported already."""
    return open_window(friends_library), friends_library


class ProgressRecorder(QObject):
    """Lives on the GUI thread, like the progress panel, and keeps what it was sent."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list = []

    @Slot(object)
    def record(self, progress) -> None:
        self.seen.append(progress)


def _import(qtbot, window: MainWindow, folder: Path, monkeypatch) -> ProgressRecorder:
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(folder))
    recorder = ProgressRecorder()
    window.add_folder_action.trigger()
    assert window.worker is not None and not window.add_folder_action.isEnabled()
    window.worker.progress.connect(recorder.record)
    qtbot.waitUntil(lambda: window.worker is None, timeout=IMPORT_TIMEOUT_MS)
    return recorder


def _nav(window: MainWindow, kind: str) -> None:
    item = window._find_nav((kind, None))
    window.sidebar.setCurrentItem(item)


def _answer_name_dialog(qtbot, name: str) -> None:
    """Type ``name`` into the modal name dialog as soon as it opens, then press Enter."""
    def answer() -> None:
        dialog = QApplication.activeModalWidget()
        if dialog is None:
            QTimer.singleShot(50, answer)
            return
        edit = dialog.findChild(QLineEdit)
        qtbot.keyClicks(edit, name)
        qtbot.keyClick(edit, Qt.Key.Key_Return)
    QTimer.singleShot(50, answer)


@pytest.fixture
def friends(tmp_path: Path, shared_data: Path) -> Path:
    """Five group photos of the same eight people, plus one broken file."""
    folder = tmp_path / "Friends"
    folder.mkdir()
    for i in range(1, 6):
        shutil.copy(shared_data / f"group-bbt/examples/images/bbt{i}.jpg", folder)
    (folder / "broken.jpg").write_bytes(b"not a photo at all")
    return folder


def test_add_folder_imports_with_progress_and_lists_errors(qtbot, window, library, friends, monkeypatch) -> None:
    recorder = _import(qtbot, window, friends, monkeypatch)
    assert {p.stage for p in recorder.seen} >= {"decode", "faces", "group"}
    assert not window.progress_panel.isVisible() and window.add_folder_action.isEnabled()
    status = library_status(library)
    assert status.photos == 6 and status.stages["decode"] == {"done": 5, "failed": 1}
    assert status.instances >= 20  # eight people, most in several photos
    assert window.photo_model.rowCount() == 6
    _nav(window, "errors")
    assert window.pages.currentWidget() is window.errors_view
    assert window.errors_view.table.rowCount() == 1
    assert window.errors_view.table.item(0, 0).text().endswith("broken.jpg")


def test_photo_view_shows_every_face_boxed(qtbot, imported) -> None:
    window, library = imported
    model = window.photo_model
    row = next(r for r in range(model.rowCount()) if model.item(r).path.name == "bbt1.jpg")
    window.grid.activated.emit(model.index(row))
    canvas = window.photo_view.canvas
    qtbot.waitUntil(lambda: not canvas.image.isNull(), timeout=30_000)
    with library.session() as session:
        photo_id = model.item(row).id
        stored = session.scalars(select(PersonInstance).where(PersonInstance.photo_id == photo_id)).all()
    assert len(canvas.instances) == len(stored) >= 4
    assert window.pages.currentWidget() is window.photo_view
    for instance in (i for i in canvas.instances if i.face_box):  # hovering a face picks its person
        qtbot.mouseMove(canvas, canvas._rect(instance.face_box).center().toPoint())
        qtbot.waitUntil(lambda hovered=instance.id: canvas.hovered == hovered, timeout=2_000)
        assert instance.body_box is not None


def test_name_a_group_then_undo(qtbot, imported) -> None:
    window, library = imported
    _nav(window, "unnamed")
    grid = window.people_view.grid
    model = grid.model()
    assert model.rowCount() >= 1, "faces of people seen in several photos form groups"
    group = model.index(0).data(ItemRole)
    grid.setCurrentIndex(model.index(0))
    _answer_name_dialog(qtbot, "Sheldon")
    qtbot.mouseClick(window.people_view.name_button, Qt.MouseButton.LeftButton)
    with library.session() as session:
        person = session.scalar(select(Person).where(Person.name == "Sheldon"))
        faces = session.scalars(select(PersonInstance).where(PersonInstance.person_id == person.id)).all()
        assert len(faces) == group.instances and all(f.assigned_by == AssignedBy.USER for f in faces)
    assert window.undo_action.isEnabled()
    window.undo_action.trigger()
    with library.session() as session:
        assert session.scalar(select(Person).where(Person.name == "Sheldon")) is None
    assert not window.undo_action.isEnabled()


def test_reject_faces_with_the_keyboard_keeps_the_place(qtbot, imported) -> None:
    window, library = imported
    _nav(window, "unnamed")
    people_grid = window.people_view.grid
    people_grid.activated.emit(people_grid.model().index(0))
    assert window.pages.currentWidget() is window.faces_view
    grid = window.faces_view.grid
    model = grid.model()
    before = model.rowCount()
    person_id = window.people.person.id
    grid.setCurrentIndex(model.index(0))
    rejected = model.index(0).data(ItemRole).instance_id
    qtbot.keyClick(grid, Qt.Key.Key_N)
    assert model.rowCount() == before - 1
    assert grid.currentIndex().row() == 0
    assert window.people.writer.wait_idle(), "the decision is written in the background"
    with library.session() as session:
        assert session.get(PersonInstance, rejected).person_id != person_id


def test_a_slow_write_never_holds_the_page(qtbot, imported, monkeypatch) -> None:
    """N shows the rejection at once even when writing it takes half a second; undo waits for it."""
    import time as clock

    from albumtag.app.people_actions import PeopleActions

    window, library = imported
    _nav(window, "unnamed")
    window.people_view.grid.activated.emit(window.people_view.grid.model().index(0))
    grid, person_id = window.faces_view.grid, window.people.person.id
    model = grid.model()
    before = model.rowCount()
    slow_reject = PeopleActions.reject
    monkeypatch.setattr(PeopleActions, "reject", lambda self, *a: (clock.sleep(0.5), slow_reject(self, *a))[1])
    grid.setCurrentIndex(model.index(0))
    rejected = model.index(0).data(ItemRole).instance_id
    started = clock.monotonic()
    qtbot.keyClick(grid, Qt.Key.Key_N)
    assert clock.monotonic() - started < 0.4 and model.rowCount() == before - 1
    assert window.people.writer.pending == 1
    window.undo_action.trigger()  # waits for the rejection to land, then takes it back
    assert window.people.writer.pending == 0
    with library.session() as session:
        assert session.get(PersonInstance, rejected).person_id == person_id


def test_search_finds_photos_with_all_the_named_people(qtbot, imported) -> None:
    window, library = imported
    from albumtag.app.people import list_people
    from albumtag.app.people_actions import PeopleActions

    unnamed = sorted((p for p in list_people(library) if p.name is None), key=lambda p: -p.photos)[:2]
    actions = PeopleActions(library)
    for person, name in zip(unnamed, ("Ada", "Grace")):
        actions.name_person(person.id, name)
    window.refresh()
    qtbot.keyClicks(window.search_bar.people_edit, "ada, GRACE")
    qtbot.keyClick(window.search_bar.people_edit, Qt.Key.Key_Return)
    shown = {window.photo_model.item(r).id for r in range(window.photo_model.rowCount())}
    with library.session() as session:
        def photos_of(person_id: int) -> set[int]:
            return set(session.scalars(select(PersonInstance.photo_id).where(PersonInstance.person_id == person_id)))
        expected = photos_of(unnamed[0].id) & photos_of(unnamed[1].id)
    assert shown == expected and len(expected) >= 1
    window.search_bar.people_edit.setText("Nobody Atall")
    qtbot.keyClick(window.search_bar.people_edit, Qt.Key.Key_Return)
    assert "Nobody Atall" in window.statusBar().currentMessage()
    assert {window.photo_model.item(r).id for r in range(window.photo_model.rowCount())} == expected


def test_settings_are_persisted(qtbot, tmp_path, monkeypatch) -> None:
    from PySide6.QtCore import QSettings

    from albumtag.app.settings import EngineSettings
    from albumtag.gui.dialogs.settings_dialog import SettingsDialog
    from albumtag.gui.settings_store import load_engine_settings, save_engine_settings
    from albumtag.recognize.grouping import GroupingParams
    from albumtag.runtime.providers import Device

    store = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    assert load_engine_settings(store) == EngineSettings()
    dialog = SettingsDialog(EngineSettings(), tmp_path / "lib.albumtag", "CPU")
    qtbot.addWidget(dialog)
    dialog.device_combo.setCurrentIndex(1)
    dialog.radius.setValue(0.42)
    dialog.min_group.setValue(3)
    chosen = dialog.engine_settings(EngineSettings())
    save_engine_settings(chosen, store)
    reloaded = load_engine_settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    assert reloaded == chosen == EngineSettings(Device.CPU, GroupingParams(cluster_radius=0.42, min_group=3))


def test_dropping_a_group_onto_another_merges_them(qtbot, imported) -> None:
    window, library = imported
    _nav(window, "unnamed")
    grid = window.people_view.grid
    model = grid.model()
    assert model.rowCount() >= 2
    dragged, target = model.item(1), model.item(0)
    grid.merge_dropped.emit([1], 0)  # what dropEvent emits for a drop of row 1 onto row 0
    with library.session() as session:
        assert session.get(Person, dragged.id) is None
        merged = session.scalars(select(PersonInstance).where(PersonInstance.person_id == target.id)).all()
    assert len(merged) == dragged.instances + target.instances
    assert window.undo_action.isEnabled()


def test_cancel_import_keeps_what_was_done_and_rescan_finishes(qtbot, window, library, friends, monkeypatch) -> None:
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(friends))
    window.add_folder_action.trigger()
    qtbot.waitUntil(window.progress_panel.cancel_button.isVisible, timeout=60_000)
    qtbot.mouseClick(window.progress_panel.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.worker is None, timeout=IMPORT_TIMEOUT_MS)
    assert "cancel" in window.statusBar().currentMessage().lower()
    window.rescan_action.trigger()
    qtbot.waitUntil(lambda: window.worker is None, timeout=IMPORT_TIMEOUT_MS)
    status = library_status(library)
    assert status.stages["decode"] == {"done": 5, "failed": 1} and status.stages["faces"]["done"] == 5
    assert window.statusBar().currentMessage().startswith("Rescan finished.")


def test_shift_select_and_confirm_a_whole_group_with_y(qtbot, imported) -> None:
    window, library = imported
    _nav(window, "unnamed")
    people_grid = window.people_view.grid
    people_grid.activated.emit(people_grid.model().index(0))
    grid = window.faces_view.grid
    model = grid.model()
    grid.setCurrentIndex(model.index(0))
    qtbot.keyClick(grid, Qt.Key.Key_End, Qt.KeyboardModifier.ShiftModifier)
    assert len(grid.selectionModel().selectedIndexes()) == model.rowCount() >= 2
    qtbot.keyClick(grid, Qt.Key.Key_Y)
    assert model.rowCount() == len(grid.selectionModel().selectedIndexes())  # nothing moved away
    ids = [model.item(r).instance_id for r in range(model.rowCount())]
    assert window.people.writer.wait_idle()
    with library.session() as session:
        faces = [session.get(PersonInstance, i) for i in ids]
        assert all(f.assigned_by == AssignedBy.USER and f.person_id == window.people.person.id for f in faces)


def test_hide_and_delete_people_keep_their_faces(qtbot, imported, monkeypatch) -> None:
    from PySide6.QtWidgets import QMessageBox

    window, library = imported
    _nav(window, "unnamed")
    grid = window.people_view.grid
    model = grid.model()
    hidden, deleted = model.item(0), model.item(1)
    grid.setCurrentIndex(model.index(0))
    qtbot.mouseClick(window.people_view.hide_button, Qt.MouseButton.LeftButton)
    assert hidden.id not in {model.item(r).id for r in range(model.rowCount())}
    row = next(r for r in range(model.rowCount()) if model.item(r).id == deleted.id)
    grid.setCurrentIndex(model.index(row))
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    qtbot.mouseClick(window.people_view.delete_button, Qt.MouseButton.LeftButton)
    with library.session() as session:
        assert session.get(Person, hidden.id).hidden
        assert session.get(Person, deleted.id) is None
        orphans = session.scalars(select(PersonInstance).where(PersonInstance.person_id.is_(None))).all()
        assert len(orphans) >= deleted.instances  # the faces stay, as unknown
