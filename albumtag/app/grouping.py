"""Grouping unnamed faces into people (clusters) and keeping those groups up to date.

Runs after the face stage. Loads every instance the grouping may place with what the library
knows about it (who confirmed whom, which matches were rejected), has
``albumtag.recognize.grouping`` label them, and stores the labels as people: a re-run is
incremental, placing only the instances that arrived since the last one, unless the face
descriptor changed. Each person's face stats are kept with the library for the People view.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from sqlalchemy import Select, delete, func, select, update
from sqlalchemy.orm import Session

from albumtag.embed.body_parts import BODY_FEATURE
from albumtag.embed.face_descriptor import EMBEDDING_SIZE, FACE_FEATURE
from albumtag.library.database import Library
from albumtag.library.schema import (
    CONFIRMED_BY,
    AssignedBy,
    DecisionState,
    Feature,
    LibraryInfo,
    Person,
    PersonInstance,
    Photo,
    TagDecision,
)
from albumtag.library.vectors import from_blob
from albumtag.recognize.clustering import group_stats, members_by_label
from albumtag.recognize.grouping import GroupingParams, Instances, group_labels, same_day_body_limits
from albumtag.recognize.likely_names import stats_to_json
from albumtag.recognize.same_day import NO_DAY

GROUPED_KEY = "grouping_state"  # see _grouped_state
GROUP_STATS_KEY = "group_stats"  # see _store_group_stats


@dataclass
class GroupingSummary:
    faces: int = 0
    groups: int = 0
    new_groups: int = 0
    assigned: int = 0


def load_instances(session: Session) -> Instances:
    """Every instance with a face feature and every one with a body feature in a dated photo
    (those a same-day body may place, and a full run without that evidence sets free), by
    instance id."""
    info = {r[0]: r[1:] for r in session.execute(
        select(PersonInstance.id, PersonInstance.photo_id, PersonInstance.quality, PersonInstance.person_id,
               PersonInstance.assigned_by, Photo.taken_at).join(Photo, Photo.id == PersonInstance.photo_id))}
    faces = _vectors(session, select(Feature.instance_id, Feature.vector).where(Feature.kind == FACE_FEATURE))
    bodies = _vectors(session, select(Feature.instance_id, Feature.vector)
                      .join(PersonInstance, PersonInstance.id == Feature.instance_id)
                      .join(Photo, Photo.id == PersonInstance.photo_id)
                      .where(Feature.kind == BODY_FEATURE, Photo.taken_at.is_not(None)))
    ids = sorted(set(faces) | set(bodies))
    rows = [info[i] for i in ids]
    return Instances(
        instance_ids=np.array(ids, dtype=np.int64),
        photo_ids=np.array([r[0] for r in rows], dtype=np.int64),
        vectors=_stack(faces, ids, EMBEDDING_SIZE),
        quality=np.array([r[1] for r in rows], dtype=np.float64),
        person_ids=np.array([r[2] if r[2] is not None else -1 for r in rows], dtype=np.int64),
        fixed=np.array([r[3] in CONFIRMED_BY for r in rows], dtype=bool),
        days=np.array([r[4].toordinal() if r[4] is not None else NO_DAY for r in rows], dtype=np.int64),
        bodies=_stack(bodies, ids, len(next(iter(bodies.values()))) if bodies else 1),
    )


def _vectors(session: Session, query: Select) -> dict[int, np.ndarray]:
    return {instance_id: from_blob(blob) for instance_id, blob in session.execute(query)}


def _stack(vectors: dict[int, np.ndarray], ids: list[int], dim: int) -> np.ndarray:
    """[len(ids), dim]: each id's vector, NaN where it has none."""
    stacked = np.full((len(ids), dim), np.nan, dtype=np.float32)
    for row, instance_id in enumerate(ids):
        if instance_id in vectors:
            stacked[row] = vectors[instance_id]
    return stacked


def _forbidden(session: Session, instances: Instances) -> dict[int, set[int]]:
    position = {int(i): k for k, i in enumerate(instances.instance_ids)}
    banned: dict[int, set[int]] = defaultdict(set)
    for instance_id, person_id in session.execute(
            select(TagDecision.instance_id, TagDecision.person_id)
            .where(TagDecision.state == DecisionState.REJECTED)):
        if instance_id in position:
            banned[position[instance_id]].add(person_id)
    return banned


def _write(session: Session, instances: Instances, labels: np.ndarray, summary: GroupingSummary,
           min_group: int) -> None:
    members: dict[int, list[int]] = defaultdict(list)
    for k, label in enumerate(labels.tolist()):
        if not instances.fixed[k]:
            members[label].append(k)
    named_or_kept = set(session.scalars(select(Person.id)))
    for label, group in members.items():
        if _unchanged(instances, label, group, min_group):
            continue
        if label < 0 and len(group) < min_group:
            person_id = None
        elif label < 0 or label not in named_or_kept:
            person = Person(name=None)
            session.add(person)
            session.flush()
            person_id = person.id
            summary.new_groups += 1
        else:
            person_id = label
        ids = instances.instance_ids[group].tolist()
        session.execute(update(PersonInstance).where(PersonInstance.id.in_(ids))
                        .values(person_id=person_id, assigned_by=AssignedBy.MODEL if person_id else None))
        summary.assigned += len(ids) if person_id else 0
    _drop_empty_unnamed(session)


def _unchanged(instances: Instances, label: int, group: list[int], min_group: int) -> bool:
    """The group's faces already hold what would be written (a kept person, or nobody)."""
    current = instances.person_ids[group]
    if label >= 0:
        return bool(np.all(current == label))
    return len(group) < min_group and bool(np.all(current < 0))


def _drop_empty_unnamed(session: Session) -> None:
    used = select(PersonInstance.person_id).where(PersonInstance.person_id.is_not(None))
    session.execute(delete(Person).where(Person.name.is_(None), Person.hidden.is_(False),
                                         Person.id.not_in(used)))


def _grouped_state(session: Session, instances: Instances) -> str:
    """What the next incremental run starts from: the largest instance id grouped, and the
    descriptor model versions the face vectors came from."""
    versions = sorted(session.scalars(select(Feature.model_version_id).where(Feature.kind == FACE_FEATURE)
                                      .distinct()))
    return json.dumps({"instance": int(instances.instance_ids.max()), "models": versions})


def _store_group_stats(session: Session, instances: Instances) -> None:
    """Each person's (named or not) face stats, from which the People view offers an unnamed
    group the name it probably is (``albumtag.app.people``); kept with the library, since
    reading every face vector each time the view is drawn would cost seconds in a large one."""
    session.flush()
    person_of = dict(session.execute(select(PersonInstance.id, PersonInstance.person_id)
                                     .where(PersonInstance.person_id.is_not(None))).all())
    faces = np.flatnonzero(instances.has_face)
    owner = np.array([person_of.get(i, -1) for i in instances.instance_ids[faces].tolist()], dtype=np.int64)
    rows, people = faces[owner >= 0], owner[owner >= 0]
    stats = group_stats(instances.vectors, {person: rows[nodes] for person, nodes in members_by_label(people).items()})
    session.merge(LibraryInfo(key=GROUP_STATS_KEY, value=stats_to_json(stats)))


def _new_instances(session: Session, instances: Instances) -> np.ndarray | None:
    """Which instances arrived since the last grouping (instance ids only grow), or None when
    everything must be grouped again: nothing was grouped before, or the descriptor changed
    (a new face model, so earlier distances no longer hold)."""
    stored = session.get(LibraryInfo, GROUPED_KEY)
    if stored is None:
        return None
    before = json.loads(stored.value)
    if before["models"] != json.loads(_grouped_state(session, instances))["models"]:
        return None
    return instances.instance_ids > before["instance"]


def grouping_behind(library: Library) -> bool:
    """Whether faces arrived since the last grouping: a run stopped before it grouped (a full
    disk, a crash) leaves them for the next one, whose face stage may have nothing to do."""
    with library.session() as session:
        newest = session.scalar(select(func.max(Feature.instance_id)).where(Feature.kind == FACE_FEATURE))
    mark = grouped_mark(library)
    return newest is not None and (mark is None or mark < newest)


def grouped_mark(library: Library) -> int | None:
    """The largest instance id the last grouping placed; None when nothing was grouped yet."""
    with library.session() as session:
        stored = session.get(LibraryInfo, GROUPED_KEY)
    return None if stored is None else int(json.loads(stored.value)["instance"])


def update_groups(library: Library, params: GroupingParams = GroupingParams(),
                  full: bool = False, since: int | None = None) -> GroupingSummary:
    """Place the faces that arrived since the last run into groups (or, with ``full``, re-cluster
    every face, e.g. after the features changed) and store the groups as people. ``since`` (a
    ``grouped_mark``) places every instance after it again, though grouped already: the import
    groups its faces before the bodies pass and again once the bodies' evidence is in.

    The incremental run searches neighbours for the new faces only and leaves settled groups
    as they are, so adding a few photos to a large library costs little; decisions made in
    between are already applied by the people actions. Every run starts from the current
    groups, so a group keeps its person (and number) while it keeps its faces."""
    limits = same_day_body_limits(params)
    with library.session() as session:
        instances = load_instances(session)
        summary = GroupingSummary(faces=int(instances.has_face.sum()))
        if summary.faces == 0:
            return summary
        if full:
            new = None
        elif since is not None:
            new = instances.instance_ids > since
        else:
            new = _new_instances(session, instances)
        if new is None or new.any():
            labels = group_labels(instances, _forbidden(session, instances), params, new, limits)
            _write(session, instances, labels, summary, params.min_group)
        session.merge(LibraryInfo(key=GROUPED_KEY, value=_grouped_state(session, instances)))
        _store_group_stats(session, instances)
        summary.groups = len({int(p) for p in session.scalars(
            select(PersonInstance.person_id).where(PersonInstance.person_id.is_not(None)))})
    return summary
