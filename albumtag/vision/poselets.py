"""Poselets from pose keypoints: which body parts of a person are seen, in which view, and
one consistently aligned crop per part (PIPER's part detectors, rebuilt on BlazePose).

PIPER (Zhang et al. 2015) runs poselet detectors: each poselet is a cluster of keypoint
configurations (a frontal head and shoulders, a back view of the legs, ...) and its
activations give crops in which the same body part always sits in the same place, so a
part's descriptor compares like with like. We already have 33 keypoints per person, so the
detectors reduce to geometry: ``trainer.parts.poselets`` clusters the normalised
configurations of a few fixed keypoint subsets ("regions": head and shoulders, upper body,
torso, legs, full body) found on training crops into part types, and ships each type's
cluster centre and its canonical positions in a small crop.

At run time a region is considered when all its keypoints are visible (the pose model's
visibility at least ``min_visibility``) and inside the photo; its configuration, normalised
as in training, takes the nearest type, which fires when it is no farther from that centre
than ``max_distance`` (the training set's own spread). The similarity transform (rotation,
uniform scale, shift; no mirroring, which would turn a back view into a frontal one) that
maps the keypoints onto the type's canonical positions cuts the aligned crop. Everything is a
pure function of numpy arrays.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from albumtag.runtime.manifest import model_entry

POSELETS_MODEL = "poselets"


@dataclass(frozen=True, eq=False)
class PartType:
    """One poselet type: ``centre`` ``[k, 2]`` is the cluster centre of the region's
    normalised keypoints (see ``normalise``), ``canonical`` ``[k, 2]`` where those keypoints
    go in the ``crop_size`` (width, height) crop."""

    name: str
    region: str
    keypoints: tuple[int, ...]
    centre: np.ndarray
    canonical: np.ndarray
    crop_size: tuple[int, int]
    max_distance: float


@dataclass(frozen=True)
class Poselets:
    """All part types, and the visibility a keypoint needs to count as seen."""

    types: tuple[PartType, ...]
    min_visibility: float
    version: str = ""

    def regions(self) -> dict[str, list[PartType]]:
        """Types grouped by region, in file order."""
        grouped: dict[str, list[PartType]] = {}
        for part in self.types:
            grouped.setdefault(part.region, []).append(part)
        return grouped


@dataclass(frozen=True, eq=False)
class FiredPart:
    """A part type that fired on one person: ``matrix`` (2x3) maps photo pixels to the
    type's crop; ``distance`` is the configuration's distance to the type's centre."""

    type: PartType
    distance: float
    matrix: np.ndarray


def parse(document: dict, version: str = "") -> Poselets:
    """The JSON document written by ``trainer.parts.poselets``."""
    types = tuple(
        PartType(name=t["name"], region=t["region"], keypoints=tuple(t["keypoints"]),
                 centre=np.asarray(t["centre"], dtype=np.float64),
                 canonical=np.asarray(t["canonical"], dtype=np.float64),
                 crop_size=(int(t["crop_size"][0]), int(t["crop_size"][1])),
                 max_distance=float(t["max_distance"]))
        for t in document["types"])
    return Poselets(types, float(document["min_visibility"]), version)


def load_poselets(models_root: Path | None = None) -> Poselets:
    """The part types named ``poselets`` in the manifest."""
    entry = model_entry(POSELETS_MODEL, models_root)
    return parse(json.loads(entry.path(models_root).read_text(encoding="utf-8")), entry.version)


def normalise(points: np.ndarray) -> np.ndarray:
    """Points ``[k, 2]`` centred on their mean and scaled to unit root-mean-square radius:
    what stays of a configuration once where the person stands and how large they appear
    are taken out. Orientation is kept: people stand upright, and left/right order is the
    view."""
    centred = np.asarray(points, dtype=np.float64) - np.mean(points, axis=0)
    radius = float(np.sqrt(np.mean(np.sum(centred ** 2, axis=1))))
    return centred / max(radius, 1e-9)


def seen(keypoints: np.ndarray, indices: Sequence[int], min_visibility: float,
         height: int, width: int) -> bool:
    """Whether every keypoint of ``indices`` is visible and inside the ``height`` x
    ``width`` image (the pose model also places joints that are outside the frame)."""
    chosen = np.asarray(keypoints)[list(indices)]
    inside = (chosen[:, 0] >= 0) & (chosen[:, 0] < width) & (chosen[:, 1] >= 0) & (chosen[:, 1] < height)
    return bool(np.all(chosen[:, 2] >= min_visibility) and np.all(inside))


def nearest_type(points: np.ndarray, types: Sequence[PartType]) -> tuple[PartType, float]:
    """The type whose centre is nearest the normalised ``points`` (all types of one region),
    and that distance (Euclidean over all coordinates, as KMeans measured it)."""
    shape = normalise(points)
    distances = [float(np.linalg.norm(shape - part.centre)) for part in types]
    best = int(np.argmin(distances))
    return types[best], distances[best]


def similarity_transform(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """The 2x3 rotation + uniform scale + translation that maps ``source`` ``[k, 2]`` onto
    ``target`` with least squared error (Umeyama 1991), reflections excluded."""
    source, target = np.asarray(source, dtype=np.float64), np.asarray(target, dtype=np.float64)
    mean_s, mean_t = source.mean(axis=0), target.mean(axis=0)
    s, t = source - mean_s, target - mean_t
    covariance = t.T @ s / len(source)
    u, singular, vt = np.linalg.svd(covariance)
    sign = np.diag([1.0, np.sign(np.linalg.det(u @ vt)) or 1.0])
    rotation = u @ sign @ vt
    scale = float(np.trace(np.diag(singular) @ sign) / max(np.mean(np.sum(s ** 2, axis=1)), 1e-12))
    linear = scale * rotation
    return np.hstack([linear, (mean_t - linear @ mean_s)[:, None]])


def fire(poselets: Poselets, keypoints: np.ndarray, height: int, width: int) -> list[FiredPart]:
    """The parts that fire on one person's keypoints ``[33, 3]`` (x, y in the pixels of a
    ``height`` x ``width`` photo, visibility): at most one type per region."""
    fired = []
    for types in poselets.regions().values():
        indices = types[0].keypoints
        if not seen(keypoints, indices, poselets.min_visibility, height, width):
            continue
        points = np.asarray(keypoints, dtype=np.float64)[list(indices), :2]
        part, distance = nearest_type(points, types)
        if distance <= part.max_distance:
            fired.append(FiredPart(part, distance, similarity_transform(points, part.canonical)))
    return fired


def crop_part(image: np.ndarray, part: FiredPart) -> np.ndarray:
    """The aligned crop of one fired part (RGB, the type's crop size); photo edges are
    repeated rather than blackened, so colour statistics are not skewed by the border.

    A part is usually much larger in the photo than its crop, and bilinear warping alone
    would then alias (skip pixels); the part's footprint is first shrunk with area
    averaging to twice the crop's resolution, as body crops are (Pillow resizes with a
    filter that widens with the scale)."""
    width, height = part.type.crop_size
    source, matrix = _shrunk_footprint(image, part.matrix, width, height)
    return cv2.warpAffine(source, matrix, (width, height), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REPLICATE)


def _shrunk_footprint(image: np.ndarray, matrix: np.ndarray, width: int, height: int
                      ) -> tuple[np.ndarray, np.ndarray]:
    """The photo region a ``width`` x ``height`` crop of ``matrix`` covers, area-resized to
    at most twice the crop's scale, and the matrix from that region to the crop."""
    shrink = min(1.0, 2.0 * float(np.sqrt(abs(np.linalg.det(matrix[:, :2])))))
    if shrink >= 0.99:
        return image, matrix
    corners = np.array([[0, 0], [width, 0], [0, height], [width, height]], dtype=np.float64)
    footprint = cv2.transform(corners[None], cv2.invertAffineTransform(matrix))[0]
    x1, y1 = np.clip(np.floor(footprint.min(axis=0)).astype(int) - 1, 0, [image.shape[1] - 1, image.shape[0] - 1])
    x2, y2 = np.clip(np.ceil(footprint.max(axis=0)).astype(int) + 1, [x1 + 1, y1 + 1], [image.shape[1], image.shape[0]])
    region = image[y1:y2, x1:x2]
    size = (max(1, round((x2 - x1) * shrink)), max(1, round((y2 - y1) * shrink)))
    small = cv2.resize(region, size, interpolation=cv2.INTER_AREA)
    scale = np.array([(x2 - x1) / size[0], (y2 - y1) / size[1]])
    linear = matrix[:, :2] * scale[None, :]
    return small, np.hstack([linear, (matrix[:, :2] @ np.array([x1, y1]) + matrix[:, 2])[:, None]])
