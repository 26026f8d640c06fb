"""MTCNN's pre- and post-processing as small numpy functions (no model, no state).

The cascade (Zhang et al. 2016, as run by facenet-pytorch) is: an image pyramid through PNet
gives candidate windows; NMS, box regression and squaring; 24x24 crops through RNet; the same
again; 48x48 crops through ONet, which also gives five landmarks. Everything here is one step
of that, written on plain arrays so each can be tested alone.

Conventions: boxes are float ``[n, 4]`` arrays ``x1, y1, x2, y2`` in pixel units with the
origin at the top-left corner of the image and ``x2, y2`` exclusive (width = x2 - x1); crops
and landmarks use the same frame. Images are RGB ``uint8`` HxWx3.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Literal

import cv2
import numpy as np

if TYPE_CHECKING:
    from albumtag.runtime.inference_model import InferenceModel

CELL = 12  # PNet looks at 12x12 windows,
STRIDE = 2  # one every two pixels of its input (it has one 2x2 max-pool).

NmsMode = Literal["union", "min"]


def working_scale(height: int, width: int, max_side: int) -> float:
    """Scale (<= 1) that brings the long side down to ``max_side``: the cap on work per photo."""
    return min(1.0, max_side / max(height, width))


def pyramid_scales(
    height: int,
    width: int,
    min_face: float,
    factor: float = 0.709,
    max_side: int | None = None,
    border: int = 0,
) -> list[float]:
    """Scales at which PNet's 12 px window sees faces from ``min_face`` px up to the frame.

    The first scale maps ``min_face`` onto the 12 px window, but never makes the long side
    larger than ``max_side`` (then the smallest face found is larger than ``min_face``); each
    next scale is ``factor`` smaller, down to the level whose short side plus the ``border``
    (in level pixels, on each side) still holds one window, and never below half a window:
    faces at most twice the short side. The count is therefore at most about
    ``log(2 * max_side / 12) / log(1 / factor)`` + 1 (17 for 1600 px).
    """
    scale = CELL / min_face
    if max_side is not None:
        scale = min(scale, max_side / max(height, width))
    smallest = max(CELL - 2 * border, CELL / 2)
    scales = []
    while min(height, width) * scale >= smallest:
        scales.append(scale)
        scale *= factor
    return scales


def pnet_bands(height: int, width: int, max_pixels: int) -> list[tuple[int, int]]:
    """Row ranges ``[start, stop)`` of an image to run PNet on one at a time, each of at most
    about ``max_pixels`` pixels, whose maps stacked (``pnet_band_rows`` of each) are exactly
    the whole image's map.

    PNet is fully convolutional: map row ``i`` sees input rows ``[2i, 2i + 12)``. A band that
    starts at an even row ``y`` gives map rows ``y / 2 + k``; those whose window lies inside
    the band are whole, the rest are cut off, so the next band starts ``CELL - STRIDE`` rows
    before this one stops. A 1600 px level in one run held 214 MB of activations at once.
    """
    rows = max(CELL + STRIDE, max_pixels // max(width, 1) // STRIDE * STRIDE)
    bands, start = [], 0
    while start + rows < height:
        bands.append((start, start + rows))
        start += rows - (CELL - STRIDE)
    return bands + [(start, height)]


def pnet_band_rows(start: int, stop: int, height: int) -> int | None:
    """How many of a band's map rows are whole (``pnet_bands``): all (None) for the band
    that ends the image."""
    return None if stop >= height else (stop - start - CELL) // STRIDE + 1


def level_size(height: int, width: int, scale: float) -> tuple[int, int]:
    """Pixel size (h, w) of a pyramid level; rounded up so that small faces at edges stay."""
    return max(1, math.ceil(height * scale)), max(1, math.ceil(width * scale))


def pnet_candidates(
    reg: np.ndarray,
    score: np.ndarray,
    scale_xy: tuple[float, float],
    threshold: float,
    border: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """PNet's maps of one level -> (boxes, scores, regression offsets) of cells over threshold.

    ``reg`` is ``[4, h, w]`` and ``score`` ``[h, w]``; cell (i, j) saw the window
    ``[2j, 2j + 12) x [2i, 2i + 12)`` of the level image padded by ``border`` pixels; the boxes
    are returned in the un-padded image that the level was resized from, whose size divided
    by the level's is ``1 / scale_xy``.
    """
    rows, cols = np.nonzero(score >= threshold)
    sx, sy = scale_xy
    x1 = (STRIDE * cols - border) / sx
    y1 = (STRIDE * rows - border) / sy
    boxes = np.stack([x1, y1, x1 + CELL / sx, y1 + CELL / sy], axis=1).astype(np.float32)
    return boxes.reshape(-1, 4), score[rows, cols].astype(np.float32), reg[:, rows, cols].T.reshape(-1, 4)


def _areas(boxes: np.ndarray) -> np.ndarray:
    return np.clip(boxes[:, 2] - boxes[:, 0], 0, None) * np.clip(boxes[:, 3] - boxes[:, 1], 0, None)


def overlapping_pairs(boxes: np.ndarray, groups: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs ``(i, j)``, ``i != j``, of boxes whose x-ranges intersect, each pair once;
    with ``groups`` (an integer per box), only pairs within one group.

    A sweep over boxes sorted by x1 instead of all n^2 pairs: PNet leaves thousands of
    small candidates on a large photo, and each meets only its neighbours. Groups are laid
    side by side along x, a whole-pixel span apart, so one sweep serves them all (in float64,
    where float32 coordinates plus whole offsets stay exact).
    """
    x1, x2 = boxes[:, 0].astype(np.float64), boxes[:, 2].astype(np.float64)
    if groups is not None and len(boxes):
        offset = (groups - groups.min()) * (np.ceil(x2.max() - x1.min()) + 1.0)
        x1, x2 = x1 + offset, x2 + offset
    by_x = np.argsort(x1, kind="stable")
    starts = x1[by_x]
    ends = np.searchsorted(starts, x2[by_x], side="left")
    counts = np.maximum(ends - np.arange(len(boxes)) - 1, 0)
    first = np.repeat(np.arange(len(boxes)), counts)
    step = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    return by_x[first], by_x[first + 1 + step]


def overlap(a: np.ndarray, b: np.ndarray, mode: NmsMode = "union") -> np.ndarray:
    """Row-wise overlap of boxes ``a[k]`` and ``b[k]``: intersection over union (``union``)
    or over the smaller area (``min``, which also catches a small box inside a large one)."""
    inter_w = np.minimum(a[:, 2], b[:, 2]) - np.maximum(a[:, 0], b[:, 0])
    inter_h = np.minimum(a[:, 3], b[:, 3]) - np.maximum(a[:, 1], b[:, 1])
    inter = np.clip(inter_w, 0, None) * np.clip(inter_h, 0, None)
    area_a, area_b = _areas(a), _areas(b)
    denominator = np.minimum(area_a, area_b) if mode == "min" else area_a + area_b - inter
    return inter / np.maximum(denominator, 1e-9)


def nms(boxes: np.ndarray, scores: np.ndarray, threshold: float, mode: NmsMode = "union",
        groups: np.ndarray | None = None) -> np.ndarray:
    """Greedy non-maximum suppression; indices of the kept boxes, best score first. With
    ``groups`` (an integer per box), a box suppresses only boxes of its own group.

    Same result as the textbook loop (keep the best box, drop every box overlapping it by
    more than ``threshold``, repeat), but the overlaps are computed once, for intersecting
    pairs only, and the loop just follows them: linear in practice, not quadratic.
    """
    order = np.argsort(-scores, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    i, j = overlapping_pairs(boxes, groups)
    close = overlap(boxes[i], boxes[j], mode) > threshold
    better, worse = np.minimum(rank[i[close]], rank[j[close]]), np.maximum(rank[i[close]], rank[j[close]])
    by_better = np.argsort(better, kind="stable")
    worse = worse[by_better]
    bounds = np.searchsorted(better[by_better], np.arange(len(order) + 1))
    suppressed = np.zeros(len(order), dtype=bool)
    keep = []
    for r in range(len(order)):
        if not suppressed[r]:
            keep.append(r)
            suppressed[worse[bounds[r]:bounds[r + 1]]] = True
    return order[np.asarray(keep, dtype=np.int64)]


def batched_nms(
    boxes: np.ndarray, scores: np.ndarray, groups: np.ndarray, threshold: float, mode: NmsMode = "union"
) -> np.ndarray:
    """NMS within each group (photo, or pyramid level) separately, in one sweep; kept
    indices, sorted."""
    return np.sort(nms(boxes, scores, threshold, mode, np.asarray(groups, dtype=np.int64)))


def regress(boxes: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Apply MTCNN's box regression: each edge moves by its offset times the box's size."""
    size = np.concatenate([boxes[:, 2:] - boxes[:, :2]] * 2, axis=1)
    return (boxes + offsets * size).astype(np.float32)


def square(boxes: np.ndarray) -> np.ndarray:
    """Grow each box to a square about its centre (the next stage's input is square)."""
    centre = (boxes[:, :2] + boxes[:, 2:]) / 2
    half = np.max(boxes[:, 2:] - boxes[:, :2], axis=1, keepdims=True) / 2
    return np.concatenate([centre - half, centre + half], axis=1).astype(np.float32)


def integer_boxes(boxes: np.ndarray) -> np.ndarray:
    """Round boxes to whole pixels, at least one pixel wide: the exact crop windows."""
    rounded = np.rint(boxes).astype(np.int64)
    rounded[:, 2:] = np.maximum(rounded[:, 2:], rounded[:, :2] + 1)
    return rounded


def crop_resized(
    image: np.ndarray, box: np.ndarray, size: int, border_mode: int = cv2.BORDER_CONSTANT
) -> np.ndarray:
    """The integer ``box`` of ``image`` resized to ``size`` x ``size``; parts outside the
    image are filled by ``border_mode`` (default black, as the original MTCNN pads).

    Only the part inside the image is copied, so the cost follows the box, not the photo.
    INTER_AREA averages when shrinking (as the original MTCNN does) and is bilinear when
    enlarging small boxes.
    """
    height, width = image.shape[:2]
    x1, y1, x2, y2 = (int(v) for v in box)
    inside = image[max(y1, 0):max(min(y2, height), 0), max(x1, 0):max(min(x2, width), 0)]
    if inside.shape[:2] == (y2 - y1, x2 - x1):
        patch = inside
    elif inside.size == 0:
        patch = np.zeros((y2 - y1, x2 - x1, image.shape[2]), dtype=image.dtype)
    else:
        patch = cv2.copyMakeBorder(
            inside, max(-y1, 0), max(y2 - height, 0), max(-x1, 0), max(x2 - width, 0), border_mode
        )
    return cv2.resize(patch, (size, size), interpolation=cv2.INTER_AREA)


def to_nchw(images: np.ndarray) -> np.ndarray:
    """``[n, h, w, 3]`` uint8 -> ``[n, 3, h, w]`` float32 in [0, 255], the graphs' input
    (they normalise to (x - 127.5) / 128 themselves)."""
    return np.ascontiguousarray(images.transpose(0, 3, 1, 2), dtype=np.float32)


def run_batched(model: InferenceModel, images: np.ndarray, batch: int) -> list[np.ndarray]:
    """Run ``model`` (input ``image``) on ``batch`` NHWC uint8 images at a time, each batch
    through ``to_nchw``; every output concatenated in order. ``batch`` bounds the activations
    held at once. One function because MTCNN's RNet/ONet (``mtcnn_detector``) and BlazePose's
    detector and landmark nets (``person_detector``) are fed exactly the same way."""
    parts = [model.run({"image": to_nchw(images[i:i + batch])}) for i in range(0, len(images), batch)]
    return [np.concatenate(outputs) for outputs in zip(*parts)]


def decode_landmarks(relative: np.ndarray, crop_boxes: np.ndarray) -> np.ndarray:
    """ONet's ``[n, 10]`` output (x1..x5, y1..y5 as fractions of the 48x48 crop) -> ``[n, 5, 2]``
    points in the frame of the boxes the crops were cut from."""
    origin = crop_boxes[:, None, :2].astype(np.float32)
    size = (crop_boxes[:, None, 2:] - crop_boxes[:, None, :2]).astype(np.float32)
    return origin + np.stack([relative[:, :5], relative[:, 5:]], axis=2) * size
