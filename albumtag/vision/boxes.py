"""Box arithmetic shared by faces and bodies: boxes are ``x1, y1, x2, y2`` in pixels."""

from __future__ import annotations

import numpy as np

from albumtag.vision import mtcnn_ops


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of every box in ``a`` ``[n, 4]`` with every box in ``b`` ``[m, 4]``."""
    a, b = np.asarray(a, dtype=np.float32).reshape(-1, 4), np.asarray(b, dtype=np.float32).reshape(-1, 4)
    pairs = mtcnn_ops.overlap(np.repeat(a, len(b), axis=0), np.tile(b, (len(a), 1)))
    return pairs.reshape(len(a), len(b))


def contained_fraction(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``[n, m]``: the fraction of each box in ``a`` that lies inside each box in ``b``."""
    a, b = np.asarray(a, dtype=np.float64).reshape(-1, 4), np.asarray(b, dtype=np.float64).reshape(-1, 4)
    x1 = np.maximum(a[:, None, 0], b[None, :, 0])
    y1 = np.maximum(a[:, None, 1], b[None, :, 1])
    x2 = np.minimum(a[:, None, 2], b[None, :, 2])
    y2 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area = np.maximum((a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1]), 1e-9)
    return inter / area[:, None]
