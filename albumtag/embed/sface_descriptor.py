"""SFace's face descriptor (OpenCV Zoo's ``face_recognition_sface_2021dec``) on onnxruntime.

The graph (built by ``python -m trainer faces``, ``trainer/faces/build_sface.py``) takes
chips in the ArcFace five-point geometry (``albumtag.vision.align.ARCFACE_TEMPLATE``, 112 px)
as float32 NHWC RGB in 0..255 and gives a raw 128-d vector; only its direction counts
(OpenCV compares L2-normalised vectors, same person below ``MATCH_DISTANCE``). It is the
second half of the library's face vector (``albumtag.embed.face_vector``)."""

from __future__ import annotations

import numpy as np

from albumtag.embed.face_descriptor import describe_chips
from albumtag.runtime.inference_model import InferenceModel

CHIP_SIZE = 112
EMBEDDING_SIZE = 128
MATCH_DISTANCE = 1.128  # OpenCV's FaceRecognizerSF threshold on the L2 distance of unit vectors
BATCH = 4  # chips per run: each costs the same alone or batched, and a run of 4 holds 4x 3 MB maps


class SFaceDescriptor(InferenceModel):
    """Aligned 112 px face chips -> SFace's 128-d vectors (not normalised)."""

    model_name = "face_descriptor_sface"

    def describe(self, chips: np.ndarray) -> np.ndarray:
        """``[N, 112, 112, 3]`` RGB chips (uint8, or float in 0..255) -> float32 ``[N, 128]``."""
        return describe_chips(self, np.asarray(chips), CHIP_SIZE, EMBEDDING_SIZE, BATCH)
