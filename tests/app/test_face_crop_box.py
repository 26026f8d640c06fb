"""The square a face (or body) thumbnail is cut from: whole, square, inside the photo."""

from __future__ import annotations

from albumtag.app.thumbnails import face_crop_box


def _square_inside(crop: tuple[int, int, int, int], width: int, height: int) -> bool:
    left, top, right, bottom = crop
    return right - left == bottom - top and left >= 0 and top >= 0 and right <= width and bottom <= height


def test_a_face_at_the_edge_stays_whole_and_square() -> None:
    crop = face_crop_box((0.0, 100.0, 80.0, 190.0), 1000, 800)
    assert _square_inside(crop, 1000, 800)
    assert crop[0] <= 0 and crop[2] >= 80 and crop[1] <= 100 and crop[3] >= 190


def test_a_body_taller_than_the_photo_keeps_its_head() -> None:
    """A sitting person's body box from the head (y 60) to the photo's bottom edge."""
    crop = face_crop_box((900.0, 60.0, 1150.0, 720.0), 1280, 720)
    assert _square_inside(crop, 1280, 720)
    assert crop[1] <= 60 and crop[3] - crop[1] == 720
    assert crop[0] <= 900 and crop[2] >= 1150


def test_a_small_face_in_the_middle_is_centred() -> None:
    left, top, right, bottom = face_crop_box((490.0, 390.0, 510.0, 410.0), 1000, 800, margin=0.5)
    assert (left + right) / 2 == 500 and (top + bottom) / 2 == 400 and right - left == 40
