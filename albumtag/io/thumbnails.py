"""Thumbnails: small JPEGs in a cache folder next to the library, keyed by content hash.

Keying by content hash means a moved or renamed photo keeps its thumbnail and the cache
never needs rewriting when albums change; a missing file is simply regenerated.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from albumtag.io.atomic import write_atomic

THUMBNAIL_SIZE = 320  # long side in pixels: sharp in a 160 px grid cell on a 2x display
THUMBNAIL_QUALITY = 85


def thumbnail_path(cache_dir: Path, photo_hash: str) -> Path:
    return cache_dir / photo_hash[:2] / f"{photo_hash}.jpg"


def make_thumbnail(image: Image.Image, size: int = THUMBNAIL_SIZE) -> Image.Image:
    """A new image no larger than ``size`` on its long side (upright RGB in and out), pixels
    only: the photo's metadata stays behind (Pillow would write a GIF's comment into the JPEG,
    and refuses to save one over 64 kB)."""
    scale = min(1.0, size / max(image.size))
    target = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    thumb = image.resize(target, Image.Resampling.BILINEAR, reducing_gap=2.0)
    thumb.info = {}
    return thumb


def save_thumbnail(thumb: Image.Image, path: Path) -> None:
    """Write atomically, so a crash never leaves a half-written thumbnail behind."""
    write_atomic(path, lambda handle: thumb.save(handle, "JPEG", quality=THUMBNAIL_QUALITY),
                 durable=False)
