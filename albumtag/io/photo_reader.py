"""Reading one photo for the library: hash, header, date and thumbnail, in one pass.

This is what the import's worker processes run, so it lives in ``io`` and imports nothing
beyond Pillow and its plugins: each worker stays small (no database or model code loaded).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from albumtag.io.decode import decode, read_bytes
from albumtag.io.hashing import content_hash
from albumtag.io.thumbnails import THUMBNAIL_SIZE, make_thumbnail, save_thumbnail, thumbnail_path


@dataclass(frozen=True)
class ReadJob:
    photo_id: int
    path: str
    thumbnails_dir: str


@dataclass(frozen=True)
class PhotoFacts:
    content_hash: str
    format: str
    width: int
    height: int
    orientation: int
    taken_at: datetime | None
    warning: str | None = None  # a metadata problem to list under Errors; the photo imported


def read_photo(job: ReadJob) -> PhotoFacts:
    """Hash the file, decode it (JPEG at thumbnail scale) and write its thumbnail once."""
    data = read_bytes(Path(job.path))
    digest = content_hash(data)
    header, image = decode(data, THUMBNAIL_SIZE, Path(job.path))
    target = thumbnail_path(Path(job.thumbnails_dir), digest)
    if not target.exists():
        save_thumbnail(make_thumbnail(image), target)
    return PhotoFacts(digest, header.format, header.width, header.height, header.orientation,
                      header.taken_at, header.warning)
