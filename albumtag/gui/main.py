"""Starting the desktop app: open (or on first run, create) the library and show the window."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from albumtag import __version__
from albumtag.gui.settings_store import saved_library_path
from albumtag.library.database import Library
from albumtag.library.errors import LibraryError
from albumtag.paths import default_library_path, env_library_path
from albumtag.runtime.resources import icon_path, sample_album_dir


def run_gui(library_path: Path | None = None, argv: list[str] | None = None) -> int:
    app = QApplication.instance() or QApplication(argv or sys.argv[:1])
    app.setApplicationName("AlbumTag")
    app.setApplicationVersion(__version__)
    app.setWindowIcon(QIcon(str(icon_path())))
    app.setDesktopFileName("albumtag")  # Wayland shows packaging/albumtag.desktop's icon and name
    # --library, then $ALBUMTAG_LIBRARY, then the one chosen in Settings, then the default.
    path = library_path or env_library_path() or saved_library_path() or default_library_path()
    first_run = not path.exists()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        library = Library.open(path)
    except (LibraryError, OSError) as error:
        QMessageBox.critical(None, "AlbumTag", f"The library cannot be opened.\n\n{error}")
        return 1
    from albumtag.gui.main_window import MainWindow

    window = MainWindow(library)
    window.show()
    if first_run and sample_album_dir().is_dir():
        window.start_import([sample_album_dir()], "Sample album")
    code = app.exec()
    library.close()
    return code
