"""GUI fixtures: a real main window on a given library, closed after the test; and a library
of five group photos imported once per session, of which each test gets its own copy."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from albumtag.app.importer import import_folders
from albumtag.gui.main_window import MainWindow
from albumtag.library.database import Library


@pytest.fixture
def open_window(qtbot) -> Iterator[Callable[[Library], MainWindow]]:
    windows: list[MainWindow] = []

    def open_on(library: Library) -> MainWindow:
        window = MainWindow(library)
        qtbot.addWidget(window)
        window.show()
        windows.append(window)
        return window

    yield open_on
    for window in windows:
        window.close()


@pytest.fixture(scope="session")
def friends_imported(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Path:
    """The five group photos of the same eight people, imported once (every stage, as the
    app imports); the pristine library file, never opened by a test."""
    root = tmp_path_factory.mktemp("friends")
    folder = root / "Friends"
    folder.mkdir()
    for i in range(1, 6):
        shutil.copy(shared_data / f"group-bbt/examples/images/bbt{i}.jpg", folder)
    library = Library.open(root / "pristine.albumtag")
    import_folders(library, [folder])
    library.close()
    return library.path


@pytest.fixture
def friends_library(friends_imported: Path, tmp_path: Path) -> Iterator[Library]:
    """This test's own copy of the imported library (same photos, same thumbnails), so it may
    change people freely."""
    copy = tmp_path / "friends.albumtag"
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{friends_imported}{suffix}").exists():
            shutil.copy(f"{friends_imported}{suffix}", f"{copy}{suffix}")
    shutil.copytree(f"{friends_imported}.thumbnails", f"{copy}.thumbnails")
    library = Library.open(copy)
    yield library
    library.close()
