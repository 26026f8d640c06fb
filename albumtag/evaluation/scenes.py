"""Scenes composed from real photos for the tests and screenshots of people seen without a
face: another shot of a group photo with one face covered, or the next shot of a burst."""

from __future__ import annotations

from PIL import Image, ImageOps

Box = tuple[float, float, float, float]


def mirrored_with_face_covered(photo: Image.Image, face: Box) -> Image.Image:
    """A second shot of ``photo`` (mirrored) where the face in box ``face`` of the first shot
    is covered by a grey square of exactly its box: the detector finds no face there, while
    the head stays for the pose detector (a larger square hides it, and then only a fragment of
    the body is boxed)."""
    second = ImageOps.mirror(photo.convert("RGB"))
    x1, y1, x2, y2 = face
    second.paste((128, 128, 128), tuple(round(v) for v in (second.width - x2, y1, second.width - x1, y2)))
    return second


def burst_shot(photo: Image.Image) -> Image.Image:
    """The next shot of a burst: the frame shifted by 2% of its size."""
    dx, dy = round(0.02 * photo.width), round(0.02 * photo.height)
    return photo.crop((dx, dy, photo.width, photo.height)).resize(photo.size, Image.Resampling.LANCZOS)
