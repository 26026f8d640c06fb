"""Putting named people on a photo's instances: imported XMP tags and restored backups.

A named box goes to the detected face it overlaps most (IoU at least ``MATCH_IOU``, one face
per box); with no such face it becomes an instance of its own with just that box (no
landmarks, no descriptor), so the tag is kept even where the detector saw nothing. A name
without a box goes to the photo's face only when there is exactly one: with several faces
any choice is a guess that would then be "confirmed" and never revisited by the engine,
and with none there is nothing to put it on.

What a person decided wins: an instance the user confirmed as someone else is left alone,
and a name the user rejected for an instance is never put back on it.

Boxes read from a photo's XMP (``regions=True``) are also kept, as read, on the instance each
lands on (``PersonInstance.region_*``), including one the name was already on, so the export
writes the region back exactly rather than the detector's box for the same face.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from albumtag.io.orientation import Box
from albumtag.io.xmp_regions import TaggedPerson
from albumtag.library.schema import (
    CONFIRMED_BY,
    AssignedBy,
    DecisionState,
    Person,
    PersonInstance,
    TagDecision,
)
from albumtag.vision.boxes import iou_matrix

MATCH_IOU = 0.3  # a face region drawn by hand is looser than a detector's box


@dataclass
class AttachSummary:
    linked: int = 0  # names put on instances (detected faces or new box-only ones)
    created: int = 0  # of those, box-only instances made for a region no face matched
    skipped: int = 0  # names left out: a person decided otherwise, or nowhere to put them

    def add(self, other: AttachSummary) -> None:
        self.linked += other.linked
        self.created += other.created
        self.skipped += other.skipped


def clean_name(name: str) -> str:
    return " ".join(name.split())


def find_person(session: Session, name: str) -> Person | None:
    """The person with this name (the oldest, if several)."""
    return session.scalar(select(Person).where(Person.name == clean_name(name)).order_by(Person.id).limit(1))


def person_named(session: Session, name: str) -> Person:
    """The person with this name, created when nobody has it."""
    person = find_person(session, name)
    if person is None:
        person = Person(name=clean_name(name))
        session.add(person)
        session.flush()
    return person


def face_instances(session: Session, photo_id: int) -> list[PersonInstance]:
    return list(session.scalars(select(PersonInstance).where(
        PersonInstance.photo_id == photo_id, PersonInstance.face_x1.is_not(None)).order_by(PersonInstance.id)))


def face_box(instance: PersonInstance) -> Box:
    return instance.face_x1, instance.face_y1, instance.face_x2, instance.face_y2


def match_boxes(boxes: Sequence[Box], instances: Sequence[PersonInstance]) -> dict[int, PersonInstance]:
    """Box index -> the instance whose face it is (one-to-one, by IoU)."""
    if not boxes or not instances:
        return {}
    iou = iou_matrix(np.array(boxes), np.array([face_box(i) for i in instances]))
    rows, cols = linear_sum_assignment(-iou)
    return {r: instances[c] for r, c in zip(rows, cols) if iou[r, c] >= MATCH_IOU}


def attach_people(session: Session, photo_id: int, people: Sequence[TaggedPerson],
                  source: AssignedBy, regions: bool = False) -> AttachSummary:
    """Confirm each named person on the photo (see the module docstring for where);
    ``regions``: the boxes are face regions read from the photo's XMP, kept as read."""
    summary = AttachSummary()
    for person, instance in _boxed_on_faces(session, photo_id, people):
        if instance is None:
            instance = _box_only(session, photo_id, person.box)
            summary.created += 1
        linked = _confirm(session, instance, person.name, source)
        if linked and regions:
            instance.region_x1, instance.region_y1, instance.region_x2, instance.region_y2 = person.box
        _count(summary, linked)
    for person in people:
        if person.box is None:
            _count(summary, _confirm_keyword(session, photo_id, person.name, source))
    return summary


def reject_people(session: Session, photo_id: int, people: Sequence[TaggedPerson]) -> AttachSummary:
    """Record that the face in each box is not that person (restoring a backup)."""
    summary = AttachSummary()
    boxed = _boxed_on_faces(session, photo_id, people)
    for person, instance in boxed:
        if instance is None:
            summary.skipped += 1
            continue
        _reject(session, instance, person_named(session, person.name))
        summary.linked += 1
    summary.skipped += len(people) - len(boxed)
    return summary


def _boxed_on_faces(session: Session, photo_id: int,
                    people: Sequence[TaggedPerson]) -> list[tuple[TaggedPerson, PersonInstance | None]]:
    """Each person with a box, in order, with the photo's detected face it lands on
    (``match_boxes``), or None. One function because attaching and rejecting people must pick
    the same face for the same box; the faces are read before the caller changes anything."""
    boxed = [p for p in people if p.box is not None]
    if not boxed:  # most photos: no query for their faces
        return []
    matched = match_boxes([p.box for p in boxed], face_instances(session, photo_id))
    return [(person, matched.get(index)) for index, person in enumerate(boxed)]


def _count(summary: AttachSummary, linked: bool) -> None:
    if linked:
        summary.linked += 1
    else:
        summary.skipped += 1


def _box_only(session: Session, photo_id: int, box: Box) -> PersonInstance:
    instance = PersonInstance(photo_id=photo_id, quality=0.0)
    instance.face_x1, instance.face_y1, instance.face_x2, instance.face_y2 = box
    session.add(instance)
    session.flush()
    return instance


def _rejected(session: Session, instance_id: int, person_id: int) -> bool:
    return bool(session.scalar(select(exists().where(
        TagDecision.instance_id == instance_id, TagDecision.person_id == person_id,
        TagDecision.state == DecisionState.REJECTED))))


def _confirm(session: Session, instance: PersonInstance, name: str, source: AssignedBy) -> bool:
    """Put the named person on the instance with a confirmed decision; False if a person's
    earlier decision stands in the way (then nobody new is created). Already there is done."""
    known = find_person(session, name)
    if known is not None and instance.person_id == known.id and instance.assigned_by in CONFIRMED_BY:
        return True
    if instance.assigned_by == AssignedBy.USER or (known is not None and _rejected(session, instance.id, known.id)):
        return False
    person = known or person_named(session, name)
    instance.person_id, instance.assigned_by = person.id, source
    session.add(TagDecision(instance_id=instance.id, person_id=person.id, state=DecisionState.CONFIRMED,
                            source=source))
    session.flush()
    return True


def _confirm_keyword(session: Session, photo_id: int, name: str, source: AssignedBy) -> bool:
    faces = face_instances(session, photo_id)
    known = find_person(session, name)
    if known is not None and any(face.person_id == known.id for face in faces):
        return True
    if len(faces) != 1 or faces[0].assigned_by in CONFIRMED_BY:
        return False
    return _confirm(session, faces[0], name, source)


def _reject(session: Session, instance: PersonInstance, person: Person) -> None:
    if not _rejected(session, instance.id, person.id):
        session.add(TagDecision(instance_id=instance.id, person_id=person.id, state=DecisionState.REJECTED,
                                source=AssignedBy.USER))
    if instance.person_id == person.id and instance.assigned_by not in CONFIRMED_BY:
        instance.person_id, instance.assigned_by = None, None
    session.flush()
