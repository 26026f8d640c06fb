"""File › Export tags to XMP…, Back up people and tags…, Restore from backup….

Each asks what to do (where to write, which file), then runs the app layer's function
(``albumtag.app.xmp_export``, ``albumtag.app.backup``) as a background job of the main window,
so the window stays usable and no import runs on the library at the same time; progress
shows in the status bar. The outcome comes in a message box that does not block (counts, and
each file that could not be written in its details) and in the status bar.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QFileDialog, QMainWindow, QMessageBox

from albumtag.app.backup import BackupReport, RestoreReport, backup, restore
from albumtag.app.xmp_export import ExportReport, export_xmp
from albumtag.gui.text import plural
from albumtag.gui.workers import Job
from albumtag.library.database import Library

# (job, what to do with its result, what to do with its error message)
StartJob = Callable[[Job, Callable[[object], None], Callable[[str], None]], None]
BACKUP_FILTER = "AlbumTag backups (*.json)"
EXPORT_QUESTION = "Where should AlbumTag write who is in each photo?"
EXPORT_DETAILS = (
    "Sidecar files (photo.jpg.xmp beside each photo) are read by digiKam, Lightroom, darktable, "
    "Immich and exiftool. Your photos stay untouched.\n\n"
    "Into the photos changes the original files: JPEG and PNG files get the people in their own "
    "XMP (pixels and all other metadata are kept; other formats get a sidecar). Back up your "
    "photos before choosing this.")


def ask_export_target(parent: QMainWindow) -> bool | None:
    """True to write into the photo files, False for sidecars, None when cancelled."""
    box = QMessageBox(QMessageBox.Icon.Question, "Export tags to XMP", EXPORT_QUESTION, parent=parent)
    box.setInformativeText(EXPORT_DETAILS)
    sidecars = box.addButton("Sidecar files", QMessageBox.ButtonRole.AcceptRole)
    sidecars.setObjectName("sidecars")
    originals = box.addButton("Into the photos", QMessageBox.ButtonRole.DestructiveRole)
    originals.setObjectName("intoOriginals")
    box.addButton(QMessageBox.StandardButton.Cancel).setObjectName("cancel")
    box.setDefaultButton(sidecars)
    box.exec()
    clicked = box.clickedButton()
    return clicked is originals if clicked in (sidecars, originals) else None


def default_backup_name(today: date | None = None) -> str:
    return f"albumtag-backup-{(today or date.today()):%Y-%m-%d}.json"


class InteropController(QObject):
    """The three File menu entries; ``start`` is the window's way to run a background job."""

    def __init__(self, library: Library, window: QMainWindow, start: StartJob) -> None:
        super().__init__(window)
        self.library = library
        self.window = window
        self.start = start

    # ----- the menu entries ---------------------------------------------------------------
    def export_xmp(self) -> None:
        into_originals = ask_export_target(self.window)
        if into_originals is None:
            return
        self.start(lambda progress, cancel: export_xmp(self.library, None, into_originals, progress, cancel),
                   lambda report: self._exported(report, into_originals), self._failed("Export"))

    def backup(self) -> None:
        name, _ = QFileDialog.getSaveFileName(self.window, "Back up people and tags",
                                              str(Path.home() / default_backup_name()), BACKUP_FILTER)
        if name:
            target = Path(name)
            self.start(lambda _progress, _cancel: backup(self.library, target),
                       lambda report: self._backed_up(report, target), self._failed("Backup"))

    def restore(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self.window, "Restore from backup", str(Path.home()), BACKUP_FILTER)
        if name:
            source = Path(name)
            self.start(lambda _progress, _cancel: restore(self.library, source),
                       self._restored, self._failed("Restore"))

    # ----- outcomes -----------------------------------------------------------------------
    def _exported(self, report: ExportReport, into_originals: bool) -> None:
        if into_originals:
            text = (f"Wrote the people into {plural(report.into_originals, 'photo')}; "
                    f"{plural(report.unchanged, 'photo')} already had them, "
                    f"{plural(len(report.to_sidecar), 'photo')} got a sidecar file instead.")
        else:
            text = f"Wrote the people of {plural(report.written, 'photo')} into sidecar files."
        if report.cancelled:
            text += " Cancelled: the files written so far are kept."
        if report.failed:
            text += f" {plural(len(report.failed), 'file')} could not be written (see the details)."
        details = [f"{path}: sidecar instead: {why}" for path, why in report.to_sidecar]
        details += [f"{path}: not written: {why}" for path, why in report.failed]
        self._tell("Export tags to XMP", text, details)

    def _backed_up(self, report: BackupReport, target: Path) -> None:
        self._tell("Back up people and tags",
                   f"Saved {plural(report.people, 'person', 'people')} and {plural(report.tags, 'tag')} "
                   f"on {plural(report.photos, 'photo')} to {target}.")

    def _restored(self, report: RestoreReport) -> None:
        text = (f"Restored {plural(report.tags.linked, 'tag')} and {plural(report.people, 'person', 'people')} "
                f"on {plural(report.photos_found, 'photo')}.")
        if report.photos_missing:
            text += f" {plural(report.photos_missing, 'photo')} of the backup are not in this library."
        if report.tags.skipped:
            text += (f" {plural(report.tags.skipped, 'tag')} left out: a decision in this library differs, "
                     "or there is no face to put them on.")
        self._tell("Restore from backup", text)

    def _failed(self, what: str) -> Callable[[str], None]:
        return lambda message: self._tell(what, f"{what} failed: {message}", icon=QMessageBox.Icon.Warning)

    def _tell(self, title: str, text: str, details: list[str] | None = None,
              icon: QMessageBox.Icon = QMessageBox.Icon.Information) -> None:
        """The outcome in the status bar and in a box that does not block the window."""
        self.window.statusBar().showMessage(text, 15_000)
        box = QMessageBox(icon, title, text, parent=self.window)
        if details:
            box.setDetailedText("\n".join(details))
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
