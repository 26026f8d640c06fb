"""Find every person in a photo, face visible or not, with 33 pose keypoints (BlazePose).

Why this detector: on our hand-checked photos (``trainer.bodies.evaluate``: 8 group photos
and a back view) it found 32 of 39 people with 4 false detections, where OpenCV 4's HOG
people detector found 2 (5 false) and the Haar full-body and upper-body cascades 4 (3 false)
and 3 (10 false). Apart from the back view, every HOG or Haar hit is a box about as tall as
the head it lands on or smaller, and even the best head placement in their boxes would find
at most 5 of 39. HOG and the cascades also left OpenCV with version 5. Measured by
``python -m bench.person_detectors`` (which says how HOG and Haar boxes are scored).

Steps (each in ``person_ops``): the photo and overlapping square tiles of it go through
MediaPipe's BlazePose detector (one batched run); detections over ``detector_threshold``
are merged per tile (NMS), then across tiles by their upper-body circles; each remaining
person's rotated ROI goes through the landmark model (one batched run), whose pose presence
score drops what is not a person. The body box spans the detector's head box and the
torso's landmarks (see ``person_ops.body_box``), clipped to the photo.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from albumtag.runtime.inference_model import InferenceModel
from albumtag.runtime.providers import Device
from albumtag.vision import mtcnn_ops
from albumtag.vision import person_ops as ops

BATCH = 8  # tiles or crops per run: bounds activations (a 12 MP photo has 25 tiles; 8 a run: -30 MB, not slower)


@dataclass(frozen=True, eq=False)
class PersonDetection:
    """One person: body ``box`` x1, y1, x2, y2 (float, photo pixels, clipped to the photo),
    ``score`` (detector score x pose presence), ``keypoints`` ``[33, 3]`` x, y, visibility
    (0..1) in ``person_ops.POSE_LANDMARKS`` order (points may lie outside the photo: the model
    places hidden joints too), and the detector's ``head_box`` (head and shoulders)."""

    box: tuple[float, float, float, float]
    score: float
    keypoints: np.ndarray = field(repr=False)
    head_box: tuple[float, float, float, float] = field(repr=False)


class PoseDetectorNet(InferenceModel):
    """BlazePose detector: 224x224 RGB -> raw anchor regressions and score logits."""

    model_name = "person_detector.blazepose"

    @property
    def size(self) -> int:
        return int(self.entry.extra["anchors"]["input_size"])

    def anchors(self) -> np.ndarray:
        spec = self.entry.extra["anchors"]
        return ops.ssd_anchor_centres(int(spec["input_size"]), spec["strides"], spec["per_cell"])

    def __call__(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        boxes, scores = mtcnn_ops.run_batched(self, images, BATCH)
        return boxes, scores


class PoseLandmarkNet(InferenceModel):
    """BlazePose landmark model (full): 256x256 ROI -> 39 x 5 values and pose presence."""

    model_name = "pose.landmarks_full"
    size = 256

    def __call__(self, crops: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        landmarks, presence = mtcnn_ops.run_batched(self, crops, BATCH)
        return landmarks, presence.reshape(-1)


@dataclass(frozen=True)
class _Candidates:
    """Detections of one photo in photo pixels: head boxes, scores, alignment keypoints."""

    boxes: np.ndarray
    scores: np.ndarray
    keypoints: np.ndarray

    def take(self, keep: np.ndarray) -> _Candidates:
        return _Candidates(self.boxes[keep], self.scores[keep], self.keypoints[keep])


class PersonDetector:
    """BlazePose on tiles + landmarks on onnxruntime; ``detect`` one RGB photo."""

    def __init__(
        self,
        device: Device | str = Device.AUTO,
        models_root: Path | None = None,
        threads: int | None = None,
        tile_fractions: tuple[float, ...] = (1.0, 0.5),
        detector_threshold: float = 0.5,
        tile_nms: float = 0.3,
        merge_distance: float = 0.5,
        presence_threshold: float = 0.5,
        roi_scale: float = 1.25,
        box_margin: float = 0.15,
    ) -> None:
        """Defaults are MediaPipe's (thresholds 0.5, NMS 0.3, ROI 1.25x) where it has one;
        ``tile_fractions`` and ``merge_distance`` were chosen on the group photos (see
        ``trainer.bodies.evaluate``)."""
        self.detector = PoseDetectorNet(device, models_root, threads)
        self.landmarker = PoseLandmarkNet(device, models_root, threads)
        self.anchors = self.detector.anchors()
        self.tile_fractions = tile_fractions
        self.detector_threshold = detector_threshold
        self.tile_nms = tile_nms
        self.merge_distance = merge_distance
        self.presence_threshold = presence_threshold
        self.roi_scale = roi_scale
        self.box_margin = box_margin

    @property
    def version(self) -> str:
        return f"{self.detector.version};{self.landmarker.version}"

    def detect(self, image: np.ndarray) -> list[PersonDetection]:
        """People in one RGB uint8 HxWx3 photo (already upright), best score first."""
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise ValueError(f"expected an RGB uint8 HxWx3 array, got {image.dtype} {image.shape}")
        candidates = self._candidates(image)
        if not len(candidates.scores):
            return []
        return self._people(image, candidates)

    def _candidates(self, image: np.ndarray) -> _Candidates:
        """Detector pass over the photo and its tiles, merged into one detection per person."""
        size = self.detector.size
        regions = ops.tile_regions(*image.shape[:2], self.tile_fractions)
        inputs = np.stack([ops.letterbox(image[r.y:r.y + r.height, r.x:r.x + r.width], size) for r in regions])
        raw, logits = self.detector(inputs)
        found = [self._region_candidates(raw[k], logits[k], region) for k, region in enumerate(regions)]
        merged = _Candidates(*(np.concatenate(parts) for parts in zip(*found)))
        return merged.take(ops.merge_by_upper_body(merged.keypoints, merged.scores, self.merge_distance))

    def _region_candidates(self, raw: np.ndarray, logits: np.ndarray, region: ops.Region) -> tuple[np.ndarray, ...]:
        boxes, scores, keypoints = ops.decode_detections(raw, logits, self.anchors, self.detector_threshold)
        keep = mtcnn_ops.nms(boxes, scores, self.tile_nms)
        size = self.detector.size
        boxes = ops.from_letterbox(boxes[keep].reshape(-1, 2, 2), region, size).reshape(-1, 4)
        return boxes.astype(np.float32), scores[keep], ops.from_letterbox(keypoints[keep], region, size)

    def _people(self, image: np.ndarray, candidates: _Candidates) -> list[PersonDetection]:
        """Landmarks on each candidate's ROI; those the model sees a pose in become people."""
        size = self.landmarker.size
        centres, sides, rotations = ops.roi_from_keypoints(candidates.keypoints, self.roi_scale)
        matrices = np.stack([ops.roi_matrix(c, s, r, size) for c, s, r in zip(centres, sides, rotations)])
        raw, presence = self.landmarker(np.stack([ops.crop_roi(image, m, size) for m in matrices]))
        points, visibility, _ = ops.project_landmarks(raw, matrices)
        height, width = image.shape[:2]
        people = []
        for k in np.flatnonzero(presence >= self.presence_threshold):
            body = ops.body_box(candidates.boxes[k], points[k], self.box_margin)
            keypoints = np.concatenate([points[k, :ops.BODY_LANDMARKS],
                                        visibility[k, :ops.BODY_LANDMARKS, None]], axis=1)
            people.append(PersonDetection(
                box=tuple(float(v) for v in ops.clip_box(body, height, width)),
                score=float(candidates.scores[k] * presence[k]),
                keypoints=keypoints.astype(np.float32),
                head_box=tuple(float(v) for v in candidates.boxes[k]),
            ))
        return sorted(people, key=lambda p: -p.score)
