"""bench/person_detectors.py's head-box rules for HOG and Haar boxes (no OpenCV 4, no photos)."""

from __future__ import annotations

import pytest

from bench.person_detectors import FULL_BODY, UPPER_BODY, head_box


def test_full_body_head_sits_below_the_hog_window_margin() -> None:
    # Dalal & Triggs' 64x128 window: 16 px margin, a 96 px person, the head in rows 16-32.
    assert head_box((0, 0, 64, 128), FULL_BODY) == (24, 16, 40, 32)
    assert head_box((100, 50, 132, 114), FULL_BODY) == (112, 58, 120, 66)  # half size, moved


def test_upper_body_head_is_the_top_half_middle_third() -> None:
    assert head_box((10, 20, 40, 80), UPPER_BODY) == pytest.approx((20, 20, 30, 50))
