"""Stage ``bodies``: every person in a photo, with or without a visible face (PIPER).

The person detector finds bodies with 33 pose keypoints (back views and far-away people
included); each face the faces stage found is matched to at most one body by bipartite
assignment, so one person is one instance. A face whose body was not detected gets the body
box PIPER's rule derives from the face; a body without a face becomes an instance of its own.

Every instance then gets its descriptors (``albumtag.embed.body_parts``): a ``body`` feature
of the whole body box, and for a detected body one ``part:<type>`` feature per poselet type
that fires on its pose, each from the type's aligned crop. The body CNN runs once per photo
over all of its crops. ``locate``, ``crops`` and ``describe`` are the three steps, public so
that ``bench/stage_timing.py`` can time each.

A photo whose faces fill the frame (a tight face crop, a close-up: ``BodyBoxRule.fills_frame``)
is not decoded here at all: there is no body beyond the faces to detect or describe, and each
face keeps the box the rule derives.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path

import cv2
import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from albumtag.app.pipeline import Stage, mark_stage
from albumtag.app.progress import CancelToken
from albumtag.embed.body_descriptor import (
    COLOUR_WEIGHT,
    INPUT_HEIGHT,
    INPUT_WIDTH,
    BodyDescriptor,
    crop_body,
    describe_with_colour,
)
from albumtag.embed.body_parts import BODY_FEATURE, PART_FEATURE_PREFIX, part_feature
from albumtag.io.photo_batches import prefetched_batches
from albumtag.library.features import instances_by_photo, replace_features
from albumtag.library.model_versions import model_version_id
from albumtag.library.schema import Album, AssignedBy, PersonInstance, Photo
from albumtag.library.vectors import to_blob
from albumtag.runtime.providers import Device
from albumtag.vision.body_box import Bodies, load_rule, person_instances
from albumtag.vision.person_detector import PersonDetection, PersonDetector
from albumtag.vision.person_ops import POSE_LANDMARKS
from albumtag.vision.poselets import POSELETS_MODEL, crop_part, fire, load_poselets

STAGE_NAME = "bodies"
PHOTOS_PER_BATCH = 4
NOSE = POSE_LANDMARKS.index("nose")
POSE_FACE_MARGIN = 0.25  # a pose's nose this far outside its face box (in face sizes) is not that face's
Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class BodyJob:
    photo_id: int
    path: str
    faces: tuple[tuple[int, Box], ...]  # (instance id, face box in original pixels)
    size: tuple[int, int] | None = None  # (height, width) as displayed, when the decode stage knows it


@dataclass(frozen=True)
class Sighting:
    """One person of a photo in working pixels: its face (index into the job's faces) and
    face box, its body box, and the detection (with the pose) when the body was detected."""

    face: int | None
    face_box: Box | None
    box: Box
    detection: PersonDetection | None


@dataclass(frozen=True)
class BodyRecord:
    instance_id: int | None  # the face's instance, None for a body seen without a face
    box: Box  # original pixels
    score: float | None  # detector score; None when the box is derived from the face
    keypoints: np.ndarray | None  # [33, 3] x, y (original pixels), visibility
    features: dict[str, np.ndarray]  # feature kind -> descriptor: body, part:<type>


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
    background = True  # faces group without it: people show while this, the slow part, runs

    def __init__(self, device: Device | str = Device.AUTO, models_root: Path | None = None) -> None:
        self.detector = PersonDetector(device, models_root)
        self.rule = load_rule(models_root)
        self.descriptor = BodyDescriptor(device, models_root)
        self.poselets = load_poselets(models_root)
        self._model_ids: dict[tuple[str, str], int] = {}

    @property
    def version(self) -> str:
        return f"{self.detector.version};{self.rule.version};{self._descriptor_version}"

    @property
    def _descriptor_version(self) -> str:
        """What the stored vectors depend on beyond the detector: the CNN, the colour
        statistics' weight and the part types."""
        return f"{self.descriptor.version};w{COLOUR_WEIGHT:g};{self.poselets.version}"

    def make_jobs(self, session: Session, photo_ids: Sequence[int]) -> list[BodyJob]:
        faces: dict[int, list[tuple[int, Box]]] = defaultdict(list)
        for inst in session.scalars(select(PersonInstance).where(PersonInstance.photo_id.in_(photo_ids),
                                                                 PersonInstance.face_x1.is_not(None))):
            faces[inst.photo_id].append((inst.id, (inst.face_x1, inst.face_y1, inst.face_x2, inst.face_y2)))
        rows = session.execute(select(Photo.id, Photo.relpath, Album.root, Photo.height, Photo.width)
                               .join(Album).where(Photo.id.in_(photo_ids)).order_by(Photo.id))
        return [BodyJob(pid, str(Path(root) / rel), tuple(faces[pid]), (height, width) if height and width else None)
                for pid, rel, root, height, width in rows]

    def process(self, jobs: Iterable[BodyJob], cancel: CancelToken
                ) -> Iterator[tuple[BodyJob, BodyResult | Exception]]:
        """Photos whose faces fill the frame are answered without pixels; runs of the others
        are decoded ahead and analysed."""
        for framed, run in groupby(jobs, key=self.fills_frame):
            if framed:
                for job in run:
                    if cancel.cancelled:
                        return
                    yield job, self._face_only(job)
                continue
            for batch, decoded in prefetched_batches(run, PHOTOS_PER_BATCH, cancel):
                for job, item in zip(batch, decoded):
                    yield job, item if isinstance(item, Exception) else self._analyse(job, *item)
            if cancel.cancelled:
                return

    def fills_frame(self, job: BodyJob) -> bool:
        """Whether the photo's faces fill it (``BodyBoxRule.fills_frame``): a tight crop or a
        close-up has no body to find or describe beyond its faces, and the person detector
        (most of this stage's cost) would only find those faces again."""
        return job.size is not None and self.rule.fills_frame(
            np.array([box for _, box in job.faces], dtype=np.float64).reshape(-1, 4), *job.size)

    def _face_only(self, job: BodyJob) -> BodyResult:
        """Each face's instance with the body box the rule derives, and no body features."""
        height, width = job.size or (0, 0)
        return BodyResult([BodyRecord(instance_id=instance_id, score=None, keypoints=None, features={},
                                      box=tuple(float(v) for v in self.rule.body_box(np.array(box), height, width)))
                           for instance_id, box in job.faces])

    def _analyse(self, job: BodyJob, scale: float, image: np.ndarray) -> BodyResult:
        """Detect, match and describe in working pixels; report in original pixels."""
        sightings = self.locate(job, scale, image)
        features = self.describe(self.crops(image, sightings))
        records = [BodyRecord(
            instance_id=job.faces[seen.face][0] if seen.face is not None else None,
            box=_scaled(seen.box, scale),
            score=seen.detection.score if seen.detection else None,
            keypoints=(seen.detection.keypoints * np.array([scale, scale, 1.0])).astype(np.float32)
            if seen.detection else None,
            features=found) for seen, found in zip(sightings, features)]
        return BodyResult(records)

    def locate(self, job: BodyJob, scale: float, image: np.ndarray) -> list[Sighting]:
        """Person detection and pose on the photo, matched with the job's faces."""
        people = self.detector.detect(image)
        faces = [_scaled(box, 1 / scale) for _, box in job.faces]
        face_boxes = np.array(faces, dtype=np.float32).reshape(-1, 4)
        height, width = image.shape[:2]
        return [Sighting(face=found.face, box=found.box,
                         face_box=faces[found.face] if found.face is not None else None,
                         detection=people[found.body] if found.body is not None else None)
                for found in person_instances(face_boxes, Bodies.of(people), self.rule, height, width)]

    def crops(self, image: np.ndarray, sightings: Sequence[Sighting]) -> list[dict[str, np.ndarray]]:
        """Per person, feature kind -> crop: the body box, and each fired part's aligned crop
        (parts only from a pose that agrees with the person's face, if a face was found)."""
        height, width = image.shape[:2]
        found = []
        for seen in sightings:
            crops = {BODY_FEATURE: _shrunk(crop_body(image, seen.box))} if _has_area(seen.box) else {}
            if seen.detection is not None and pose_agrees(seen.detection.keypoints, seen.face_box):
                crops |= {part_feature(part.type.name): crop_part(image, part)
                          for part in fire(self.poselets, seen.detection.keypoints, height, width)}
            found.append(crops)
        return found

    def describe(self, crops: Sequence[dict[str, np.ndarray]]) -> list[dict[str, np.ndarray]]:
        """Descriptors of every crop of the photo, the CNN run once over all of them."""
        flat = [crop for per_person in crops for crop in per_person.values()]
        vectors = iter(describe_with_colour(self.descriptor, flat))
        return [{kind: next(vectors) for kind in per_person} for per_person in crops]

    def _feature_model(self, kind: str) -> tuple[str, str]:
        """(name, version) of the model_version row that a kind's vectors point to: body
        vectors depend on the CNN and the colour weight, part vectors on the part types too."""
        if kind == BODY_FEATURE:
            return self.descriptor.model_name, f"{self.descriptor.version};w{COLOUR_WEIGHT:g}"
        return f"{self.descriptor.model_name}+{POSELETS_MODEL}", self._descriptor_version

    def _model_id(self, session: Session, kind: str) -> int:
        model = self._feature_model(kind)
        if model not in self._model_ids:
            self._model_ids[model] = model_version_id(session, *model, self.descriptor.entry.sha256)
        return self._model_ids[model]

    def preload(self, session: Session, done: Sequence[tuple[BodyJob, BodyResult]]
                ) -> dict[int, list[PersonInstance]]:
        """Each photo's instances with their features (the faces stage's, and earlier bodies)."""
        return instances_by_photo(session, [job.photo_id for job, _ in done], with_features=True)

    def store(self, session: Session, job: BodyJob, result: BodyResult,
              preloaded: list[PersonInstance] | None) -> None:
        instances = {i.id: i for i in preloaded or []}
        for instance in instances.values():  # earlier body-only detections; a person's decisions are kept
            if instance.face_x1 is None and instance.assigned_by in (None, AssignedBy.MODEL):
                session.delete(instance)
        for record in result.people:
            instance = (instances.get(record.instance_id) if record.instance_id is not None
                        else PersonInstance(photo_id=job.photo_id, quality=record.score or 0.0))
            if instance is None:
                continue
            instance.body_x1, instance.body_y1, instance.body_x2, instance.body_y2 = record.box
            instance.body_score = record.score
            instance.keypoints = to_blob(record.keypoints) if record.keypoints is not None else None
            session.add(instance)
            replace_features(instance, _is_body_kind,
                             {kind: (self._model_id(session, kind), vector)
                              for kind, vector in record.features.items()})
        mark_stage(session, job.photo_id, self.name, self.version)


def _is_body_kind(kind: str) -> bool:
    """The feature kinds this stage writes (an instance's face feature is the faces stage's)."""
    return kind == BODY_FEATURE or kind.startswith(PART_FEATURE_PREFIX)


def pose_agrees(keypoints: np.ndarray, face_box: Box | None) -> bool:
    """Whether a pose can be the face's person's: its nose lies in the face box grown by
    ``POSE_FACE_MARGIN`` of its size each way (always, without a face). In crowds and
    close-ups the pose model sometimes lays a neighbour's pose, or a wrong one, over a
    detected person: on the hand-checked group photos 5 of 30 poses paired with a face put
    the nose outside it (tests/app/test_group_instances.py); parts cut along such a pose
    would describe someone else, or no body part at all."""
    if face_box is None:
        return True
    box = np.asarray(face_box, dtype=np.float64)
    margin = (box[2:] - box[:2]) * POSE_FACE_MARGIN
    nose = np.asarray(keypoints)[NOSE, :2]
    return bool(np.all(nose >= box[:2] - margin) and np.all(nose <= box[2:] + margin))


def _shrunk(crop: np.ndarray) -> np.ndarray:
    """A body crop area-averaged down to at most twice the CNN's input (it resizes to that
    anyway): the colour statistics cost per pixel, and on the timing photos (bench/
    stage_timing.py) full-resolution body crops made them 70 ms of a photo's 100 ms of
    descriptors."""
    scale = min(1.0, 2 * INPUT_HEIGHT / crop.shape[0], 2 * INPUT_WIDTH / crop.shape[1])
    if scale >= 1.0:
        return crop
    size = (max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale)))
    return cv2.resize(crop, size, interpolation=cv2.INTER_AREA)


def _has_area(box: Box) -> bool:
    """Whether a box covers at least one whole pixel each way (a derived box clipped at the
    photo's edge may not)."""
    return round(box[2]) - round(box[0]) >= 1 and round(box[3]) - round(box[1]) >= 1
