"""How much a face can be trusted for recognition: one 0..1 score from cheap signals.

Recognition gates and weights faces by this score (a low-quality face never seeds a
cluster), so each term is a soft ramp between a level where faces are known to fail and one
where they stop improving, and the score is their geometric mean: one bad signal (tiny,
profile, blurred) pulls the whole score down, as it does recognition.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

# (useless, good) levels of each signal.
SIZE_PX = (16.0, 80.0)  # inter-ocular-based face size in original pixels
YAW_RATIO = (0.55, 0.10)  # nose offset from the eye midline, in eye distances
SHARPNESS = (20.0, 300.0)  # variance of the Laplacian of the grey 150 px chip
DETECTOR = (0.80, 0.99)  # ONet score


@dataclass(frozen=True)
class QualitySignals:
    size_px: float
    yaw_ratio: float
    sharpness: float
    detector_score: float


def ramp(value: float, low: float, high: float) -> float:
    """0 at ``low``, 1 at ``high`` (either order), linear between, clipped."""
    if high == low:
        return float(value >= high)
    return float(np.clip((value - low) / (high - low), 0.0, 1.0))


def face_size(landmarks: np.ndarray) -> float:
    """A pose-robust size: 2.5 x the distance from the eyes' midpoint to the mouth's midpoint,
    which roughly equals the face box side for frontal faces and does not shrink in profile."""
    eyes = landmarks[:2].mean(axis=0)
    mouth = landmarks[3:5].mean(axis=0)
    return float(2.5 * np.linalg.norm(mouth - eyes))


def yaw_ratio(landmarks: np.ndarray) -> float:
    """How far the nose tip sits from the eyes' midpoint, across the face, in eye distances:
    about 0 for a frontal face, about 0.5 and more for a profile."""
    left, right, nose = landmarks[0], landmarks[1], landmarks[2]
    axis = right - left
    eye_distance = float(np.linalg.norm(axis))
    if eye_distance < 1e-6:
        return 1.0
    across = float(np.dot(nose - (left + right) / 2, axis / eye_distance))
    return abs(across) / eye_distance


def sharpness(chip: np.ndarray) -> float:
    """Variance of the Laplacian of the grey chip: low for blurred or upscaled faces."""
    grey = cv2.cvtColor(chip, cv2.COLOR_RGB2GRAY)
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())


def quality_score(signals: QualitySignals) -> float:
    terms = (
        ramp(signals.size_px, *SIZE_PX),
        ramp(signals.yaw_ratio, *YAW_RATIO),
        ramp(signals.sharpness, *SHARPNESS),
        ramp(signals.detector_score, *DETECTOR),
    )
    # Geometric mean with a floor so one zero term still ranks faces among themselves.
    return float(np.prod([max(t, 0.02) for t in terms]) ** (1 / len(terms)))
