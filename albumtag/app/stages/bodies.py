"""Stage ``bodies``: every person in a photo, with or without a visible face (PIPER).

The person detector finds bodies with 33 pose keypoints (back views and far-away people
included); each face the faces stage found is matched to at most one body by bipartite
assignment, so one person is one instance. A face whose body was not detected gets the body
box PIPER's rule derives from the face; a body without a face becomes an instance of its own.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from albumtag.app.pipeline import Stage, mark_stage
from albumtag.app.progress import CancelToken
from albumtag.app.stages.photo_batches import prefetched_batches
from albumtag.library.schema import Album, AssignedBy, PersonInstance, Photo
from albumtag.library.vectors import to_blob
from albumtag.runtime.providers import Device
from albumtag.vision.body_box import Bodies, load_rule, person_instances
from albumtag.vision.person_detector import PersonDetector

STAGE_NAME = "bodies"
PHOTOS_PER_BATCH = 4
Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class BodyJob:
    photo_id: int
    path: str
    faces: tuple[tuple[int, Box], ...]  # (instance id, face box in original pixels)


@dataclass(frozen=True)
class BodyRecord:
    instance_id: int | None  # the face's instance, None for a body seen without a face
    box: Box  # original pixels
    score: float | None  # detector score; None when the box is derived from the face
    keypoints: np.ndarray | None  # [33, 3] x, y (original pixels), visibility


@dataclass(frozen=True)
class BodyResult:
    people: list[BodyRecord]


def _scaled(box: Sequence[float], scale: float) -> Box:
    return tuple(float(v) * scale for v in box)


class BodyStage(Stage[BodyJob, BodyResult]):
    name = STAGE_NAME
    label = "Finding people"
    requires = "faces"
    commit_every = 8

    def __init__(self, device: Device | str = Device.AUTO, models_root: Path | None = None) -> None:
        self.detector = PersonDetector(device, models_root)
        self.rule = load_rule(models_root)

    @property
    def version(self) -> str:
        return f"{self.detector.version};{self.rule.version}"

    def make_jobs(self, session: Session, photo_ids: Sequence[int]) -> list[BodyJob]:
        faces: dict[int, list[tuple[int, Box]]] = defaultdict(list)
        for inst in session.scalars(select(PersonInstance).where(PersonInstance.photo_id.in_(photo_ids),
                                                                 PersonInstance.face_x1.is_not(None))):
            faces[inst.photo_id].append((inst.id, (inst.face_x1, inst.face_y1, inst.face_x2, inst.face_y2)))
        rows = session.execute(select(Photo.id, Photo.relpath, Album.root).join(Album)
                               .where(Photo.id.in_(photo_ids)).order_by(Photo.id))
        return [BodyJob(pid, str(Path(root) / rel), tuple(faces[pid])) for pid, rel, root in rows]

    def process(self, jobs: Iterable[BodyJob], cancel: CancelToken
                ) -> Iterator[tuple[BodyJob, BodyResult | Exception]]:
        for batch, decoded in prefetched_batches(jobs, PHOTOS_PER_BATCH, cancel):
            for job, item in zip(batch, decoded):
                yield job, item if isinstance(item, Exception) else self._analyse(job, *item)

    def _analyse(self, job: BodyJob, scale: float, image: np.ndarray) -> BodyResult:
        """Detect in working pixels, match, and report in original pixels."""
        people = self.detector.detect(image)
        face_boxes = np.array([_scaled(box, 1 / scale) for _, box in job.faces], dtype=np.float32).reshape(-1, 4)
        height, width = image.shape[:2]
        records = []
        for found in person_instances(face_boxes, Bodies.of(people), self.rule, height, width):
            body = people[found.body] if found.body is not None else None
            records.append(BodyRecord(
                instance_id=job.faces[found.face][0] if found.face is not None else None,
                box=_scaled(found.box, scale),
                score=body.score if body else None,
                keypoints=(body.keypoints * np.array([scale, scale, 1.0])).astype(np.float32) if body else None))
        return BodyResult(records)

    def store(self, session: Session, job: BodyJob, result: BodyResult) -> None:
        stale = session.scalars(select(PersonInstance).where(
            PersonInstance.photo_id == job.photo_id, PersonInstance.face_x1.is_(None),
            PersonInstance.assigned_by.is_(None) | (PersonInstance.assigned_by == AssignedBy.MODEL)))
        for instance in stale:  # earlier body-only detections; a person's decisions are kept
            session.delete(instance)
        for record in result.people:
            instance = (session.get(PersonInstance, record.instance_id) if record.instance_id is not None
                        else PersonInstance(photo_id=job.photo_id, quality=record.score or 0.0))
            if instance is None:
                continue
            instance.body_x1, instance.body_y1, instance.body_x2, instance.body_y2 = record.box
            instance.body_score = record.score
            instance.keypoints = to_blob(record.keypoints) if record.keypoints is not None else None
            session.add(instance)
        mark_stage(session, job.photo_id, self.name, self.version)
