"""Screenshots of every screen, for README.md: a real window on an X server (run under Xvfb).

    xvfb-run -s "-screen 0 1600x1000x24" python docs/make_screenshots.py

Imports the bundled sample album into a temporary library, then shows each page in turn and
saves ``docs/screenshots/<page>.png``. Needs a display; refuses the offscreen platform, since
the point is to see what a person sees.

Three screens need a library in a particular state, so each gets its own small one (temporary,
built from the sample album's photos): Needs review (a person named, then new photos of
them arrive), a suggestion made from the body when the face is hidden, and a hidden-face
body joining its unnamed group by the clothes of the day. Models trained by
the Train models shot go to a temporary ``ALBUMTAG_MODELS_HOME`` and are discarded.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from PySide6.QtWidgets import QApplication

OUT = Path(__file__).resolve().parent / "screenshots"


def settle(app: QApplication, window, seconds: float = 1.0) -> None:
    """Let queued signals, thumbnail loads and repaints finish."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.02)
    window.loader.wait_idle()
    app.processEvents()


def shoot(app: QApplication, window, name: str) -> None:
    settle(app, window)
    window.grab().save(str(OUT / f"{name}.png"))
    print(f"saved {OUT / name}.png")


def open_window(library):
    from albumtag.gui.main_window import MainWindow

    window = MainWindow(library)
    window.resize(1280, 820)
    window.show()
    return window


def wait_for_work(app: QApplication, window) -> None:
    """Until the import or rescan running in the background has finished."""
    while window.worker is not None:
        settle(app, window, 0.5)


def import_album(app: QApplication, album: Path, library_path: Path):
    """A new library at ``library_path`` with ``album`` imported through the window; both."""
    from albumtag.library.database import Library

    library = Library.open(library_path)
    window = open_window(library)
    window.start_import([album], album.name)
    wait_for_work(app, window)
    return library, window


def search_two_people(app: QApplication, window, people) -> None:
    """Name a second group, then search for photos showing both."""
    from albumtag.app.people import list_people

    unnamed = sorted((p for p in list_people(window.library) if p.name is None), key=lambda p: -p.photos)
    people.actions.name_person(unnamed[0].id, "Leonard")
    people.actions.name_person(unnamed[1].id, "Sheldon")
    window.refresh()
    window.sidebar.setCurrentItem(window._find_nav(("all", None)))
    window.search_bar.people_edit.setText("Leonard, Sheldon")
    window.search()
    shoot(app, window, "search")


def settings_dialog(app: QApplication, window) -> None:
    from albumtag.gui.dialogs.settings_dialog import SettingsDialog
    from albumtag.runtime.inference_model import device_in_use

    dialog = SettingsDialog(window.settings, window.library.path, device_in_use(window.settings.device), window)
    dialog.show()
    settle(app, window)
    dialog.grab().save(str(OUT / "settings.png"))
    print(f"saved {OUT / 'settings.png'}")
    dialog.close()


def personalise_dialog(app: QApplication, window) -> None:
    """Models › Personalise recognition, once the trainer has finished."""
    dialog = window.training.personalise()
    end = time.monotonic() + 120
    while dialog.running and time.monotonic() < end:
        settle(app, window, 0.5)
    settle(app, window)
    dialog.grab().save(str(OUT / "personalise.png"))
    print(f"saved {OUT / 'personalise.png'}")
    dialog.close()


def name_dialog(app: QApplication, window) -> None:
    """Naming an unnamed group: the name dialog with an existing name offered as one types
    (the completion list is a window of its own, so the screen is grabbed)."""
    from albumtag.gui.dialogs.name_dialog import NameDialog

    names = [p.name for p in window.people.people_model.items() if p.name]
    dialog = NameDialog(names, "Who is this? (4 faces)", "", window)
    dialog.show()
    dialog.activateWindow()
    dialog.edit.setFocus()
    settle(app, window)
    dialog.edit.completer().setCompletionPrefix("ang")
    dialog.edit.setText("Ang")
    dialog.edit.completer().complete()
    settle(app, window)
    popup = dialog.edit.completer().popup()
    area = dialog.frameGeometry().united(popup.frameGeometry()).adjusted(-8, -8, 8, 8)
    app.primaryScreen().grabWindow(0).copy(area).save(str(OUT / "name-dialog.png"))
    print(f"saved {OUT / 'name-dialog.png'}")
    dialog.close()
    dialog.deleteLater()


def file_menu(app: QApplication, window) -> None:
    """The File menu open (as a click on it opens it), Export tags to XMP highlighted; the
    screen is grabbed, since the menu is a window of its own, and cut to the window and menu."""
    window.search_bar.clear()
    window.refresh()  # All photos again (Clear alone keeps the search's title)
    file_action = window.menuBar().actions()[0]
    menu = file_action.menu()
    window.menuBar().setActiveAction(file_action)
    settle(app, window)
    menu.setActiveAction(window.export_xmp_action)  # its status tip shows in the status bar
    settle(app, window)
    area = window.frameGeometry().united(menu.frameGeometry())
    app.primaryScreen().grabWindow(0).copy(area).save(str(OUT / "file-menu.png"))
    print(f"saved {OUT / 'file-menu.png'}")
    menu.hide()
    settle(app, window, 0.3)


def train_dialog(app: QApplication, window) -> None:
    """Models › Train models… for the body descriptor (what the menu runs for "parts"), a few
    progress lines in; then cancelled, which throws the unfinished model version away."""
    from albumtag.runtime import model_store

    dialog = window.training.train("parts")
    if dialog is None:
        print("skipped train-models.png: the trainer cannot run here")
        return
    end = time.monotonic() + 300
    while dialog.running and dialog.bar.value() < 40 and time.monotonic() < end:
        settle(app, window, 0.5)
    if dialog.running and dialog.bar.value() >= 40:
        settle(app, window)
        dialog.grab().save(str(OUT / "train-models.png"))
        print(f"saved {OUT / 'train-models.png'}")
    else:
        print(f"skipped train-models.png: no progress from the trainer ({dialog.message.text()})")
    dialog.reject()  # Cancel: kills the trainer and discards the new version folder
    settle(app, window)
    assert not model_store.versions() and model_store.active_version() is None, "a trained version was kept"


def needs_review(app: QApplication, root: Path) -> None:
    """Portraits with three photos held back; Angelina Jolie is named, then the three photos
    arrive and a rescan (F5) finds her in them: suggestions waiting under Needs review."""
    from albumtag.app import browse
    from albumtag.app.identification import refit_body_suggestions
    from albumtag.runtime.resources import sample_album_dir

    held_back = ("img5.jpg", "img6.jpg", "img7.jpg")
    portraits = sample_album_dir() / "Portraits"
    album = root / "Portraits"
    album.mkdir(parents=True)
    for photo in portraits.iterdir():
        if photo.name not in held_back:
            shutil.copy2(photo, album / photo.name)
    library, window = import_album(app, album, root / "review.albumtag")
    img1 = next(p for p in browse.list_photos(library) if p.path.name == "img1.jpg")
    person_id = next(i.person_id for i in browse.photo_instances(library, img1.id) if i.face_box)
    window.people.actions.name_person(person_id, "Angelina Jolie")
    window.people.changed.emit()
    for name in held_back:
        shutil.copy2(portraits / name, album / name)
    window.start_rescan()
    wait_for_work(app, window)
    if browse.review_queue(library, refit_body_suggestions(library)):
        window.sidebar.setCurrentItem(window._find_nav(("review", None)))
        faces = window.people.faces_model
        first = next(r for r in range(faces.rowCount()) if not faces.item(r).confirmed)
        window.faces_view.grid.setCurrentIndex(faces.index(first))
        shoot(app, window, "needs-review")
    else:  # the page would say so in a message box, which waits for a click
        print("skipped needs-review.png: no suggestions were made")
    window.close()
    library.close()


def body_suggestion(app: QApplication, root: Path) -> None:
    """bbt1 with its four people named from their faces, then a second shot of the scene
    (mirrored) where Sheldon's face is covered: he is suggested from his body and clothes."""
    from PIL import Image

    from albumtag.app import browse
    from albumtag.app.people import list_people
    from albumtag.evaluation.scenes import mirrored_with_face_covered
    from albumtag.runtime.resources import sample_album_dir

    album = root / "Friends"
    album.mkdir(parents=True)
    shutil.copy2(sample_album_dir() / "Friends" / "bbt1.jpg", album / "bbt1.jpg")
    library, window = import_album(app, album, root / "bodies.albumtag")
    photo = next(p for p in browse.list_photos(library) if p.path.name == "bbt1.jpg")
    faces = sorted((i for i in browse.photo_instances(library, photo.id) if i.face_box), key=lambda i: i.face_box[0])
    names = ("Raj", "Leonard", "Howard", "Sheldon")  # left to right
    for name, face in zip(names, faces):
        window.people.actions.assign_new_name([face.id], name)
    window.people.changed.emit()
    mirrored_with_face_covered(Image.open(album / "bbt1.jpg"), faces[-1].face_box).save(album / "bbt1-again.jpg",
                                                                                         quality=92)
    window.start_rescan()
    wait_for_work(app, window)
    sheldon = next(p for p in list_people(library) if p.name == "Sheldon")
    window.sidebar.setCurrentItem(window._find_nav(("people", None)))
    window.people.open_person(sheldon)
    faces_model = window.people.faces_model
    suggested = next((r for r in range(faces_model.rowCount()) if not faces_model.item(r).confirmed), None)
    if suggested is None:
        print("skipped body-suggestion.png: Sheldon's body was not suggested")
    else:
        window.faces_view.grid.setCurrentIndex(faces_model.index(suggested))
        shoot(app, window, "body-suggestion")
    window.close()
    library.close()


def same_day_body(app: QApplication, root: Path) -> None:
    """Three shots of bbt1 on one day (dated alike), the last mirrored with Sheldon's face
    covered: nobody is named, and his body joins his unnamed group by the day's clothes."""
    from PIL import Image

    from albumtag.app import browse
    from albumtag.app.people import list_people
    from albumtag.evaluation.scenes import burst_shot, mirrored_with_face_covered
    from albumtag.runtime.resources import sample_album_dir

    album = root / "Party"
    album.mkdir(parents=True)
    photo = Image.open(sample_album_dir() / "Friends" / "bbt1.jpg").convert("RGB")
    exif = Image.Exif()
    exif[0x0132] = "2024:06:01 10:00:00"  # DateTime: all three shots on one day
    photo.save(album / "bbt1.jpg", quality=92, exif=exif)
    library, window = import_album(app, album, root / "same-day.albumtag")
    shot = next(p for p in browse.list_photos(library) if p.path.name == "bbt1.jpg")
    sheldon = max((i for i in browse.photo_instances(library, shot.id) if i.face_box), key=lambda i: i.face_box[0])
    burst_shot(photo).save(album / "bbt1-burst.jpg", quality=92, exif=exif)
    mirrored_with_face_covered(photo, sheldon.face_box).save(album / "bbt1-again.jpg", quality=92, exif=exif)
    window.start_rescan()
    wait_for_work(app, window)
    person_id = next(i.person_id for i in browse.photo_instances(library, shot.id) if i.id == sheldon.id)
    group = next((p for p in list_people(library) if p.id == person_id), None)
    if group is None:
        print("skipped same-day-body.png: Sheldon's faces formed no group")
    else:
        window.sidebar.setCurrentItem(window._find_nav(("unnamed", None)))
        window.people.open_person(group)
        shoot(app, window, "same-day-body")
    window.close()
    library.close()


def main() -> None:
    if os.environ.get("QT_QPA_PLATFORM", "") == "offscreen" or not os.environ.get("DISPLAY"):
        sys.exit("run under an X server (xvfb-run), not offscreen")
    from albumtag.library.database import Library
    from albumtag.runtime.model_store import STORE_ENV
    from albumtag.runtime.resources import sample_album_dir

    app = QApplication(sys.argv[:1])
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ[STORE_ENV] = str(Path(tmp) / "models")  # trained models: never the user's
        library = Library.open(Path(tmp) / "screens.albumtag")
        window = open_window(library)
        window.start_import([sample_album_dir()], "Sample album")
        window.sidebar.setCurrentItem(window._find_nav(("unnamed", None)))
        while window.worker is not None and window._last_stage != "bodies":  # the people pass is done
            settle(app, window, 0.2)
        shoot(app, window, "import-progress")  # groups shown while the bodies pass runs
        window.pause_work()
        wait_for_work(app, window)
        shoot(app, window, "import-paused")
        window.resume_background()
        wait_for_work(app, window)
        window.sidebar.setCurrentItem(window._find_nav(("all", None)))
        shoot(app, window, "photos")
        grid = window.photo_model
        row = next(r for r in range(grid.rowCount()) if grid.item(r).path.name == "bbt3.jpg")
        window.grid.activated.emit(grid.index(row))
        shoot(app, window, "photo-with-people")
        window.sidebar.setCurrentItem(window._find_nav(("unnamed", None)))
        shoot(app, window, "unnamed")
        people = window.people
        first = people.people_model.item(0)
        people.actions.name_person(first.id, "Angelina Jolie")
        people.changed.emit()
        window.sidebar.setCurrentItem(window._find_nav(("people", None)))
        shoot(app, window, "people")
        name_dialog(app, window)
        window.people.open_person(next(p for p in people.people_model.items() if p.name == "Angelina Jolie"))
        shoot(app, window, "person-faces")
        window.sidebar.setCurrentItem(window._find_nav(("errors", None)))
        shoot(app, window, "errors")
        search_two_people(app, window, people)
        settings_dialog(app, window)
        personalise_dialog(app, window)
        file_menu(app, window)
        train_dialog(app, window)
        window.close()
        library.close()
        needs_review(app, Path(tmp) / "review")
        body_suggestion(app, Path(tmp) / "bodies")
        same_day_body(app, Path(tmp) / "same-day")


if __name__ == "__main__":
    main()
