"""Thumbnails on demand: the cached file, regenerated from the original when it is missing."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from albumtag.io.decode import decode_file
from albumtag.io.errors import PhotoError
from albumtag.io.thumbnails import THUMBNAIL_SIZE, make_thumbnail, save_thumbnail, thumbnail_path

FACE_THUMBNAIL_SIZE = 160
FACE_MARGIN = 0.35  # of the face box size, on each side, so hair and chin show


def photo_thumbnail(cache_dir: Path, photo_path: Path, content_hash: str | None) -> Path | None:
    """Path of the photo's thumbnail, writing it first if needed; None if unreadable."""
    if content_hash is None:
        return None
    target = thumbnail_path(cache_dir, content_hash)
    if target.exists():
        return target
    try:
        _, image = decode_file(photo_path, THUMBNAIL_SIZE)
    except PhotoError:
        return None
    save_thumbnail(make_thumbnail(image), target)
    return target


def face_crop_box(box: tuple[float, float, float, float], width: int, height: int,
                  margin: float = FACE_MARGIN) -> tuple[int, int, int, int]:
    """A square around the box with a margin, moved (not cut) to stay inside the photo, so a
    face at the edge stays whole and a tall body box (a body suggestion) keeps its head; only
    a square larger than the photo shrinks to fit it."""
    x1, y1, x2, y2 = box
    side = min(max(x2 - x1, y2 - y1) * (1 + 2 * margin), width, height)
    left = min(max((x1 + x2) / 2 - side / 2, 0.0), width - side)
    top = min(max((y1 + y2) / 2 - side / 2, 0.0), height - side)
    return int(left), int(top), int(left + side), int(top + side)


def face_thumbnail(cache_dir: Path, photo_path: Path, content_hash: str,
                   box: tuple[float, float, float, float]) -> Path | None:
    """A square face crop, cached by photo content and box (so it survives renames)."""
    key = "_".join(str(int(v)) for v in box)
    target = cache_dir / "faces" / content_hash[:2] / f"{content_hash}_{key}.jpg"
    if target.exists():
        return target
    try:
        _, image = decode_file(photo_path)
    except PhotoError:
        return None
    crop = image.crop(face_crop_box(box, image.width, image.height))
    crop.thumbnail((FACE_THUMBNAIL_SIZE, FACE_THUMBNAIL_SIZE), Image.Resampling.BILINEAR)
    save_thumbnail(crop, target)
    return target
