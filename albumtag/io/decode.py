"""Decoding photos safely: orientation applied, a pixel limit, every failure a clear reason.

Everything that looks at pixels (thumbnails, detection, the GUI) goes through ``open_photo``
so that EXIF orientation is applied in exactly one place.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from albumtag.io.errors import PhotoError, read_error
from albumtag.io.formats import register_codecs
from albumtag.io.metadata import exif_problem, taken_at

# Photos above this many pixels are refused (decompression-bomb guard); 200 MP covers every
# camera and most stitched panoramas.
MAX_PIXELS = 200_000_000


@dataclass(frozen=True)
class PhotoHeader:
    """What the file's header says, before any pixels are decoded."""

    format: str
    width: int  # as displayed, i.e. after EXIF orientation
    height: int
    orientation: int  # EXIF orientation tag, 1 when absent
    taken_at: datetime | None
    warning: str | None = None  # what was wrong with its metadata (the photo still reads)


def _open(data: bytes) -> Image.Image:
    """Open encoded bytes with Pillow; every failure becomes a PhotoError."""
    register_codecs()
    if not data:
        raise PhotoError("empty file (0 bytes)")
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except UnidentifiedImageError:
        raise PhotoError("not an image, or an unsupported format") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise PhotoError(f"image too large: over the {MAX_PIXELS // 1_000_000} MP limit") from error
    except (OSError, ValueError, SyntaxError) as error:
        raise PhotoError(f"cannot read image header: {error}") from error
    if image.width * image.height > MAX_PIXELS:
        raise PhotoError(f"image too large: {image.width}x{image.height} pixels is over the "
                         f"{MAX_PIXELS // 1_000_000} MP limit")
    return image


def exif_orientation(image: Image.Image) -> int:
    """The EXIF orientation tag (1..8), 1 when absent or unreadable."""
    try:
        value = int(image.getexif().get(0x0112, 1))
    except Exception:  # corrupt EXIF must not stop an import; orientation is then unknown
        return 1
    return value if 1 <= value <= 8 else 1


def read_header(image: Image.Image, path: Path | None = None) -> PhotoHeader:
    warning = exif_problem(image)
    orientation = exif_orientation(image)
    width, height = image.size
    if orientation in (5, 6, 7, 8):
        width, height = height, width
    return PhotoHeader(format=image.format or "unknown", width=width, height=height,
                       orientation=orientation, taken_at=taken_at(image, path), warning=warning)


def _draft_request(image: Image.Image, long_side: int) -> tuple[int, int]:
    """The stored-orientation size whose long side is ``long_side`` (aspect kept)."""
    scale = long_side / max(image.size)
    return max(1, int(image.width * scale + 0.999)), max(1, int(image.height * scale + 0.999))


def _load(image: Image.Image, long_side: int | None) -> Image.Image:
    """Decode pixels (first frame for GIF), RGB, EXIF orientation applied; with ``long_side``,
    reduced by a whole factor that keeps the long side at least that (see ``decode``)."""
    if long_side and image.format == "JPEG" and max(image.size) > long_side:
        # DCT scaling: decode at 1/2, 1/4 or 1/8 size, never below what was asked for.
        image.draft("RGB", _draft_request(image, long_side))
    try:
        image.seek(0)
        image.load()
        if long_side and max(image.size) >= 2 * long_side:  # formats without DCT scaling
            image = _reduce(image, max(image.size) // long_side)
        transposed = _transpose(image)
        return transposed.convert("RGB") if transposed.mode != "RGB" else transposed
    except (OSError, ValueError, SyntaxError, EOFError) as error:
        raise PhotoError(f"cannot decode image: {error}") from error
    except MemoryError:
        raise PhotoError("not enough memory to decode this image") from None


def _reduce(image: Image.Image, factor: int) -> Image.Image:
    """Shrink by a whole factor: a box filter, or for palette, bilevel and 16-bit images, which
    ``reduce`` refuses, nearest pixels, before they become RGB (a 200 MP palette GIF turned
    into RGB first held 0.9 GB)."""
    if image.mode in ("P", "1") or image.mode.startswith("I;16"):
        size = (max(1, image.width // factor), max(1, image.height // factor))
        reduced = image.resize(size, Image.Resampling.NEAREST)
    else:
        reduced = image.reduce(factor)
    reduced.info = image.info  # EXIF orientation is applied after
    return reduced


def _transpose(image: Image.Image) -> Image.Image:
    try:
        return ImageOps.exif_transpose(image)
    except Exception:  # corrupt EXIF: show the pixels as stored rather than fail
        return image


def decode(
    data: bytes, long_side: int | None = None, path: Path | None = None
) -> tuple[PhotoHeader, Image.Image]:
    """Header and upright RGB pixels of an encoded photo.

    ``long_side`` lets JPEG decode at a reduced scale whose long side is still at least that
    many pixels, which makes thumbnails and detection at a capped resolution several times
    cheaper than a full decode. Other formats decode at full size, then are reduced by a
    whole factor to the same bound, so what later steps hold is as small.
    """
    image = _open(data)
    header = read_header(image, path)
    return header, _load(image, long_side)


def read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise read_error(error) from error


def decode_file(path: Path, long_side: int | None = None) -> tuple[PhotoHeader, Image.Image]:
    return decode(read_bytes(path), long_side, path)


def to_array(image: Image.Image) -> np.ndarray:
    """RGB uint8 HxWx3 array, the layout every vision model takes."""
    return np.asarray(image.convert("RGB") if image.mode != "RGB" else image)
