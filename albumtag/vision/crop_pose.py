"""The pose of a person crop (one person filling a small image, as re-identification sets
store them), for building poselet types on training crops (``trainer.parts.poselets``) and
measuring part descriptors on held-out ones (``bench/reid.py``).

BlazePose's detector was made for people with room around them: on the 48x128 bodies-reid
crops it finds 59% of the people as they are, 95% once the crop sits on a canvas of its own
repeated border (CUHK03: 88% -> 91%). The photo is not tiled: the crop holds one person.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from albumtag.vision.person_detector import PersonDetector

PAD = 0.25  # border added on every side, in crop heights


def padded(crop: np.ndarray, fraction: float = PAD) -> tuple[np.ndarray, tuple[int, int]]:
    """The crop on a square canvas of its repeated border, ``fraction`` of its height on
    every side, and the crop's left/top offset in that canvas."""
    height, width = crop.shape[:2]
    top = round(height * fraction)
    left = top + max(height - width, 0) // 2
    return cv2.copyMakeBorder(crop, top, top, left, left, cv2.BORDER_REPLICATE), (left, top)


def crop_detector(device: str = "cpu", models_root: Path | None = None) -> PersonDetector:
    """The app's person detector without tiles: a crop holds one person."""
    return PersonDetector(device=device, models_root=models_root, tile_fractions=())


def crop_pose(detector: PersonDetector, crop: np.ndarray, fraction: float = PAD) -> np.ndarray | None:
    """The best-scoring person's keypoints ``[33, 3]`` in the crop's own pixels (found on
    the padded crop), or None."""
    canvas, (left, top) = padded(crop, fraction)
    people = detector.detect(canvas)
    if not people:
        return None
    keypoints = people[0].keypoints.copy()
    keypoints[:, :2] -= (left, top)
    return keypoints
