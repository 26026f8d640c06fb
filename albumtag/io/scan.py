"""Walking an album's folder tree: every photo file with its size and modification time."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from albumtag.io.formats import is_photo_name


@dataclass(frozen=True)
class ScannedFile:
    relpath: str  # POSIX path relative to the album root
    size: int
    mtime_ns: int


def scan_folder(root: Path) -> Iterator[ScannedFile]:
    """Photo files below ``root``, recursively, skipping hidden files and folders.

    Unreadable sub-folders are skipped (they show up as missing photos rather than failing
    the whole scan); symlinked folders are not followed, so a link cycle cannot loop.
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
                elif is_photo_name(entry.name) and entry.is_file():
                    stat = entry.stat()
                    relpath = Path(entry.path).relative_to(root).as_posix()
                    yield ScannedFile(relpath, stat.st_size, stat.st_mtime_ns)
            except OSError:
                continue
