"""What a face detector gives the rest of AlbumTag, whichever detector it is.

A detector takes photos already turned upright (RGB ``uint8`` HxWx3 arrays) and returns, for
each photo, its faces best score first as ``FaceDetection`` values: a box, a confidence and five
landmarks in ``LANDMARK_ORDER``, all in that photo's pixels. Alignment (``albumtag.vision.align``)
maps those five points onto dlib's face chip with a template learned from one detector's points
(the manifest's ``face_alignment``, learned on MTCNN's), so a second detector must give the same
five points where MTCNN puts them, or ship its own template. ``albumtag.vision.face_detectors``
is the one place that picks the implementation (MTCNN: ``albumtag.vision.mtcnn_detector``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

LANDMARK_ORDER = ("left_eye", "right_eye", "nose", "mouth_left", "mouth_right")
"""The five landmarks' order; left/right as seen in the image (``left_eye`` is the subject's
right eye), eye points are eye centres and ``nose`` is the nose tip (MTCNN's order)."""


@dataclass(frozen=True, eq=False)
class FaceDetection:
    """One face: box ``x1, y1, x2, y2`` (float, the photo's pixels, may extend past the frame
    for a face cut by it), landmarks ``[5, 2]`` float32 (x, y) in ``LANDMARK_ORDER``, and the
    detector's score (higher is surer)."""

    box: tuple[float, float, float, float]
    landmarks: np.ndarray = field(repr=False)
    score: float

    @property
    def width(self) -> float:
        return self.box[2] - self.box[0]

    @property
    def height(self) -> float:
        return self.box[3] - self.box[1]


@runtime_checkable
class FaceDetector(Protocol):
    """A face detector: ``detect`` one photo or ``detect_batch`` several (which may share work
    across photos but gives the same faces as ``detect`` on each)."""

    @property
    def version(self) -> str:
        """The detector's model version: stored with every face it found, so a new one re-runs
        the faces stage."""
        ...

    def detect(self, image: np.ndarray) -> list[FaceDetection]:
        """Faces in one upright RGB uint8 HxWx3 photo, best score first."""
        ...

    def detect_batch(self, images: list[np.ndarray]) -> list[list[FaceDetection]]:
        """Faces in each photo, in the photos' order, each list best score first."""
        ...
