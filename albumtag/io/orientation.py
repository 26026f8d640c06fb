"""Boxes between a photo's stored pixels and its upright pixels (EXIF orientation applied).

The library keeps every box in upright pixels (what ``decode`` shows), while metadata written
by other programs is relative to the image as stored. The mapping is done on normalised
coordinates (0..1), so it needs no pixel sizes; it matches ``ImageOps.exif_transpose``
(tests/io/test_xmp_regions.py checks that against Pillow itself).
"""

from __future__ import annotations

from collections.abc import Callable

Box = tuple[float, float, float, float]  # x1, y1, x2, y2
Point = tuple[float, float]

# EXIF orientation -> where a normalised stored point (u, v) lands in the upright image.
_TO_UPRIGHT: dict[int, Callable[[float, float], Point]] = {
    1: lambda u, v: (u, v),
    2: lambda u, v: (1 - u, v),  # mirrored
    3: lambda u, v: (1 - u, 1 - v),  # rotated 180
    4: lambda u, v: (u, 1 - v),  # flipped
    5: lambda u, v: (v, u),  # transposed
    6: lambda u, v: (1 - v, u),  # shown after turning 90 degrees clockwise
    7: lambda u, v: (1 - v, 1 - u),  # transversed
    8: lambda u, v: (v, 1 - u),  # shown after turning 90 degrees counter-clockwise
}
_INVERSE = {6: 8, 8: 6}  # every other orientation undoes itself


def _mapped(box: Box, orientation: int) -> Box:
    move = _TO_UPRIGHT.get(orientation, _TO_UPRIGHT[1])
    (ax, ay), (bx, by) = move(box[0], box[1]), move(box[2], box[3])
    return min(ax, bx), min(ay, by), max(ax, bx), max(ay, by)


def stored_to_upright(box: Box, orientation: int) -> Box:
    """A normalised box on the stored image, on the upright image."""
    return _mapped(box, orientation)


def upright_to_stored(box: Box, orientation: int) -> Box:
    """A normalised box on the upright image, on the stored image."""
    return _mapped(box, _INVERSE.get(orientation, orientation))


def swaps_axes(orientation: int) -> bool:
    """Orientations 5-8 turn the photo a quarter: stored width is upright height."""
    return orientation in (5, 6, 7, 8)
