"""Person detection and pose: MediaPipe BlazePose's pre- and post-processing as small functions.

BlazePose (Bazarevsky et al. 2020) runs in two steps. A detector on a 224x224 letterboxed
image finds the head and upper body of each person and predicts four alignment keypoints:
the hips' midpoint, a point whose distance from it is the radius of a circle around the
whole body, the shoulders' midpoint and the radius point of a circle around the upper body.
A landmark model then looks at a rotated square around the body (the "ROI") and gives 39
points (33 body landmarks plus two that re-derive the ROI) with visibility and presence.

The detector was made for one person close to a phone; in photo albums people are smaller
and many, so the photo is also cut into overlapping square tiles (``tile_regions``) and the
tiles' detections are merged (``merge_by_upper_body``). Everything here works on plain numpy
arrays so that each step can be tested alone.

Conventions as in ``mtcnn_ops``: boxes are ``[n, 4]`` x1, y1, x2, y2 in pixels, images RGB
uint8 HxWx3, points ``(x, y)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

DETECTOR_KEYPOINTS = ("hips_mid", "body_radius", "shoulders_mid", "upper_body_radius")
POSE_LANDMARKS = (
    "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye",
    "right_eye_outer", "left_ear", "right_ear", "mouth_left", "mouth_right", "left_shoulder",
    "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_pinky",
    "right_pinky", "left_index", "right_index", "left_thumb", "right_thumb", "left_hip", "right_hip",
    "left_knee", "right_knee", "left_ankle", "right_ankle", "left_heel", "right_heel",
    "left_foot_index", "right_foot_index",
)
"""BlazePose's 33 body landmarks in model order; left/right are the subject's own."""
LANDMARK_VALUES = 5  # x, y, z, visibility logit, presence logit per landmark
BODY_LANDMARKS = 33  # the 33 BlazePose body landmarks; 33 and 34 re-derive the ROI
SHOULDERS, HIPS = (11, 12), (23, 24)


@dataclass(frozen=True)
class Region:
    """A part of the photo fed to the detector: top-left corner and size in photo pixels."""

    x: int
    y: int
    width: int
    height: int


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Logistic function without overflow warnings for large negative logits."""
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(x, dtype=np.float64)))


def ssd_anchor_centres(input_size: int, strides: Sequence[int], per_cell: Sequence[int]) -> np.ndarray:
    """Anchor centres ``[n, 2]`` in input pixels, in the detector's output order.

    MediaPipe's SSD anchors with ``fixed_anchor_size``: every anchor is a unit square, so only
    the centres matter; each feature map of ``input_size / stride`` cells gives ``per_cell``
    anchors per cell, row by row.
    """
    centres = []
    for stride, count in zip(strides, per_cell):
        cells = input_size // stride
        ys, xs = np.meshgrid(np.arange(cells), np.arange(cells), indexing="ij")
        grid = np.stack([xs, ys], axis=-1).reshape(-1, 2).astype(np.float32)
        centres.append(np.repeat((grid + 0.5) * stride, count, axis=0))
    return np.concatenate(centres)


def decode_detections(
    raw: np.ndarray, logits: np.ndarray, anchors: np.ndarray, threshold: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One input's detector outputs -> (boxes, scores, keypoints ``[n, 4, 2]``) over threshold.

    ``raw`` is ``[anchors, 12]``: box centre offset, width, height, then four keypoint offsets,
    all in input pixels relative to the anchor centre; ``logits`` ``[anchors]`` or
    ``[anchors, 1]``.
    """
    scores = sigmoid(np.reshape(logits, -1))
    keep = np.flatnonzero(scores >= threshold)
    raw, centres = raw[keep].astype(np.float32), anchors[keep]
    middle = raw[:, :2] + centres
    half = raw[:, 2:4] / 2
    boxes = np.concatenate([middle - half, middle + half], axis=1)
    keypoints = raw[:, 4:12].reshape(-1, 4, 2) + centres[:, None, :]
    return boxes, scores[keep].astype(np.float32), keypoints


def letterbox_geometry(height: int, width: int, size: int) -> tuple[float, int, int]:
    """Scale and (left, top) padding that fit an image into a ``size`` square, centred."""
    scale = size / max(height, width)
    new_h, new_w = max(1, round(height * scale)), max(1, round(width * scale))
    return scale, (size - new_w) // 2, (size - new_h) // 2


def letterbox(image: np.ndarray, size: int) -> np.ndarray:
    """The image resized into a black ``size`` square, aspect kept (MediaPipe's ROI input)."""
    height, width = image.shape[:2]
    scale, left, top = letterbox_geometry(height, width, size)
    new_w, new_h = max(1, round(width * scale)), max(1, round(height * scale))
    out = np.zeros((size, size, 3), dtype=np.uint8)
    out[top:top + new_h, left:left + new_w] = cv2.resize(image, (new_w, new_h), interpolation=cv2.INTER_AREA)
    return out


def from_letterbox(points: np.ndarray, region: Region, size: int) -> np.ndarray:
    """Points (``[..., 2]``, letterboxed input pixels) back to photo pixels."""
    scale, left, top = letterbox_geometry(region.height, region.width, size)
    return (points - np.array([left, top], dtype=np.float32)) / scale + np.array([region.x, region.y])


def _starts(length: int, side: int, step: int) -> list[int]:
    starts = list(range(0, max(length - side, 0) + 1, step))
    if starts[-1] + side < length:
        starts.append(length - side)
    return starts


# The cost bound on tiling: the whole photo plus at most this many tiles (a 16:9 photo at the
# working size takes 24, a 3:1 panorama 42). A photo whose tiles at some scale would pass the
# cap (a very wide panorama) skips that scale and the finer ones, so one photo never costs
# more than MAX_TILES + 1 detector runs.
MAX_TILES = 48
# No tile smaller than this: the detector sees 224 px, so a smaller tile is only upsampled
# (1.4x and more), and small photos paid for many such tiles (a 250 px photo 16, a 112 px
# crop 9) that find nobody the whole-photo pass misses. Recall on the hand-checked group
# photos stays 32 of 39 (trainer.bodies.evaluate); at 224 one bbt3 person was lost (191 px tiles).
MIN_TILE_SIDE = 160


def tile_regions(height: int, width: int, fractions: Sequence[float], overlap: float = 0.5,
                 max_tiles: int = MAX_TILES, min_side: int = MIN_TILE_SIDE) -> list[Region]:
    """The whole photo, then square tiles whose side is each fraction of the short side,
    overlapping by ``overlap``: a person too small for the whole-photo pass is large enough
    in a tile, and one cut by a tile's edge is whole in its neighbour. Tiles smaller than
    ``min_side``, and scales that would pass ``max_tiles`` tiles in all, are left out."""
    regions = [Region(0, 0, width, height)]
    for fraction in fractions:
        side = max(1, int(min(height, width) * fraction))
        if side == min(height, width) == max(height, width):
            continue  # a square photo's full-size tile is the photo itself
        if side < min_side:
            break
        step = max(1, int(side * (1 - overlap)))
        xs, ys = _starts(width, side, step), _starts(height, side, step)
        if len(regions) - 1 + len(xs) * len(ys) > max_tiles:
            break  # finer scales only add more tiles
        regions += [Region(x, y, side, side) for y in ys for x in xs]
    return regions


def merge_by_upper_body(keypoints: np.ndarray, scores: np.ndarray, distance: float) -> np.ndarray:
    """Greedy de-duplication of one photo's detections (from all tiles): indices kept, best
    first. A detection is the same person as a kept one when its shoulders' midpoint lies
    within ``distance`` upper-body radii (the smaller of the two) of the kept one's.

    Detector boxes cannot do this: their size varies a lot with the tile a person is seen in,
    and the hips (the ROI centre) of a back row fall on the front row; the upper-body circle
    is stable and separates neighbours.
    """
    centres = keypoints[:, 2]
    radii = np.linalg.norm(keypoints[:, 3] - keypoints[:, 2], axis=1)
    order = np.argsort(-scores, kind="stable")
    suppressed = np.zeros(len(scores), dtype=bool)
    keep = []
    for i in order:
        if suppressed[i]:
            continue
        keep.append(i)
        gap = np.linalg.norm(centres - centres[i], axis=1) / np.maximum(np.minimum(radii, radii[i]), 1e-6)
        suppressed |= gap < distance
    return np.asarray(keep, dtype=np.int64)


def roi_from_keypoints(keypoints: np.ndarray, scale: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """MediaPipe's pose ROI from the first two alignment keypoints ``[n, >=2, 2]``: centred on
    the hips' midpoint, side ``2 * radius * scale``, rotated so that the body stands upright.
    Returns (centres ``[n, 2]``, sides ``[n]``, rotations ``[n]`` in radians)."""
    centre, towards = keypoints[:, 0], keypoints[:, 1] - keypoints[:, 0]
    sides = 2 * np.linalg.norm(towards, axis=1) * scale
    rotations = np.pi / 2 - np.arctan2(-towards[:, 1], towards[:, 0])
    rotations = (rotations + np.pi) % (2 * np.pi) - np.pi
    return centre.astype(np.float64), sides, rotations


def roi_matrix(centre: np.ndarray, side: float, rotation: float, size: int) -> np.ndarray:
    """The 2x3 map from ``size``-square crop pixels to photo pixels for one ROI."""
    c, s = np.cos(rotation), np.sin(rotation)
    linear = np.array([[c, -s], [s, c]]) * (side / size)
    return np.hstack([linear, (centre - linear @ np.array([size / 2, size / 2]))[:, None]])


def crop_roi(image: np.ndarray, matrix: np.ndarray, size: int) -> np.ndarray:
    """The ROI of ``matrix`` (crop -> photo) cut out as a ``size`` square, black outside."""
    return cv2.warpAffine(image, cv2.invertAffineTransform(matrix), (size, size),
                          flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)


def project_landmarks(raw: np.ndarray, matrices: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Landmark model outputs ``[n, landmarks * 5]`` (crop pixels, logits) -> photo points
    ``[n, landmarks, 2]``, visibility and presence ``[n, landmarks]`` as probabilities."""
    values = raw.reshape(len(raw), -1, LANDMARK_VALUES)
    points = np.einsum("nij,nkj->nki", matrices[:, :, :2], values[:, :, :2]) + matrices[:, None, :, 2]
    return points.astype(np.float32), sigmoid(values[:, :, 3]).astype(np.float32), \
        sigmoid(values[:, :, 4]).astype(np.float32)


def body_box(head_box: np.ndarray, landmarks: np.ndarray, margin: float) -> np.ndarray:
    """A person's body box (not clipped): the head box and the shoulders and hips (where the
    model puts them, in the frame or not), widened by ``margin`` of the shoulder width on each
    side. Arms and legs are left out on purpose: they move, the torso does not, so the box
    keeps one shape and a rule from the face box (``body_box``) can predict it."""
    torso = landmarks[list(SHOULDERS + HIPS)]
    x1 = min(head_box[0], torso[:, 0].min())
    x2 = max(head_box[2], torso[:, 0].max())
    y1 = min(head_box[1], torso[:, 1].min())
    y2 = max(head_box[3], torso[:, 1].max())
    widen = margin * float(np.linalg.norm(landmarks[SHOULDERS[0]] - landmarks[SHOULDERS[1]]))
    return np.array([x1 - widen, y1, x2 + widen, y2], dtype=np.float32)


def clip_box(box: np.ndarray, height: int, width: int) -> np.ndarray:
    """A box clipped to the photo."""
    return np.clip(np.asarray(box, dtype=np.float32), 0, [width, height, width, height]).astype(np.float32)
