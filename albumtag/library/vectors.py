"""Numeric arrays in the library: float32 bytes in BLOB columns, one encoding everywhere."""

from __future__ import annotations

import numpy as np
from sqlalchemy import ColumnElement, func

from albumtag.library.schema import Feature

VALUE_BYTES = 4  # little-endian float32


def to_blob(array: np.ndarray) -> bytes:
    return np.ascontiguousarray(array, dtype="<f4").tobytes()


def from_blob(blob: bytes, shape: tuple[int, ...] = (-1,)) -> np.ndarray:
    return np.frombuffer(blob, dtype="<f4").reshape(shape)


def features_of_size(kind: str, size: int) -> ColumnElement[bool]:
    """Feature rows of ``kind`` whose vector holds ``size`` values."""
    return (Feature.kind == kind) & (func.length(Feature.vector) == size * VALUE_BYTES)
