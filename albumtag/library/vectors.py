"""Numeric arrays in the library: float32 bytes in BLOB columns, one encoding everywhere."""

from __future__ import annotations

import numpy as np


def to_blob(array: np.ndarray) -> bytes:
    return np.ascontiguousarray(array, dtype="<f4").tobytes()


def from_blob(blob: bytes, shape: tuple[int, ...] = (-1,)) -> np.ndarray:
    return np.frombuffer(blob, dtype="<f4").reshape(shape)
