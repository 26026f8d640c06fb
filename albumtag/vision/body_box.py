"""PIPER's body box from a face box, and one person per face and body.

PIPER (Zhang et al. 2015) derives a person's body box from the head box by a fixed offset
and scale. Ours are learned (``trainer.bodies.build_body_box``): on photos where both are
known, the median of the person detector's body box (``person_ops.body_box``: head, shoulders
and hips) relative to the MTCNN face box, in face widths and heights from the face's centre.
So a face-derived box and a detected body box mean the same region, and their overlap says
whether they are one person; faces and bodies are then paired by bipartite assignment
(``linear_sum_assignment``) on that overlap, so no face takes two bodies or the reverse.
A pair is allowed only when the face lies near the detector's head box: in a crowd the body
boxes of neighbours overlap, and on the hand-checked group photos overlap alone paired 3 of
31 faces with a neighbour's body; with the gate, 30 of 33 faces are paired, all rightly (the
other 3 are people the detector missed).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.optimize import linear_sum_assignment

from albumtag.runtime.manifest import model_entry
from albumtag.vision.boxes import contained_fraction, iou_matrix
from albumtag.vision.person_detector import PersonDetection
from albumtag.vision.person_ops import clip_box

RULE_MODEL = "body_box"
MIN_IOU = 0.3  # a face-derived body box and a detected one overlapping less are two people
MAX_HEAD_DISTANCE = 1.0  # face centre to head box centre, in face sizes (sqrt of the area)
MAX_INSIDE = 0.5  # a faceless body mostly inside another person's body box is that person
# A face whose body box shows less than this much beyond the face (in face areas) fills the
# frame: a tight crop or a close-up, nothing below the chin but the neck. Its derived box is
# 7.6 face areas unclipped, so the photo shows under a seventh of the body: 0.3 on a 112 px
# face crop, 2.2 on an LFW photo framed to the shoulders.
FRAMED_FACE_BEYOND = 1.0


@dataclass(frozen=True)
class BodyBoxRule:
    """Body box edges ``x1, y1, x2, y2`` as offsets from the face box's centre, in face
    widths (x) and heights (y)."""

    offsets: tuple[float, float, float, float]
    version: str = ""

    def body_box(self, face_box: np.ndarray, height: int, width: int) -> np.ndarray:
        """The body box of one face box, clipped to the ``height`` x ``width`` photo."""
        return clip_box(self.unclipped(np.asarray(face_box, dtype=np.float64)[None])[0], height, width)

    def body_beyond_face(self, face_boxes: np.ndarray, height: int, width: int) -> np.ndarray:
        """Per face ``[n, 4]``, how much of its body box lies in the photo beyond the face
        box, in face areas: what a body descriptor or the person detector could add."""
        faces = np.asarray(face_boxes, dtype=np.float64).reshape(-1, 4)
        bodies = np.clip(self.unclipped(faces), 0, [width, height, width, height])
        on_face = np.diagonal(contained_fraction(bodies, faces))  # share of each body box on its own face
        return _area(bodies) * (1 - on_face) / np.maximum(_area(faces), 1e-6)

    def fills_frame(self, face_boxes: np.ndarray, height: int, width: int) -> bool:
        """Whether the photo has faces and each fills the frame (``FRAMED_FACE_BEYOND``):
        no body beyond them to detect or describe."""
        beyond = self.body_beyond_face(face_boxes, height, width)
        return bool(len(beyond)) and bool(np.all(beyond < FRAMED_FACE_BEYOND))

    def unclipped(self, face_boxes: np.ndarray) -> np.ndarray:
        """Body boxes ``[n, 4]`` of face boxes ``[n, 4]``, where the rule puts them."""
        centre = (face_boxes[:, :2] + face_boxes[:, 2:]) / 2
        size = face_boxes[:, 2:] - face_boxes[:, :2]
        scale = np.concatenate([size, size], axis=1)
        return np.concatenate([centre, centre], axis=1) + np.asarray(self.offsets) * scale


def _area(boxes: np.ndarray) -> np.ndarray:
    return np.prod(np.maximum(boxes[:, 2:] - boxes[:, :2], 0), axis=1)


def load_rule(models_root: Path | None = None) -> BodyBoxRule:
    """The rule named ``body_box`` in the manifest."""
    entry = model_entry(RULE_MODEL, models_root)
    document = json.loads(entry.path(models_root).read_text(encoding="utf-8"))
    return BodyBoxRule(offsets=tuple(float(v) for v in document["offsets"]), version=entry.version)


def head_distances(face_boxes: np.ndarray, head_boxes: np.ndarray) -> np.ndarray:
    """``[faces, heads]`` distances between box centres, in each face's size."""
    faces, heads = np.asarray(face_boxes, dtype=np.float64), np.asarray(head_boxes, dtype=np.float64)
    face_centres = (faces[:, :2] + faces[:, 2:]) / 2
    head_centres = (heads[:, :2] + heads[:, 2:]) / 2
    sizes = np.sqrt(np.prod(np.maximum(faces[:, 2:] - faces[:, :2], 1e-6), axis=1))
    return np.linalg.norm(face_centres[:, None] - head_centres[None], axis=2) / sizes[:, None]


@dataclass(frozen=True)
class Bodies:
    """Detected bodies of one photo: body boxes and the detector's head boxes, ``[n, 4]``."""

    boxes: np.ndarray
    head_boxes: np.ndarray

    def __len__(self) -> int:
        return len(self.boxes)

    @classmethod
    def of(cls, people: Sequence[PersonDetection]) -> Bodies:
        def stack(boxes: list) -> np.ndarray:
            return np.array(boxes, dtype=np.float32).reshape(-1, 4)

        return cls(stack([p.box for p in people]), stack([p.head_box for p in people]))


def match_faces_to_bodies(
    face_boxes: np.ndarray, bodies: Bodies, rule: BodyBoxRule, height: int, width: int,
    min_iou: float = MIN_IOU, max_head_distance: float = MAX_HEAD_DISTANCE,
) -> list[tuple[int, int]]:
    """(face index, body index) pairs: the assignment that maximises the summed IoU of each
    face's derived body box with the detected body boxes (all clipped to the photo), among
    pairs whose head box lies within ``max_head_distance`` of the face; pairs overlapping by
    less than ``min_iou`` are dropped."""
    if not len(face_boxes) or not len(bodies):
        return []
    derived = np.stack([rule.body_box(face, height, width) for face in np.asarray(face_boxes)])
    iou = iou_matrix(derived, bodies.boxes)
    iou[head_distances(face_boxes, bodies.head_boxes) > max_head_distance] = 0.0
    rows, cols = linear_sum_assignment(-iou)
    return [(int(r), int(c)) for r, c in zip(rows, cols) if iou[r, c] >= min_iou]


@dataclass(frozen=True)
class PersonInstance:
    """One person in a photo: its face (index into the faces) and/or detected body (index
    into the bodies), and its body box: the detected one, else the one the rule derives."""

    face: int | None
    body: int | None
    box: tuple[float, float, float, float]


def person_instances(
    face_boxes: np.ndarray, bodies: Bodies, rule: BodyBoxRule, height: int, width: int,
) -> list[PersonInstance]:
    """Every face and every detected body in exactly one instance: matched pairs first, then
    faces without a body (the rule gives their box), then bodies without a face."""
    pairs = match_faces_to_bodies(face_boxes, bodies, rule, height, width)
    paired_faces, paired_bodies = {f for f, _ in pairs}, {b for _, b in pairs}

    def box(values: np.ndarray) -> tuple[float, float, float, float]:
        return tuple(float(v) for v in values)

    instances = [PersonInstance(f, b, box(bodies.boxes[b])) for f, b in pairs]
    instances += [PersonInstance(f, None, box(rule.body_box(face_boxes[f], height, width)))
                  for f in range(len(face_boxes)) if f not in paired_faces]
    near_face = (head_distances(face_boxes, bodies.head_boxes).min(axis=0) <= MAX_HEAD_DISTANCE
                 if len(face_boxes) and len(bodies) else np.zeros(len(bodies), dtype=bool))
    # An unpaired body whose head is at a known face is that face's person, badly framed.
    faceless = [b for b in range(len(bodies)) if b not in paired_bodies and not near_face[b]]
    return instances + [PersonInstance(None, b, box(bodies.boxes[b]))
                        for b in _not_inside(faceless, bodies.boxes, [i.box for i in instances])]


def _not_inside(candidates: list[int], boxes: np.ndarray, people: list[tuple[float, ...]]) -> list[int]:
    """Faceless bodies that are not mostly inside a person already found (nor inside a
    stronger faceless body): a second detection of someone's torso is not a second person.
    ``candidates`` come best first, as the detector orders them."""
    kept: list[int] = []
    for b in candidates:
        others = [*people, *(tuple(boxes[k]) for k in kept)]
        if not others or contained_fraction(boxes[b], np.array(others)).max() <= MAX_INSIDE:
            kept.append(b)
    return kept
