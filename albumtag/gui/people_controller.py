"""People, Unnamed, Needs review and a person's faces: the people actions, wired to the views.

Actions run through ``PeopleActions`` (one transaction each, undoable); the views update in
place — a confirmed face changes its label, a rejected one leaves the grid — so the page
never jumps while someone works through a long list with Y and N. Confirm and reject are
shown at once and written in the background (``DecisionWriter``), so the page never waits
either; every other action first lets those writes land.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QObject, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QMessageBox, QWidget

from albumtag.app import browse
from albumtag.app.identification import refit_body_suggestions
from albumtag.app.people import PersonSummary, get_person, list_people
from albumtag.app.people_actions import PeopleActionError, PeopleActions
from albumtag.gui.decision_writer import DecisionWriter
from albumtag.gui.dialogs.name_dialog import NameDialog
from albumtag.gui.models.people_model import FacesModel, PeopleModel
from albumtag.gui.models.thumbnail_list_model import ItemRole
from albumtag.gui.text import plural
from albumtag.gui.thumbnail_loader import ThumbnailLoader
from albumtag.gui.views.faces_view import FacesView
from albumtag.gui.views.people_view import PeopleView
from albumtag.library.database import Library


class PeopleController(QObject):
    changed = Signal()  # something about people changed: sidebar counts need a refresh
    decided = Signal()  # a confirm/reject is on the page and on its way to the library
    show_photos = Signal(str, list)  # title, photos
    opened = Signal(QWidget)  # a page to bring to the front

    def __init__(self, library: Library, people_view: PeopleView, faces_view: FacesView,
                 loader: ThumbnailLoader, parent: QWidget) -> None:
        super().__init__(parent)
        self.library = library
        self.actions = PeopleActions(library)
        self.people_view, self.faces_view = people_view, faces_view
        self.window = parent
        self.people_model = PeopleModel(library.thumbnails_dir, loader, self)
        self.faces_model = FacesModel(library.thumbnails_dir, loader, self)
        people_view.grid.setModel(self.people_model)
        faces_view.grid.setModel(self.faces_model)
        self.named = True
        self.person: PersonSummary | None = None
        self.unnamed_min_faces = 2  # a face seen once is not offered as a person (still searchable)
        self.writer = DecisionWriter()
        self.writer.landed.connect(self.changed)
        self.writer.failed.connect(self._write_failed)
        self._connect()

    def _connect(self) -> None:
        pv, fv = self.people_view, self.faces_view
        pv.grid.activated.connect(self._open_person)
        pv.name_button.clicked.connect(self.name_selected_person)
        pv.merge_button.clicked.connect(self.merge_selected)
        pv.grid.merge_dropped.connect(self.merge_dropped)
        pv.hide_button.clicked.connect(self.hide_selected)
        pv.delete_button.clicked.connect(self.delete_selected)
        fv.back_button.clicked.connect(lambda: self.show_people(self.named))
        fv.confirm_button.clicked.connect(self.confirm_selected_faces)
        fv.reject_button.clicked.connect(self.reject_selected_faces)
        fv.move_button.clicked.connect(self.move_selected_faces)
        fv.name_button.clicked.connect(self.name_current_person)
        fv.not_likely_button.clicked.connect(self.refuse_likely_name)
        fv.photos_button.clicked.connect(self._show_person_photos)
        for key, slot in (("Y", self.confirm_selected_faces), ("N", self.reject_selected_faces),
                          ("M", self.move_selected_faces)):
            QShortcut(QKeySequence(key), fv.grid, slot, context=Qt.ShortcutContext.WidgetShortcut)

    # ----- pages ------------------------------------------------------------------------
    def show_people(self, named: bool) -> None:
        self.named = named
        people = [p for p in list_people(self.library, min_instances=self.unnamed_min_faces)
                  if (p.name is not None) == named]
        view = self.people_view
        view.heading.setText(f"{'People' if named else 'Unnamed'} — {len(people)}")
        view.empty_hint.setText("" if people else (
            "Nobody is named yet. Open Unnamed, pick a group of faces and name it." if named else
            "No unnamed groups: faces seen at least twice are grouped as photos are analysed."))
        view.name_button.setText("Rename…" if named else "Name this person…")
        self.people_model.set_items(people)
        self.opened.emit(view)

    def show_review(self) -> None:
        """The largest group offered a name ("Unnamed #12 — Ann?": one answer settles it), else
        the named person with most suggestions waiting, on their faces page."""
        questions = browse.group_questions(self.library)
        if questions:
            self.open_person(questions[0])
            return
        queue = browse.review_queue(self.library, refit_body_suggestions(self.library))
        if not queue:
            QMessageBox.information(self.window, "Needs review", "No suggestions are waiting for review.")
            return
        self.open_person(get_person(self.library, queue[0][0]))

    def open_person(self, person: PersonSummary) -> None:
        self.person = person
        faces = browse.person_faces(self.library, person.id, refit_body_suggestions(self.library))
        waiting = sum(not f.confirmed for f in faces)
        # One instance per photo: a face, or a body suggested where the face does not show.
        self.faces_view.heading.setText(f"{person.label} — in {plural(len(faces), 'photo')}"
                                        + (f", {waiting} to review" if waiting else ""))
        offer = f"Yes, {person.likely_name}…" if person.likely_name else "Name this person…"
        self.faces_view.name_button.setText("Rename…" if person.name else offer)
        self.faces_view.not_likely_button.setText(f"Not {person.likely_name}")
        self.faces_view.not_likely_button.setVisible(person.likely_name is not None)
        self.faces_model.set_items(faces)
        self.opened.emit(self.faces_view)
        self.faces_view.grid.setFocus()

    def _open_person(self, index: QModelIndex) -> None:
        self.open_person(index.data(ItemRole))

    def _show_person_photos(self) -> None:
        if self.person is not None:
            self.show_photos.emit(self.person.label, browse.list_photos(self.library, person_ids=[self.person.id]))

    # ----- selections -------------------------------------------------------------------
    def _selected(self, grid) -> list:
        indexes = sorted(grid.selectionModel().selectedIndexes(), key=lambda i: i.row())
        return [index.data(ItemRole) for index in indexes]

    def _selected_people(self) -> list[PersonSummary]:
        return self._selected(self.people_view.grid)

    def _selected_faces(self) -> list[browse.PersonInstanceTile]:
        return self._selected(self.faces_view.grid)

    def _ask_name(self, prompt: str, current: str = "") -> str | None:
        names = [p.name for p in list_people(self.library, include_hidden=True) if p.name]
        dialog = NameDialog(names, prompt, current, self.window)
        try:
            return dialog.name() if dialog.exec() else None
        finally:
            dialog.deleteLater()  # parented to the window, it would otherwise live as long

    def _run(self, action, *args) -> object | None:
        self.writer.wait_idle()
        try:
            result = action(*args)
        except PeopleActionError as error:
            QMessageBox.warning(self.window, "AlbumTag", str(error))
            return None
        self.changed.emit()
        return result

    # ----- people actions ---------------------------------------------------------------
    def name_selected_person(self) -> None:
        people = self._selected_people()
        if len(people) == 1:
            self._name(people[0])

    def name_current_person(self) -> None:
        if self.person is not None:
            self._name(self.person)

    def _name(self, person: PersonSummary) -> None:
        name = self._ask_name(f"Who is this? ({person.instances} faces)", person.name or person.likely_name or "")
        if name and self._run(self.actions.name_person, person.id, name) is not None:
            self.refresh_page()

    def refuse_likely_name(self) -> None:
        """The open group is not the person it was offered: each of its faces is rejected for
        them (undoable), so the offer does not return."""
        person = self.person
        if person is None or person.likely_person_id is None:
            return
        faces = browse.person_faces(self.library, person.id, refit_body_suggestions(self.library))
        ids = [f.instance_id for f in faces]
        if self._run(self.actions.reject, ids, person.likely_person_id) is not None:
            self.refresh_page()

    def merge_selected(self) -> None:
        people = self._selected_people()
        if len(people) < 2:
            return
        target = next((p for p in people if p.name), max(people, key=lambda p: p.instances))
        self._run(self.actions.merge, [p.id for p in people if p.id != target.id], target.id)
        self.refresh_page()

    def merge_dropped(self, rows: list[int], target_row: int) -> None:
        """People dragged onto someone are that someone."""
        target = self.people_model.item(target_row)
        self._run(self.actions.merge, [self.people_model.item(r).id for r in rows], target.id)
        self.refresh_page()

    def hide_selected(self) -> None:
        for person in self._selected_people():
            self._run(self.actions.set_hidden, person.id, True)
        self.refresh_page()

    def delete_selected(self) -> None:
        people = self._selected_people()
        if people and QMessageBox.question(
                self.window, "Delete", f"Forget {', '.join(p.label for p in people)}? "
                "Their faces stay in your photos as unknown.") == QMessageBox.StandardButton.Yes:
            for person in people:
                self._run(self.actions.delete_person, person.id)
            self.refresh_page()

    # ----- face actions (in place, no jump) ---------------------------------------------
    def confirm_selected_faces(self) -> None:
        faces = [f for f in self._selected_faces() if not f.confirmed]
        if self.person is None or not faces:
            return
        self.faces_model.replace_items([f.confirmed_copy() for f in faces])
        ids, person_id = [f.instance_id for f in faces], self.person.id
        self.writer.submit(lambda: self._decide(self.actions.confirm, ids, person_id))
        self.decided.emit()

    def reject_selected_faces(self) -> None:
        faces = self._selected_faces()
        if self.person is None or not faces:
            return
        first_row = self.faces_view.grid.selectionModel().selectedIndexes()[0].row()
        self.faces_model.remove_items(faces)
        ids, person_id = [f.instance_id for f in faces], self.person.id
        self.writer.submit(lambda: self._decide(self.actions.reject, ids, person_id))
        self.decided.emit()
        row = min(first_row, self.faces_model.rowCount() - 1)
        if row >= 0:
            self.faces_view.grid.setCurrentIndex(self.faces_model.index(row))

    def move_selected_faces(self) -> None:
        """The selected faces are someone else, named in the dialog (an existing name or a new
        person): they are confirmed as that person, and recorded as not the one whose page this
        is, in one undoable step."""
        faces = self._selected_faces()
        if self.person is None or not faces:
            return
        name = self._ask_name(f"Who is this? ({plural(len(faces), 'face')})")
        if name and self._run(self.actions.assign_new_name, [f.instance_id for f in faces], name,
                              self.person.id) is not None:
            self.refresh_page()

    def _decide(self, action, ids: list[int], person_id: int) -> None:
        """On the writer's thread: the decision, then the re-ranking it causes (PIPER's body
        suggestions are refitted), so the counts the window reads next come from the cache."""
        action(ids, person_id)
        refit_body_suggestions(self.library)

    def _write_failed(self, message: str) -> None:
        """A decision shown on the page did not reach the library: show the library's state."""
        QMessageBox.warning(self.window, "AlbumTag", message)
        self.refresh_page()

    def undo(self) -> str | None:
        self.writer.wait_idle()
        label = self.actions.undo()
        if label:
            self.changed.emit()
            self.refresh_page()
        return label

    def refresh_page(self) -> None:
        if self.faces_view.isVisible() and self.person is not None:
            match = get_person(self.library, self.person.id)
            if match is not None:
                self.open_person(match)
                return
        self.show_people(self.named)
