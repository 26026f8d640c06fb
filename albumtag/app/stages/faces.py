"""Stage ``faces``: find every face, align it, describe it and score its quality.

The analysis is ``albumtag.embed.face_analysis`` (shared with the benchmarks and the trainer):
photos are decoded on a helper thread (JPEG at reduced scale: no more pixels than detection
and chips use) while onnxruntime works on the previous batch; the detector's batch step and
the descriptor run once per batch of photos. Boxes and landmarks are stored in the upright
photo's own pixels, whatever resolution they were found at.
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
from albumtag.embed.face_analysis import PHOTOS_PER_BATCH, AnalysedFace, FaceAnalysis, analysis_streams
from albumtag.embed.face_descriptor import FACE_FEATURE
from albumtag.library.features import instances_by_photo, replace_features
from albumtag.library.model_versions import model_version_id
from albumtag.library.schema import CONFIRMED_BY, Album, PersonInstance, Photo
from albumtag.library.vectors import to_blob
from albumtag.runtime.providers import Device
from albumtag.vision.boxes import iou_matrix
from albumtag.vision.face_quality import QualitySignals, face_size, quality_score, sharpness, yaw_ratio

STAGE_NAME = "faces"
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
        self.analysis = FaceAnalysis(device, models_root, streams=analysis_streams(device))
        self._model_ids: dict[str, int] = {}

    @property
    def version(self) -> str:
        return self.analysis.version  # detector;template;descriptor

    def make_jobs(self, session: Session, photo_ids: Sequence[int]) -> list[FaceJob]:
        rows = session.execute(select(Photo.id, Photo.relpath, Album.root).join(Album)
                               .where(Photo.id.in_(photo_ids)).order_by(Photo.id))
        return [FaceJob(pid, str(Path(root) / rel)) for pid, rel, root in rows]

    def process(self, jobs: Iterable[FaceJob], cancel: CancelToken
                ) -> Iterator[tuple[FaceJob, FaceResult | Exception]]:
        for job, photo in self.analysis.analyse_files(jobs, PHOTOS_PER_BATCH, cancel):
            if isinstance(photo, Exception):
                yield job, photo
            else:
                yield job, FaceResult([self._record(face, photo.scale) for face in photo.faces])

    @staticmethod
    def _record(face: AnalysedFace, scale: float) -> FaceRecord:
        detection = face.detection
        landmarks = (detection.landmarks * scale).astype(np.float32)
        signals = QualitySignals(face_size(landmarks), yaw_ratio(landmarks), sharpness(face.chip),
                                 detection.score)
        box = tuple(float(v) * scale for v in detection.box)
        return FaceRecord(box, landmarks, float(detection.score), quality_score(signals),
                          face.descriptor.astype(np.float32))

    def _model_id(self, session: Session) -> int:
        if FACE_FEATURE not in self._model_ids:
            descriptor = self.analysis.descriptor
            self._model_ids[FACE_FEATURE] = model_version_id(
                session, descriptor.model_name, descriptor.version, descriptor.sha256)
        return self._model_ids[FACE_FEATURE]

    def preload(self, session: Session, done: Sequence[tuple[FaceJob, FaceResult]]
                ) -> dict[int, list[PersonInstance]]:
        """Each photo's instances so far (a photo read again keeps those a person confirmed)."""
        return instances_by_photo(session, [job.photo_id for job, _ in done])

    def store(self, session: Session, job: FaceJob, result: FaceResult,
              preloaded: list[PersonInstance] | None) -> None:
        existing = preloaded or []
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
            replace_features(instance, FACE_FEATURE.__eq__, {FACE_FEATURE: (model_id, face.descriptor)})
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

