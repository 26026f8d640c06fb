"""Walking an album's folder tree: every photo file with its size and modification time, and
when the photos' XMP sidecars were last written."""

from __future__ import annotations

import errno
import os
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from albumtag.io.formats import is_photo_name
from albumtag.io.metadata import sidecar_paths


@dataclass(frozen=True)
class ScannedFile:
    relpath: str  # POSIX path relative to the album root
    size: int
    mtime_ns: int


def scan_folder(root: Path) -> Iterator[ScannedFile]:
    """Photo files below ``root``, recursively, skipping hidden files and folders.

    Unreadable sub-folders are skipped (they show up as missing photos rather than failing
    the whole scan); symlinked folders are not followed, so a link cycle cannot loop. A photo's
    name that is a symbolic link loop is listed anyway, with the link's own size and time: it
    is never a photo, and the import then lists it with the reason instead of leaving it out
    silently. A link whose target is gone is left out like a deleted file (it shows up as a
    missing photo, as links to a drive that is not plugged in should).
    """
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in sorted(entries, key=lambda e: e.name):
            if entry.name.startswith("."):
                continue
            try:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(Path(entry.path))
                elif is_photo_name(entry.name) and (stat := _photo_stat(entry)) is not None:
                    relpath = Path(entry.path).relative_to(root).as_posix()
                    yield ScannedFile(relpath, stat.st_size, stat.st_mtime_ns)
            except OSError:
                continue


def _photo_stat(entry: os.DirEntry) -> os.stat_result | None:
    """The file's size and times; the link's own for a symbolic link loop (see
    ``scan_folder``); None for what is not a file."""
    try:
        return entry.stat() if entry.is_file() else None
    except OSError as error:
        if error.errno == errno.ELOOP:
            return entry.stat(follow_symlinks=False)
        raise


def sidecar_mtimes(root: Path, relpaths: Iterable[str]) -> dict[str, int]:
    """Photo relpath -> the newest modification time (ns) of its XMP sidecars, for the photos
    that have one. One directory listing per folder rather than two stats per photo, so a
    rescan stays about as cheap as the walk; an unreadable folder reports nothing. Names are
    compared as the file system does (``normcase``: "IMG_1.XMP" is the sidecar on Windows)."""
    by_folder: dict[PurePosixPath, list[str]] = defaultdict(list)
    for relpath in relpaths:
        by_folder[PurePosixPath(relpath).parent].append(relpath)
    found: dict[str, int] = {}
    for folder, photos in by_folder.items():
        try:
            with os.scandir(root / folder) as entries:
                times = {os.path.normcase(entry.name): mtime for entry in entries
                         if os.path.normcase(entry.name).endswith(".xmp") and (mtime := _mtime(entry)) is not None}
        except OSError:
            continue
        for relpath in photos:
            names = [os.path.normcase(path.name) for path in sidecar_paths(root / relpath)]
            written = [times[name] for name in names if name in times]
            if written:
                found[relpath] = max(written)
    return found


def _mtime(entry: os.DirEntry) -> int | None:
    """The entry's modification time; None for one that vanished or is a broken link, which
    must not hide the other sidecars of its folder."""
    try:
        return entry.stat().st_mtime_ns
    except OSError:
        return None
