"""The pose of a re-identification crop: padding geometry, and a pose on a real training crop."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from albumtag.vision.crop_pose import crop_detector, crop_pose, padded
from albumtag.vision.person_ops import POSE_LANDMARKS
from trainer.parts.reid_data import load_rgb


def test_padding_is_square_and_keeps_the_crop_where_it_says() -> None:
    crop = np.arange(128 * 48 * 3, dtype=np.uint32).reshape(128, 48, 3).astype(np.uint8)
    canvas, (left, top) = padded(crop, 0.25)
    assert canvas.shape[0] == canvas.shape[1] == 128 + 2 * 32
    assert np.array_equal(canvas[top:top + 128, left:left + 48], crop)
    assert np.array_equal(canvas[0, left], crop[0, 0]), "the border repeats the crop's edge"


@pytest.mark.slow
def test_a_training_crop_has_its_pose_in_its_own_pixels(shared_data: Path) -> None:
    crop = load_rgb(shared_data / "bodies-reid/data/train/001/01_1.png")
    keypoints = crop_pose(crop_detector(), crop)
    assert keypoints is not None and keypoints.shape == (33, 3)
    nose, ankle = keypoints[POSE_LANDMARKS.index("nose")], keypoints[POSE_LANDMARKS.index("left_ankle")]
    height, width = crop.shape[:2]
    assert 0 <= nose[0] < width and 0 <= nose[1] < height / 3, "the head at the top of the crop"
    assert ankle[1] > height / 2
    assert crop_pose(crop_detector(), np.full((128, 48, 3), 90, np.uint8)) is None
