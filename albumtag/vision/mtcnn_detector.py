"""Face detection with MTCNN (facenet-pytorch's weights) on onnxruntime.

Three small graphs run as a cascade: PNet over an image pyramid proposes windows, RNet
refines them on 24x24 crops, ONet gives the final score, box and five landmarks on 48x48
crops (see ``mtcnn_ops`` for each step). ``detect_batch`` runs PNet once per level for all
its photos of one size (a camera or phone writes few sizes; a small level costs little more
than the run itself) and RNet and ONet once for all photos' candidates together.

Work per photo is capped: the pyramid and crops use a working copy whose long side is at
most ``max_side`` pixels, so a 12 MP photo costs about what a 1600 px one does; faces from
``min_face`` pixels (at original scale) are found where that cap allows, and from
``12 / working scale`` pixels otherwise. Every pyramid level gets a black border of
``border`` pixels (a third of PNet's window), i.e. a border proportional to the face size
that level looks for, and crops reaching past the photo are filled black too (as the
original MTCNN pads): faces cut by the frame, or filling it entirely (tight crops), are still
seen whole, at negligible cost. Black beat a replicated edge on our photos (it found a face
cut by the frame in ``selfie-many-people.jpg`` and one more tight 112 px crop); 3 or 6 px
borders found fewer. Results are ``FaceDetection`` values in the original photo's pixels.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np

from albumtag.runtime.inference_model import InferenceModel
from albumtag.runtime.providers import Device
from albumtag.vision import mtcnn_ops as ops
from albumtag.vision.face_detection import FaceDetection

BORDER_MODE = cv2.BORDER_CONSTANT
# Crops per RNet/ONet run: bounds memory when a photo has thousands of candidates (one 12 MP
# photo had 4,300); 1,024 24 px crops held 110 MB of RNet activations at once.
BATCH = 256
# Input pixels per PNet run: a larger level runs in bands of rows (``mtcnn_ops.pnet_bands``),
# same maps. A 12 MP photo's first level (1608x1208 with its border) held 214 MB of
# activations in one run; in bands of 0.5 MP, about a quarter of that.
BAND_PIXELS = 500_000


class PNet(InferenceModel):
    """Proposal net on one padded pyramid level."""

    model_name = "face_detector.pnet"

    def __call__(self, levels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``[n, H, W, 3]`` uint8 levels of one size -> (regression ``[n, 4, h, w]``, face score
        ``[n, h, w]``), all ``n`` in one run per band of rows: a small level costs little more
        than the run itself, so photos of one size share their runs."""
        count, height, width = levels.shape[:3]
        maps = []
        for start, stop in ops.pnet_bands(height, width * count, BAND_PIXELS):
            reg, score = self.run({"image": ops.to_nchw(levels[:, start:stop])})
            rows = ops.pnet_band_rows(start, stop, height)
            maps.append((reg[:, :, :rows], score[:, :rows]))
        return np.concatenate([reg for reg, _ in maps], axis=2), np.concatenate([score for _, score in maps], axis=1)


class _CropNet(InferenceModel):
    """RNet/ONet: one run per ``BATCH`` crops, outputs concatenated."""

    def __call__(self, crops: np.ndarray) -> list[np.ndarray]:
        return ops.run_batched(self, crops, BATCH)


class RNet(_CropNet):
    model_name = "face_detector.rnet"
    size = 24


class ONet(_CropNet):
    model_name = "face_detector.onet"
    size = 48


@dataclass(frozen=True)
class _Candidates:
    """Boxes of all photos in one batch, in working-image pixels; ``image`` says whose."""

    boxes: np.ndarray
    scores: np.ndarray
    image: np.ndarray

    def take(self, keep: np.ndarray) -> _Candidates:
        return _Candidates(self.boxes[keep], self.scores[keep], self.image[keep])


def _working_copy(image: np.ndarray, max_side: int) -> tuple[np.ndarray, float]:
    scale = ops.working_scale(*image.shape[:2], max_side)
    if scale == 1.0:
        return image, scale
    size = (max(1, round(image.shape[1] * scale)), max(1, round(image.shape[0] * scale)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA), scale


def _alike(pictures: list[np.ndarray], scales: list[float]) -> list[list[int]]:
    """Indices of the pictures grouped by size and working scale (their pyramids match)."""
    groups: dict[tuple[tuple[int, ...], float], list[int]] = {}
    for index, (picture, scale) in enumerate(zip(pictures, scales)):
        groups.setdefault((picture.shape, scale), []).append(index)
    return list(groups.values())


def _check_image(image: np.ndarray) -> None:
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f"expected an RGB uint8 HxWx3 array, got {image.dtype} {image.shape}")


class MtcnnDetector:
    """MTCNN on onnxruntime, a ``FaceDetector`` (``albumtag.vision.face_detection``): ``detect``
    one photo or ``detect_batch`` several; scores are ONet's, landmarks in ``LANDMARK_ORDER``."""

    def __init__(
        self,
        device: Device | str = Device.AUTO,
        models_root: Path | None = None,
        threads: int | None = None,
        min_face: float = 20.0,
        max_side: int = 1600,
        thresholds: tuple[float, float, float] = (0.6, 0.7, 0.8),
        factor: float = 0.709,
        border: int = 4,
    ) -> None:
        """``thresholds`` are MTCNN's per-stage ones, as insightface ships them (facenet-pytorch
        uses 0.7 for the last stage): a photo library pays more for a false face than MTCNN's
        benchmarks do."""
        self.pnet = PNet(device, models_root, threads)
        self.rnet = RNet(device, models_root, threads)
        self.onet = ONet(device, models_root, threads)
        self.min_face = min_face
        self.max_side = max_side
        self.thresholds = thresholds
        self.factor = factor
        self.border = border

    @property
    def version(self) -> str:
        return self.pnet.version

    def detect(self, image: np.ndarray) -> list[FaceDetection]:
        """Faces in one RGB uint8 HxWx3 photo (already turned upright), best score first."""
        return self.detect_batch([image])[0]

    def detect_batch(self, images: list[np.ndarray]) -> list[list[FaceDetection]]:
        """Faces in each photo; RNet and ONet run once over all photos' candidates."""
        for image in images:
            _check_image(image)
        if not images:
            return []
        working = [_working_copy(image, self.max_side) for image in images]
        pictures = [picture for picture, _ in working]
        candidates = self._propose(pictures, [scale for _, scale in working])
        candidates = self._refine(pictures, candidates)
        candidates, landmarks = self._output(pictures, candidates)
        return [
            self._detections(candidates, landmarks, index, scale)
            for index, (_, scale) in enumerate(working)
        ]

    def _propose(self, pictures: list[np.ndarray], scales: list[float]) -> _Candidates:
        """Stage 1: PNet over each photo's pyramid (photos of one size and scale together),
        NMS per level then per photo."""
        found: list[tuple[np.ndarray, ...]] = [()] * len(pictures)
        for indices in _alike(pictures, scales):
            for index, parts in zip(indices, self._propose_alike([pictures[i] for i in indices], scales[indices[0]])):
                found[index] = parts
        boxes = np.concatenate([f[0] for f in found])
        offsets = np.concatenate([f[2] for f in found])
        image = np.concatenate([np.full(len(f[0]), i) for i, f in enumerate(found)])
        candidates = _Candidates(boxes, np.concatenate([f[1] for f in found]), image)
        keep = ops.batched_nms(candidates.boxes, candidates.scores, candidates.image, 0.7)
        candidates = candidates.take(keep)
        return replace(candidates, boxes=ops.square(ops.regress(candidates.boxes, offsets[keep])))

    def _propose_alike(self, pictures: list[np.ndarray], scale: float) -> list[tuple[np.ndarray, ...]]:
        """PNet candidates of working images of one size and working scale: per image, its
        boxes, scores and regression offsets."""
        height, width = pictures[0].shape[:2]
        min_face = max(self.min_face * scale, ops.CELL)
        b = self.border
        scales = ops.pyramid_scales(height, width, min_face, self.factor, self.max_side, b)
        found: list[tuple[np.ndarray, ...]] = []  # per level, then per picture
        levels = pictures
        for level_scale in scales:
            level_h, level_w = ops.level_size(height, width, level_scale)
            # Each level shrinks the previous one: INTER_AREA on a ratio near 1 from the full
            # picture costs ~10 ms a level at 1600 px, from the previous level a fraction.
            levels = [cv2.resize(level, (level_w, level_h), interpolation=cv2.INTER_AREA) for level in levels]
            reg, score = self.pnet(np.stack([cv2.copyMakeBorder(level, b, b, b, b, BORDER_MODE) for level in levels]))
            found += [ops.pnet_candidates(reg[k], score[k], (level_w / width, level_h / height), self.thresholds[0], b)
                      for k in range(len(levels))]
        return self._level_nms(found, len(pictures), len(scales))

    @staticmethod
    def _level_nms(found: list[tuple[np.ndarray, ...]], count: int, levels: int) -> list[tuple[np.ndarray, ...]]:
        """NMS within each picture's level, all in one sweep: ``found`` holds (boxes, scores,
        offsets) per level, then per picture; per picture, the kept ones, level by level, best
        score first within a level."""
        if not found:
            empty = (np.zeros((0, 4), np.float32), np.zeros(0, np.float32), np.zeros((0, 4), np.float32))
            return [empty] * count
        boxes, scores, offsets = (np.concatenate(arrays) for arrays in zip(*found))
        sizes = [len(part[1]) for part in found]
        picture = np.repeat(np.tile(np.arange(count), levels), sizes)
        group = picture * levels + np.repeat(np.repeat(np.arange(levels), count), sizes)
        keep = ops.nms(boxes, scores, 0.5, groups=group)
        keep = keep[np.argsort(group[keep], kind="stable")]
        return [(boxes[mine], scores[mine], offsets[mine]) for mine in (keep[picture[keep] == k] for k in range(count))]

    @staticmethod
    def _crops(
        pictures: list[np.ndarray], candidates: _Candidates, size: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Integer crop windows and their ``size``-square crops, in candidate order."""
        windows = ops.integer_boxes(candidates.boxes)
        crops = np.empty((len(windows), size, size, 3), dtype=np.uint8)
        for k, (window, index) in enumerate(zip(windows, candidates.image)):
            crops[k] = ops.crop_resized(pictures[index], window, size, BORDER_MODE)
        return windows, crops

    def _refine(self, pictures: list[np.ndarray], candidates: _Candidates) -> _Candidates:
        """Stage 2: RNet rescoring and regression, NMS per photo, squared again."""
        if not len(candidates.boxes):
            return candidates
        windows, crops = self._crops(pictures, candidates, RNet.size)
        offsets, scores = self.rnet(crops)
        passed = scores > self.thresholds[1]
        candidates = _Candidates(windows[passed].astype(np.float32), scores[passed], candidates.image[passed])
        keep = ops.batched_nms(candidates.boxes, candidates.scores, candidates.image, 0.7)
        candidates = candidates.take(keep)
        return replace(candidates, boxes=ops.square(ops.regress(candidates.boxes, offsets[passed][keep])))

    def _output(self, pictures: list[np.ndarray], candidates: _Candidates) -> tuple[_Candidates, np.ndarray]:
        """Stage 3: ONet's score, box and landmarks; NMS per photo by overlap of the smaller box."""
        if not len(candidates.boxes):
            return candidates, np.zeros((0, 5, 2), np.float32)
        windows, crops = self._crops(pictures, candidates, ONet.size)
        offsets, relative, scores = self.onet(crops)
        passed = scores > self.thresholds[2]
        landmarks = ops.decode_landmarks(relative[passed], windows[passed])
        boxes = ops.regress(windows[passed].astype(np.float32), offsets[passed])
        candidates = _Candidates(boxes, scores[passed], candidates.image[passed])
        keep = ops.batched_nms(candidates.boxes, candidates.scores, candidates.image, 0.7, "min")
        return candidates.take(keep), landmarks[keep]

    @staticmethod
    def _detections(
        candidates: _Candidates, landmarks: np.ndarray, index: int, scale: float
    ) -> list[FaceDetection]:
        mine = np.flatnonzero(candidates.image == index)
        mine = mine[np.argsort(-candidates.scores[mine], kind="stable")]
        return [
            FaceDetection(
                box=tuple(float(v) for v in candidates.boxes[k] / scale),
                landmarks=(landmarks[k] / scale).astype(np.float32),
                score=float(candidates.scores[k]),
            )
            for k in mine
        ]
