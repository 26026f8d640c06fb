"""Face chips from MTCNN's five landmarks, in the geometry of dlib's face chips.

The descriptor expects what ``dlib.get_face_chip(img, shape5, size=150, padding=0.25)``
cuts. The template (``face_alignment`` in the manifest, learned by
``trainer.faces.build_alignment``) says where MTCNN's landmarks fall in such a chip and how
much each counts; here a weighted least-squares similarity transform maps a face's landmarks
onto it (on held-out LFW faces our chips sit within ~2 px of dlib's) and the chip is resampled
the way dlib does: halve the image with a 5-tap Gaussian pyramid while the chip is less than
half the face's resolution, then sample bilinearly, black outside the photo.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from albumtag.runtime.manifest import model_entry
from albumtag.vision.face_detection import LANDMARK_ORDER

TEMPLATE_MODEL = "face_alignment"


@dataclass(frozen=True, eq=False)
class AlignmentTemplate:
    """Where the five landmarks go in a ``size`` x ``size`` chip (pixel centres at integers),
    and how much each counts in the fit (eyes steady, mouth corners move with expression)."""

    size: int
    points: np.ndarray
    weights: np.ndarray
    landmark_order: tuple[str, ...]
    version: str = ""

    def points_for(self, size: int) -> np.ndarray:
        """The template for another chip size: dlib spans pixel 0 to size - 1, so scale by that."""
        return self.points * (size - 1) / (self.size - 1)


ARCFACE_TEMPLATE = AlignmentTemplate(
    size=112,
    points=np.array([[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366], [41.5493, 92.3655],
                     [70.7299, 92.2041]]),
    weights=np.ones(5),
    landmark_order=LANDMARK_ORDER,
    version="arcface-112",
)
"""The five-point geometry ArcFace-family descriptors (SFace) were trained on (insightface's
``arcface_dst``), every point counted alike as they were cut."""


def load_template(models_root: Path | None = None) -> AlignmentTemplate:
    """The alignment template named in the manifest (``models_root``: default bundled models)."""
    entry = model_entry(TEMPLATE_MODEL, models_root)
    document = json.loads(entry.path(models_root).read_text(encoding="utf-8"))
    return AlignmentTemplate(
        size=int(document["size"]),
        points=np.asarray(document["points"], dtype=np.float64),
        weights=np.asarray(document["weights"], dtype=np.float64),
        landmark_order=tuple(document["landmark_order"]),
        version=entry.version,
    )


def similarity_transform(src: np.ndarray, dst: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """The 2x3 rotation + uniform scale + translation that best maps ``src`` onto ``dst``
    (weighted least squares, Umeyama 1991 closed form; never a reflection).

    Exact and deterministic, unlike a robust estimator (cv2.estimateAffinePartial2D with
    RANSAC/LMEDS), which would discard points instead of averaging their errors. ``weights``
    (one per point, default equal) let steady points count more than mobile ones.
    """
    src = np.asarray(src, dtype=np.float64)
    dst = np.asarray(dst, dtype=np.float64)
    w = np.ones(len(src)) if weights is None else np.asarray(weights, dtype=np.float64)
    w = w / w.sum()
    src_mean, dst_mean = w @ src, w @ dst
    src_c, dst_c = src - src_mean, dst - dst_mean
    covariance = (dst_c * w[:, None]).T @ src_c
    u, singular, vt = np.linalg.svd(covariance)
    signs = np.array([1.0, np.sign(np.linalg.det(u) * np.linalg.det(vt)) or 1.0])
    rotation = u @ np.diag(signs) @ vt
    scale = float(singular @ signs) / float(w @ (src_c**2).sum(axis=1))
    translation = dst_mean - scale * rotation @ src_mean
    return np.hstack([scale * rotation, translation[:, None]])


def _scale_of(matrix: np.ndarray) -> float:
    """Chip pixels per image pixel of a similarity transform."""
    return float(np.sqrt(abs(np.linalg.det(matrix[:, :2]))))


def _source_region(
    matrix: np.ndarray, size: int, margin: float, shape: tuple[int, ...]
) -> tuple[int, int, int, int]:
    """Integer bounds (x1, y1, x2, y2) of the image area the chip samples, plus ``margin``,
    clipped to the image."""
    inverse = cv2.invertAffineTransform(matrix)
    corners = np.array([[0, 0], [size - 1, 0], [size - 1, size - 1], [0, size - 1]], dtype=np.float64)
    mapped = corners @ inverse[:, :2].T + inverse[:, 2]
    x1, y1 = np.floor(mapped.min(axis=0) - margin).astype(int)
    x2, y2 = np.ceil(mapped.max(axis=0) + margin).astype(int)
    height, width = shape[:2]
    return max(x1, 0), max(y1, 0), min(max(x2, 0), width), min(max(y2, 0), height)


def _pyramid_down(image: np.ndarray, matrix: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Halve the chip's source region until the chip is at least half its resolution
    (dlib's extract_image_chip rule); returns the smaller image and the adjusted transform."""
    levels = 0
    while _scale_of(matrix) * 2**levels < 0.5:
        levels += 1
    if levels == 0:
        return image, matrix
    x1, y1, x2, y2 = _source_region(matrix, size, 4 * 2**levels, image.shape)
    matrix = matrix.copy()
    matrix[:, 2] += matrix[:, :2] @ np.array([x1, y1], dtype=np.float64)
    region = image[y1:y2, x1:x2]
    for _ in range(levels):
        if min(region.shape[:2]) < 2:
            break
        region = cv2.pyrDown(region)
        matrix[:, :2] *= 2  # pyrDown's pixel i lies where pixel 2i was
    return region, matrix


def face_chip(
    image: np.ndarray, landmarks: np.ndarray, template: AlignmentTemplate, size: int = 150
) -> np.ndarray:
    """The aligned ``size`` x ``size`` RGB uint8 chip of the face with these ``[5, 2]``
    landmarks (in ``template.landmark_order``, image pixels)."""
    matrix = similarity_transform(landmarks, template.points_for(size), template.weights)
    source, matrix = _pyramid_down(image, matrix, size)
    if source.size == 0:
        return np.zeros((size, size, 3), dtype=np.uint8)
    return cv2.warpAffine(
        source, matrix, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0
    )
