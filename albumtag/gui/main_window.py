"""The main window's controller: sidebar navigation, pages, and import/rescan in the background
(the File menu's export, backup and restore run the same way, through ``InteropController``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time
from functools import partial
from pathlib import Path

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox, QTableWidgetItem, QTreeWidgetItem

from albumtag.app import browse
from albumtag.app.identification import refit_body_suggestions
from albumtag.app.importer import ImportReport, background_left, import_folders, rescan, resume_background
from albumtag.app.people import list_people
from albumtag.app.progress import CancelToken, Progress
from albumtag.app.settings import EngineSettings
from albumtag.app.status import library_status, photo_failures
from albumtag.gui.dialogs.settings_dialog import SettingsDialog
from albumtag.gui.interop_controller import InteropController
from albumtag.gui.models.photo_list_model import PhotoListModel
from albumtag.gui.models.thumbnail_list_model import ItemRole
from albumtag.gui.people_controller import PeopleController
from albumtag.gui.settings_store import load_engine_settings, save_engine_settings, save_library_path
from albumtag.gui.text import plural
from albumtag.gui.thumbnail_loader import ThumbnailLoader, pil_to_qimage
from albumtag.gui.training_controller import TrainingController
from albumtag.gui.views.main_window_view import MainWindowView
from albumtag.gui.workers import Job, PipelineWorker
from albumtag.io.decode import decode_file
from albumtag.io.errors import PhotoError
from albumtag.library.database import Library
from albumtag.runtime.inference_model import device_in_use

NavRole = Qt.ItemDataRole.UserRole + 10
PHOTO_VIEW_LONG_SIDE = 2560


def _full_image(path: Path):
    try:
        return pil_to_qimage(decode_file(path, PHOTO_VIEW_LONG_SIDE)[1])
    except PhotoError:
        from PySide6.QtGui import QImage

        return QImage()


class MainWindow(MainWindowView):
    def __init__(self, library: Library, settings: EngineSettings | None = None) -> None:
        super().__init__()
        self.library = library
        self.settings = settings or load_engine_settings()
        self.worker: PipelineWorker | None = None
        self._pause: CancelToken | None = None  # stops the running import's background pass
        self.loader = ThumbnailLoader(self)
        self.photo_model = PhotoListModel(library.thumbnails_dir, self.loader, self)
        self.grid.setModel(self.photo_model)
        self.people = PeopleController(library, self.people_view, self.faces_view, self.loader, self)
        self.people.unnamed_min_faces = self.settings.grouping.min_group
        self.interop = InteropController(library, self, self._start)
        self.training = TrainingController(library, self, busy=lambda: self.worker is not None,
                                           refresh=self.start_rescan, changed=lambda: self.refresh(reload_page=False))
        self._current_photo: browse.PhotoItem | None = None
        self._nav: tuple[str, int | None] = ("all", None)
        self._connect()
        self.refresh()

    def _connect(self) -> None:
        self.add_folder_action.triggered.connect(self.choose_folder)
        self.rescan_action.triggered.connect(self.start_rescan)
        self.export_xmp_action.triggered.connect(self.interop.export_xmp)
        self.backup_action.triggered.connect(self.interop.backup)
        self.restore_action.triggered.connect(self.interop.restore)
        self.quit_action.triggered.connect(self.close)
        self.undo_action.triggered.connect(self.undo)
        self.settings_action.triggered.connect(self.open_settings)
        self.personalise_action.triggered.connect(self.training.personalise)
        self.train_action.triggered.connect(self.training.train)
        self.rollback_action.triggered.connect(self.training.rollback)
        self.search_bar.search_requested.connect(self.search)
        self.sidebar.currentItemChanged.connect(self._on_nav)
        self.grid.activated.connect(self._open_photo)
        self.photo_view.back_requested.connect(lambda: self.pages.setCurrentWidget(self.grid_page))
        self.progress_panel.cancel_button.clicked.connect(self.cancel_work)
        self.progress_panel.pause_button.clicked.connect(self.pause_work)
        self.progress_panel.resume_button.clicked.connect(self.resume_background)
        self.loader.ready.connect(self._on_image_loaded)
        self.people.changed.connect(self._on_people_changed)
        self.people.decided.connect(lambda: self.undo_action.setEnabled(True))  # before it is written
        self.people.show_photos.connect(self.show_photos)
        self.people.opened.connect(self.pages.setCurrentWidget)

    # ----- navigation -------------------------------------------------------------------
    def refresh(self, reload_page: bool = True) -> None:
        """Rebuild the sidebar (with fresh counts); reload the current page if asked."""
        status = library_status(self.library)
        failures = status.stages.get("decode", {}).get("failed", 0)
        self.sidebar.blockSignals(True)
        self.sidebar.clear()
        self._nav_item("All photos", ("all", None))
        albums = QTreeWidgetItem(self.sidebar, ["Albums"])
        albums.setFlags(albums.flags() & ~Qt.ItemFlag.ItemIsSelectable)
        for album in browse.list_albums(self.library):
            self._nav_item(f"{album.name}  ({album.photos})", ("album", album.id), albums)
        albums.setExpanded(True)
        self._nav_item("People", ("people", None))
        self._nav_item("Unnamed", ("unnamed", None))
        waiting = (sum(n for _, _, n in browse.review_queue(self.library, refit_body_suggestions(self.library)))
                   + sum(p.instances for p in browse.group_questions(self.library)))
        self._nav_item(f"Needs review  ({waiting})" if waiting else "Needs review", ("review", None))
        self._nav_item(f"Errors  ({failures})" if failures else "Errors", ("errors", None))
        current = self._find_nav(self._nav) or self.sidebar.topLevelItem(0)
        self.sidebar.setCurrentItem(current)
        self.sidebar.blockSignals(False)
        if reload_page:
            self._on_nav(current)
        self.search_bar.set_names([p.name for p in list_people(self.library, include_hidden=True) if p.name])
        self.status_label.setText(f"{plural(status.photos, 'photo')} in {plural(status.albums, 'album')} · "
                                  f"{plural(status.instances, 'person', 'people')} seen · {status.people} named")
        if self.worker is None:
            self._offer_resume()

    def _offer_resume(self) -> None:
        """A background pass left undone (paused, or the app closed during it) is offered again."""
        left = background_left(self.library)
        if left:
            self.progress_panel.show_paused(left)
        else:
            self.progress_panel.setVisible(False)

    def _nav_item(self, text: str, target: tuple[str, int | None], parent=None) -> QTreeWidgetItem:
        item = QTreeWidgetItem(parent or self.sidebar, [text])
        item.setData(0, NavRole, target)
        return item

    def _find_nav(self, target: tuple[str, int | None]) -> QTreeWidgetItem | None:
        pending = [self.sidebar.topLevelItem(i) for i in range(self.sidebar.topLevelItemCount())]
        while pending:
            item = pending.pop(0)
            if item.data(0, NavRole) == target:
                return item
            pending.extend(item.child(i) for i in range(item.childCount()))
        return None

    def _on_nav(self, item: QTreeWidgetItem | None, _previous=None) -> None:
        target = item.data(0, NavRole) if item else None
        if not target:
            return
        self._nav = tuple(target)
        kind, key = self._nav
        if kind in ("all", "album") and self.search_bar.filtering():
            self.search()  # the filters shown stay in force in the album chosen
        elif kind == "all":
            self.show_photos("All photos", browse.list_photos(self.library))
        elif kind == "album":
            self.show_photos(self._scope_title(), browse.list_photos(self.library, album_id=key))
        elif kind in ("people", "unnamed"):
            self.people.show_people(named=kind == "people")
        elif kind == "review":
            self.people.show_review()
        elif kind == "errors":
            self.show_errors()

    def search(self) -> None:
        """Photos of the current album (or all) showing every typed person, in the date range."""
        bar = self.search_bar
        person_ids, unknown = browse.people_named(self.library, bar.typed_names())
        if unknown:
            self.statusBar().showMessage(f"Nobody is called {', '.join(unknown)}", 6000)
            return
        kind, key = self._nav
        since = until = None
        if bar.dated.isChecked():
            since = datetime.combine(bar.since.date().toPython(), time.min)
            until = datetime.combine(bar.until.date().toPython(), time.max)
        photos = browse.list_photos(self.library, album_id=key if kind == "album" else None,
                                    person_ids=person_ids, since=since, until=until)
        self.show_photos(" and ".join(bar.typed_names()) or self._scope_title(), photos)

    def _scope_title(self) -> str:
        """What a search without names looks through: the sidebar's album, or all photos."""
        kind, _ = self._nav
        item = self._find_nav(self._nav) if kind == "album" else None
        return item.text(0).rsplit("  (", 1)[0] if item is not None else "All photos"

    def open_settings(self) -> None:
        dialog = SettingsDialog(self.settings, self.library.path, device_in_use(self.settings.device), self)
        if dialog.exec():
            self.settings = dialog.engine_settings(self.settings)
            save_engine_settings(self.settings)
            self.people.unnamed_min_faces = self.settings.grouping.min_group
            if dialog.library_path() != self.library.path:
                save_library_path(dialog.library_path())
                self.statusBar().showMessage("The new library opens the next time AlbumTag starts.", 8000)

    def show_photos(self, title: str, photos: list[browse.PhotoItem]) -> None:
        self.grid_heading.setText(f"{title} — {plural(len(photos), 'photo')}")
        self.photo_model.set_items(photos)
        self.pages.setCurrentWidget(self.grid_page)

    def show_errors(self) -> None:
        failures = photo_failures(self.library)
        table = self.errors_view.table
        table.setRowCount(len(failures))
        for row, failure in enumerate(failures):
            reason = f"Warning: {failure.reason}" if failure.warning else failure.reason
            for column, text in enumerate((str(failure.path), failure.stage, reason)):
                table.setItem(row, column, QTableWidgetItem(text))
        warnings = sum(failure.warning for failure in failures)
        self.errors_view.heading.setText(
            f"Errors — {plural(len(failures) - warnings, 'photo')} could not be read"
            + (f", {plural(warnings, 'photo')} imported with warnings" if warnings else ""))
        self.pages.setCurrentWidget(self.errors_view)

    def _open_photo(self, index: QModelIndex) -> None:
        photo: browse.PhotoItem = index.data(ItemRole)
        self._current_photo = photo
        taken = photo.taken_at.strftime("%d %B %Y, %H:%M") if photo.taken_at else "date unknown"
        self.photo_view.title.setText(f"{photo.path.name} · {taken}")
        self.photo_view.canvas.show_photo(self.photo_view.canvas.image, [])
        self.pages.setCurrentWidget(self.photo_view)
        self.loader.request(f"full:{photo.id}", partial(_full_image, photo.path))
        self._on_image_loaded(f"full:{photo.id}")

    def _on_image_loaded(self, key: str) -> None:
        photo = self._current_photo
        if photo is None or key != f"full:{photo.id}":
            return
        pixmap = self.loader.cached(key)
        if pixmap is not None:
            self.photo_view.canvas.show_photo(pixmap.toImage(), browse.photo_instances(self.library, photo.id))

    def _on_people_changed(self) -> None:
        self.undo_action.setEnabled(self.people.actions.can_undo or self.people.writer.pending > 0)
        label = self.people.actions.undo_label
        self.undo_action.setText(f"&Undo {label}" if label else "&Undo")
        self.refresh(reload_page=False)

    def undo(self) -> None:
        label = self.people.undo()
        if label:
            self.statusBar().showMessage(f"Undone: {label}", 5000)

    # ----- background work ---------------------------------------------------------------
    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Add a folder of photos as an album")
        if folder:
            self.start_import([Path(folder)])

    def start_import(self, folders: list[Path], album_name: str | None = None) -> None:
        self._start_pipeline(import_folders, folders, album_name, done="Import finished.")

    def start_rescan(self) -> None:
        self._start_pipeline(rescan, done="Rescan finished.")

    def resume_background(self) -> None:
        self._start_pipeline(resume_background, done="Finding people finished.")

    def _start_pipeline(self, run: Callable[..., ImportReport], *args: object, done: str) -> None:
        """``run(library, *args, progress, cancel, settings=, pause=)`` (an import, rescan or
        resume) on the worker thread, with Pause for its background pass."""
        pause = CancelToken()
        self._start(lambda progress, cancel: run(self.library, *args, progress, cancel, settings=self.settings,
                                                 pause=pause),
                    on_finished=partial(self._import_finished, done=done), pause=pause)

    def _start(self, job: Job, on_finished: Callable[[object], None] | None = None,
               on_failed: Callable[[str], None] | None = None, pause: CancelToken | None = None) -> None:
        """Run ``job`` on the worker thread, one job at a time (each of them writes to the
        library); ``on_finished`` / ``on_failed`` get its result or error (an import's by default);
        ``pause`` is what the Pause button sets, for a job with a background pass."""
        if self.worker is not None:
            QMessageBox.information(self, "AlbumTag", "An import or export is already running; "
                                                      "wait for it or cancel it.")
            return
        self._pause = pause
        self.worker = PipelineWorker(job)
        self._then = (on_finished or self._import_finished, on_failed or self._import_failed)
        self._last_stage = None
        self.worker.progress.connect(self.progress_panel.show_progress)
        self.worker.progress.connect(self._on_progress)
        self.worker.finished.connect(self._on_finished)
        self.worker.failed.connect(self._on_failed)
        self._set_busy(True)
        self.worker.start()

    def _set_busy(self, busy: bool) -> None:
        for action in (self.add_folder_action, self.rescan_action, self.export_xmp_action, self.backup_action,
                       self.restore_action):
            action.setEnabled(not busy)

    def _on_progress(self, progress: Progress) -> None:
        """When a stage ends its photos are in the library, and when grouping ends its groups:
        show them without waiting for the whole import (the page reloads only then, never
        mid-stage, so scrolling is not lost)."""
        if progress.stage != self._last_stage:
            if self._last_stage is not None:
                self.refresh(reload_page=self.pages.currentWidget() in (self.grid_page, self.people_view))
            self._last_stage = progress.stage

    def cancel_work(self) -> None:
        if self.worker is not None:
            self.worker.cancel()
            self.progress_panel.label.setText("Cancelling after the current batch…")

    def pause_work(self) -> None:
        if self._pause is not None:
            self._pause.cancel()
            self.progress_panel.label.setText("Pausing after the current photos…")

    def _done(self) -> None:
        if self.worker is not None:
            self.worker.thread.wait()
            self.worker = None
        self._pause = None
        self.progress_panel.setVisible(False)
        self._set_busy(False)
        self.refresh()

    def _on_finished(self, result: object) -> None:
        self._done()
        self._then[0](result)

    def _on_failed(self, message: str) -> None:
        self._done()
        self._then[1](message)

    def _import_finished(self, report: ImportReport, done: str = "Import finished.") -> None:
        failed = sum(stage.failed for stage in report.run.stages.values())
        note = ("Cancelled; finished work is kept." if report.run.cancelled else
                "Paused; people found so far are shown. Resume finishes finding people." if report.paused
                else done)
        if failed:
            note += f" {failed} photos could not be read (see Errors)."
        self.statusBar().showMessage(note, 10_000)

    def _import_failed(self, message: str) -> None:
        QMessageBox.warning(self, "AlbumTag", f"The import stopped: {message}\nFinished work is kept.")

    def closeEvent(self, event) -> None:
        if self.worker is not None:
            self.worker.cancel()
            self.worker.thread.wait()
        self.people.writer.stop()
        self.loader.stop()
        super().closeEvent(event)
