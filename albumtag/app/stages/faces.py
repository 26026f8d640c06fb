"""Stage ``faces``: find every face, align it, describe it and score its quality.

Photos are decoded on a helper thread (JPEG at reduced scale: no more pixels than detection
and chips use) while onnxruntime works on the previous batch; the detector's second and
third nets and the descriptor run once per batch of photos. Boxes and landmarks are stored
in the upright photo's own pixels, whatever resolution they were found at.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.optimize import linear_sum_assignment
from sqlalchemy import select
from sqlalchemy.orm import Session

from albumtag.app.pipeline import Stage, mark_stage
from albumtag.app.progress import CancelToken
from albumtag.app.stages.photo_batches import prefetched_batches
from albumtag.embed.face_descriptor import EMBEDDING_SIZE, FACE_FEATURE, FaceDescriptor
from albumtag.library.model_versions import model_version_id
from albumtag.library.schema import CONFIRMED_BY, Album, Feature, PersonInstance, Photo
from albumtag.library.vectors import to_blob
from albumtag.runtime.providers import Device
from albumtag.vision.align import face_chip, load_template
from albumtag.vision.boxes import iou_matrix
from albumtag.vision.face_detection import FaceDetection, FaceDetector
from albumtag.vision.face_detectors import create_face_detector
from albumtag.vision.face_quality import QualitySignals, face_size, quality_score, sharpness, yaw_ratio

STAGE_NAME = "faces"
PHOTOS_PER_BATCH = 8
KEEP_IOU = 0.4  # a new detection this close to a face a person confirmed updates it


@dataclass(frozen=True)
class FaceJob:
    photo_id: int
    path: str


@dataclass(frozen=True)
class FaceRecord:
    box: tuple[float, float, float, float]
    landmarks: np.ndarray  # [5, 2] float32, original pixels
    score: float
    quality: float
    descriptor: np.ndarray  # [128] float32


@dataclass(frozen=True)
class FaceResult:
    faces: list[FaceRecord]


class FaceStage(Stage[FaceJob, FaceResult]):
    name = STAGE_NAME
    label = "Finding faces"
    requires = "decode"
    commit_every = 16

    def __init__(self, device: Device | str = Device.AUTO, models_root: Path | None = None) -> None:
        self.detector: FaceDetector = create_face_detector(device, models_root)
        self.template = load_template(models_root)
        self.descriptor = FaceDescriptor(device, models_root)
        self._model_ids: dict[str, int] = {}

    @property
    def version(self) -> str:
        return f"{self.detector.version};{self.template.version};{self.descriptor.version}"

    def make_jobs(self, session: Session, photo_ids: Sequence[int]) -> list[FaceJob]:
        rows = session.execute(select(Photo.id, Photo.relpath, Album.root).join(Album)
                               .where(Photo.id.in_(photo_ids)).order_by(Photo.id))
        return [FaceJob(pid, str(Path(root) / rel)) for pid, rel, root in rows]

    def process(self, jobs: Iterable[FaceJob], cancel: CancelToken
                ) -> Iterator[tuple[FaceJob, FaceResult | Exception]]:
        for batch, decoded in prefetched_batches(jobs, PHOTOS_PER_BATCH, cancel):
            yield from self._analyse(batch, decoded)

    def _analyse(self, batch: list[FaceJob], decoded: list) -> Iterator[tuple[FaceJob, FaceResult | Exception]]:
        usable = [(job, item) for job, item in zip(batch, decoded) if not isinstance(item, Exception)]
        for job, item in zip(batch, decoded):
            if isinstance(item, Exception):
                yield job, item
        if not usable:
            return
        images = [array for _, (_, array) in usable]
        detections = self.detector.detect_batch(images)
        chips, descriptors = self.describe(images, detections)
        for (job, (scale, _)), found, photo_chips, photo_descriptors in zip(usable, detections, chips, descriptors):
            faces = [self._record(d, chip, descriptor, scale)
                     for d, chip, descriptor in zip(found, photo_chips, photo_descriptors)]
            yield job, FaceResult(faces)

    def describe(self, images: list[np.ndarray], detections: list[list[FaceDetection]]
                 ) -> tuple[list[list[np.ndarray]], list[np.ndarray]]:
        """Aligned chips and descriptors of every detected face, per photo; the descriptor
        runs once over the whole batch."""
        chips = [[face_chip(image, d.landmarks, self.template) for d in found]
                 for image, found in zip(images, detections)]
        flat = [chip for per_photo in chips for chip in per_photo]
        vectors = self.descriptor.describe(np.stack(flat)) if flat else np.zeros((0, EMBEDDING_SIZE), np.float32)
        bounds = np.cumsum([0] + [len(c) for c in chips])
        return chips, [vectors[a:b] for a, b in zip(bounds[:-1], bounds[1:])]

    @staticmethod
    def _record(detection: FaceDetection, chip: np.ndarray, descriptor: np.ndarray, scale: float) -> FaceRecord:
        landmarks = (detection.landmarks * scale).astype(np.float32)
        signals = QualitySignals(face_size(landmarks), yaw_ratio(landmarks), sharpness(chip),
                                 detection.score)
        box = tuple(float(v) * scale for v in detection.box)
        return FaceRecord(box, landmarks, float(detection.score), quality_score(signals),
                          descriptor.astype(np.float32))

    def _model_id(self, session: Session) -> int:
        if FACE_FEATURE not in self._model_ids:
            self._model_ids[FACE_FEATURE] = model_version_id(
                session, self.descriptor.model_name, self.descriptor.version, self.descriptor.entry.sha256)
        return self._model_ids[FACE_FEATURE]

    def store(self, session: Session, job: FaceJob, result: FaceResult) -> None:
        existing = list(session.scalars(select(PersonInstance).where(PersonInstance.photo_id == job.photo_id)))
        kept = [i for i in existing if i.assigned_by in CONFIRMED_BY]
        for instance in existing:
            if instance not in kept:
                session.delete(instance)
        matched = self._match_kept(kept, result.faces)
        model_id = self._model_id(session)
        for index, face in enumerate(result.faces):
            instance = matched.get(index) or PersonInstance(photo_id=job.photo_id)
            _apply_face(instance, face)
            session.add(instance)
            session.flush()
            _store_feature(session, instance.id, model_id, face.descriptor)
        mark_stage(session, job.photo_id, self.name, self.version)

    @staticmethod
    def _match_kept(kept: list[PersonInstance], faces: list[FaceRecord]) -> dict[int, PersonInstance]:
        """New detections that are the same faces as confirmed instances (bipartite, by IoU)."""
        with_boxes = [i for i in kept if i.face_x1 is not None]
        if not with_boxes or not faces:
            return {}
        old = np.array([[i.face_x1, i.face_y1, i.face_x2, i.face_y2] for i in with_boxes])
        new = np.array([f.box for f in faces])
        iou = iou_matrix(new, old)
        rows, cols = linear_sum_assignment(-iou)
        return {r: with_boxes[c] for r, c in zip(rows, cols) if iou[r, c] >= KEEP_IOU}


def _apply_face(instance: PersonInstance, face: FaceRecord) -> None:
    instance.face_x1, instance.face_y1, instance.face_x2, instance.face_y2 = face.box
    instance.landmarks = to_blob(face.landmarks)
    instance.face_score = face.score
    instance.quality = face.quality


def _store_feature(session: Session, instance_id: int, model_id: int, vector: np.ndarray) -> None:
    feature = session.scalar(select(Feature).where(Feature.instance_id == instance_id,
                                                   Feature.kind == FACE_FEATURE))
    feature = feature or Feature(instance_id=instance_id, kind=FACE_FEATURE)
    feature.model_version_id = model_id
    feature.vector = to_blob(vector)
    feature.norm = float(np.linalg.norm(vector))
    session.add(feature)
