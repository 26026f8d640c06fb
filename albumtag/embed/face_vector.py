"""The library's face vector: dlib's descriptor and SFace's, side by side.

dlib's descriptor alone had reached its limit on album-shaped sets (issue 18: test-time
jitter, border filling and every library-wide map left its k-shot errors where they were).
SFace errs on other faces. The vector is ``[sqrt(1 - w) dlib, sqrt(w) s sface / |sface|]``,
so that its squared Euclidean distance is ``(1 - w)`` times dlib's plus ``w`` times SFace's
unit-vector distance brought to dlib's scale (``s`` maps SFace's same-person threshold 1.128
onto dlib's 0.6). Every radius and threshold the grouping, matching and open-set tail were
chosen with keeps its meaning on this scale, and faiss and the database see one vector.

``w`` = 0.7, chosen on the development halves only (LFW's training half, family people with
10+ photos, every photo; pins-dev-a): 1-shot / 5-shot nearest-face identification

==========  ===============  ===============  ===============
w           LFW dev          pins-dev-a       (dlib alone: w 0)
==========  ===============  ===============  ===============
0           0.9816 / 0.9918  0.9898 / 0.9936
0.5         0.9866 / 0.9934  0.9947 / 0.9953
0.7         0.9876 / 0.9948  0.9946 / 0.9954
0.8         0.9876 / 0.9948  0.9938 / 0.9953
1 (SFace)   0.9874 / 0.9948  0.9877 / 0.9951
==========  ===============  ===============  ===============
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
from sqlalchemy import ColumnElement

from albumtag.embed import face_descriptor, sface_descriptor
from albumtag.embed.face_descriptor import FaceDescriptor
from albumtag.embed.sface_descriptor import SFaceDescriptor
from albumtag.library.vectors import features_of_size
from albumtag.runtime.providers import Device

SFACE_WEIGHT = 0.7  # w above
SFACE_SCALE = face_descriptor.MATCH_DISTANCE / sface_descriptor.MATCH_DISTANCE
FACE_VECTOR_SIZE = face_descriptor.EMBEDDING_SIZE + sface_descriptor.EMBEDDING_SIZE


def combine(dlib: np.ndarray, sface: np.ndarray) -> np.ndarray:
    """``[N, 128]`` dlib and ``[N, 128]`` raw SFace vectors -> ``[N, 256]`` face vectors."""
    unit = sface / np.maximum(np.linalg.norm(sface, axis=1, keepdims=True), 1e-12)
    return np.hstack([np.sqrt(1 - SFACE_WEIGHT) * dlib,
                      np.sqrt(SFACE_WEIGHT) * SFACE_SCALE * unit]).astype(np.float32)


PARTS = (slice(0, face_descriptor.EMBEDDING_SIZE), slice(face_descriptor.EMBEDDING_SIZE, FACE_VECTOR_SIZE))


def part_norms(vectors: np.ndarray) -> np.ndarray:
    """[N, 2]: each vector's dlib part's and SFace part's length."""
    return np.stack([np.linalg.norm(vectors[:, part], axis=1) for part in PARTS], axis=1)


def with_part_norms(vectors: np.ndarray, norms: np.ndarray) -> np.ndarray:
    """The vectors with each part scaled to the length in ``norms`` ([N, 2])."""
    scaled = np.array(vectors, dtype=np.float64)
    factors = norms / np.maximum(part_norms(scaled), 1e-12)
    for k, part in enumerate(PARTS):
        scaled[:, part] *= factors[:, k:k + 1]
    return scaled


def dlib_part(vectors: np.ndarray) -> np.ndarray:
    """dlib's descriptors back out of face vectors (for what reads dlib's own magnitude)."""
    return vectors[..., :face_descriptor.EMBEDDING_SIZE] / np.sqrt(1 - SFACE_WEIGHT)


def current_face_features() -> ColumnElement[bool]:
    """The library's face features of the current vector's size. A new face descriptor changes
    the faces stage's version, so every photo is analysed again; until that import ends (or
    after one cancelled half way) the library holds vectors of both kinds, and the old ones are
    left out, as faces not described yet, rather than measured against the new."""
    return features_of_size(face_descriptor.FACE_FEATURE, FACE_VECTOR_SIZE)


class FaceVectorModel:
    """Both descriptors; one name, version and checksum for the library's model record."""

    model_name = "face_descriptor"

    def __init__(self, device: Device | str = Device.AUTO, models_root: Path | None = None,
                 threads: int | None = None) -> None:
        self.dlib = FaceDescriptor(device, models_root, threads)
        self.sface = SFaceDescriptor(device, models_root, threads)

    @property
    def version(self) -> str:
        return f"{self.dlib.version}+{self.sface.version}+w{SFACE_WEIGHT}"

    @property
    def sha256(self) -> str:
        return hashlib.sha256(f"{self.dlib.entry.sha256}+{self.sface.entry.sha256}".encode()).hexdigest()

    def describe(self, chips: np.ndarray, arcface_chips: np.ndarray) -> np.ndarray:
        """dlib-geometry chips ``[N, 150, 150, 3]`` and ArcFace-geometry chips ``[N, 112, 112, 3]``
        of the same faces -> float32 ``[N, 256]``."""
        if len(chips) != len(arcface_chips):
            raise ValueError(f"{len(chips)} dlib chips but {len(arcface_chips)} ArcFace chips")
        return combine(self.dlib.describe(chips), self.sface.describe(arcface_chips))
