"""Adding a folder as an album."""

from __future__ import annotations

import threading
from pathlib import Path

from albumtag.app.albums import add_album
from albumtag.library.database import Library


def test_one_folder_added_from_many_processes_at_once_is_one_album(tmp_path: Path) -> None:
    """Each import adds its folders before it takes the library's writer lock, so two imports
    of a new folder started together both add it: they must agree on one album, not fail on
    the unique root (as CI once saw with a select-then-insert)."""
    folder = tmp_path / "album"
    folder.mkdir()
    path = tmp_path / "lib.albumtag"
    Library.open(path).close()
    libraries = [Library.open(path) for _ in range(6)]
    start = threading.Barrier(len(libraries))
    ids: list[int] = []
    errors: list[BaseException] = []

    def add(library: Library) -> None:
        start.wait()
        try:
            ids.append(add_album(library, folder))
        except BaseException as error:  # collected and asserted below, on the main thread
            errors.append(error)

    threads = [threading.Thread(target=add, args=(library,)) for library in libraries]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for library in libraries:
        library.close()
    assert errors == []
    assert len(ids) == len(libraries) and len(set(ids)) == 1
