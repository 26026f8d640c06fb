"""Screenshots of every screen, for README.md: a real window on an X server (run under Xvfb).

    xvfb-run -s "-screen 0 1600x1000x24" python docs/make_screenshots.py

Imports the bundled sample album into a temporary library, then shows each page in turn and
saves ``docs/screenshots/<page>.png``. Needs a display; refuses the offscreen platform, since
the point is to see what a person sees.
"""

from __future__ import annotations

import os
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
    dialog = window.personalise()
    end = time.monotonic() + 120
    while dialog.running and time.monotonic() < end:
        settle(app, window, 0.5)
    settle(app, window)
    dialog.grab().save(str(OUT / "personalise.png"))
    print(f"saved {OUT / 'personalise.png'}")
    dialog.close()


def main() -> None:
    if os.environ.get("QT_QPA_PLATFORM", "") == "offscreen" or not os.environ.get("DISPLAY"):
        sys.exit("run under an X server (xvfb-run), not offscreen")
    from albumtag.gui.main_window import MainWindow
    from albumtag.library.database import Library
    from albumtag.runtime.resources import sample_album_dir

    app = QApplication(sys.argv[:1])
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        library = Library.open(Path(tmp) / "screens.albumtag")
        window = MainWindow(library)
        window.resize(1280, 820)
        window.show()
        window.start_import([sample_album_dir()], "Sample album")
        settle(app, window, 4.0)
        shoot(app, window, "import-progress")
        while window.worker is not None:
            settle(app, window, 0.5)
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
        window.people.open_person(next(p for p in people.people_model.items() if p.name == "Angelina Jolie"))
        shoot(app, window, "person-faces")
        window.sidebar.setCurrentItem(window._find_nav(("errors", None)))
        shoot(app, window, "errors")
        search_two_people(app, window, people)
        settings_dialog(app, window)
        personalise_dialog(app, window)
        window.close()
        library.close()


if __name__ == "__main__":
    main()
