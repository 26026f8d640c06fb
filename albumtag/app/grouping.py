"""Grouping unnamed faces into people (clusters) and keeping those groups up to date.

Runs after the face stage. Loads every instance the grouping may place with what the library
knows about it (who confirmed whom, which matches were rejected), has
``albumtag.recognize.grouping`` label them, and stores the labels as people: a re-run is
incremental, placing only the instances that arrived since the last one, unless the face
descriptor changed. Each person's face stats are kept with the library for the People view.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import Row, Select, bindparam, delete, func, insert, select, update
from sqlalchemy.orm import Session

from albumtag.embed.body_parts import BODY_FEATURE
from albumtag.embed.face_descriptor import FACE_FEATURE
from albumtag.embed.face_vector import FACE_VECTOR_SIZE, current_face_features
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
LOAD_BATCH = 10_000  # database rows read at once by load_instances
NEW_PERSON = -1  # _write's mark for a group that becomes a new person


@dataclass
class GroupingSummary:
    faces: int = 0
    groups: int = 0
    new_groups: int = 0
    assigned: int = 0
    # wall seconds of each step (load, group, store, stats): where a large library's time goes
    seconds: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def timed(self, step: str) -> Iterator[None]:
        started = time.perf_counter()
        yield
        self.seconds[step] = self.seconds.get(step, 0.0) + time.perf_counter() - started


def load_instances(session: Session) -> Instances:
    """Every instance with a face feature and every one with a body feature in a dated photo
    (those a same-day body may place, and a full run without that evidence sets free), by
    instance id.

    Read ``LOAD_BATCH`` rows at a time straight into the arrays: a dict of one small array per
    face and a tuple per instance took 180 MB more at 100k faces, most of it left behind as a
    fragmented heap that the grouping's own peak then stood on (``bench/cluster_scale.py``)."""
    faces = select(Feature.instance_id, Feature.vector).where(current_face_features())
    bodies = (select(Feature.instance_id, Feature.vector)
              .join(PersonInstance, PersonInstance.id == Feature.instance_id)
              .join(Photo, Photo.id == PersonInstance.photo_id)
              .where(Feature.kind == BODY_FEATURE, Photo.taken_at.is_not(None)))
    ids = np.union1d(_ids(session, faces), _ids(session, bodies)).astype(np.int64)
    count = len(ids)
    instances = Instances(
        instance_ids=ids, photo_ids=np.zeros(count, np.int64), vectors=_stack(session, faces, ids, FACE_VECTOR_SIZE),
        quality=np.zeros(count), person_ids=np.full(count, -1, np.int64), fixed=np.zeros(count, dtype=bool),
        days=np.full(count, NO_DAY, np.int64), bodies=_stack(session, bodies, ids, 1))
    _fill_instance_columns(session, instances)
    return instances


def _ids(session: Session, query: Select) -> np.ndarray:
    """The instance ids (the query's first column) the query returns."""
    ids = session.connection().scalars(query.with_only_columns(query.selected_columns[0]))
    return np.fromiter(ids, dtype=np.int64)


def _batches(session: Session, query: Select) -> Iterator[Sequence[Row]]:
    """The query's rows, ``LOAD_BATCH`` at a time, through the session's connection: plain
    rows without the ORM's per-row work, which doubled the reading time."""
    yield from session.connection().execute(query.execution_options(yield_per=LOAD_BATCH)).partitions()


def _positions(ids: np.ndarray, instance_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each of ``instance_ids`` stands in the sorted ``ids``, and which of them are there."""
    positions = np.minimum(np.searchsorted(ids, instance_ids), max(len(ids) - 1, 0))
    return positions, (ids[positions] == instance_ids) if len(ids) else np.zeros(len(instance_ids), dtype=bool)


def _stack(session: Session, query: Select, ids: np.ndarray, empty_dim: int) -> np.ndarray:
    """[len(ids), dim]: each id's vector (query rows: instance id, vector blob), NaN where it
    has none; ``empty_dim`` wide when the query finds no vector at all."""
    stacked: np.ndarray | None = None
    for batch in _batches(session, query):
        vectors = from_blob(b"".join(blob for _, blob in batch)).reshape(len(batch), -1)
        if stacked is None:
            stacked = np.full((len(ids), vectors.shape[1]), np.nan, dtype=np.float32)
        stacked[_positions(ids, np.fromiter((i for i, _ in batch), np.int64, len(batch)))[0]] = vectors
    return stacked if stacked is not None else np.full((len(ids), empty_dim), np.nan, dtype=np.float32)


def _fill_instance_columns(session: Session, instances: Instances) -> None:
    """Photo, quality, person, whether fixed, and day of each instance, from the database."""
    query = (select(PersonInstance.id, PersonInstance.photo_id, PersonInstance.quality, PersonInstance.person_id,
                    PersonInstance.assigned_by, Photo.taken_at).join(Photo, Photo.id == PersonInstance.photo_id))
    for batch in _batches(session, query):
        positions, found = _positions(instances.instance_ids, np.fromiter((r[0] for r in batch), np.int64, len(batch)))
        rows = [r for r, hit in zip(batch, found.tolist()) if hit]
        at = positions[found]
        instances.photo_ids[at] = [r[1] for r in rows]
        instances.quality[at] = np.array([r[2] for r in rows], dtype=np.float64)
        instances.person_ids[at] = [r[3] if r[3] is not None else -1 for r in rows]
        instances.fixed[at] = [r[4] in CONFIRMED_BY for r in rows]
        instances.days[at] = [r[5].toordinal() if r[5] is not None else NO_DAY for r in rows]


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
    """Store the labels as people: a kept person keeps its id, a new group of ``min_group``+
    faces becomes a new unnamed person, a smaller one leaves its faces with nobody. Only the
    faces whose person changes are written, in one statement run for all of them, and the new
    people are inserted together: a flush per new person and an ORM update per group were a
    fifth of a first grouping of 100k faces (py-spy)."""
    members: dict[int, list[int]] = defaultdict(list)
    for k, label in enumerate(labels.tolist()):
        if not instances.fixed[k]:
            members[label].append(k)
    named_or_kept = set(session.scalars(select(Person.id)))
    targets: list[tuple[list[int], int | None]] = []  # a group's rows and its person; NEW_PERSON: a new one
    for label, group in members.items():
        if _unchanged(instances, label, group, min_group):
            continue
        if label < 0 and len(group) < min_group:
            targets.append((group, None))
        else:
            targets.append((group, label if label >= 0 and label in named_or_kept else NEW_PERSON))
    new_count = sum(person == NEW_PERSON for _, person in targets)
    new_people = iter(_new_people(session, new_count))
    changes = []
    for group, person in targets:
        person_id = next(new_people) if person == NEW_PERSON else person
        rows = np.asarray(group)
        moved = rows[instances.person_ids[rows] != (-1 if person_id is None else person_id)]
        by = AssignedBy.MODEL if person_id is not None else None
        changes += [{"row": i, "person": person_id, "by": by} for i in instances.instance_ids[moved].tolist()]
        summary.assigned += len(moved) if person_id is not None else 0
    summary.new_groups += new_count
    if changes:
        table = PersonInstance.__table__
        session.connection().execute(update(table).where(table.c.id == bindparam("row"))
                                     .values(person_id=bindparam("person"), assigned_by=bindparam("by")), changes)
    _drop_empty_unnamed(session)


def _new_people(session: Session, count: int) -> list[int]:
    """The ids of ``count`` new unnamed people, inserted in one statement."""
    if count == 0:
        return []
    return list(session.scalars(insert(Person).returning(Person.id, sort_by_parameter_order=True),
                                [{"name": None}] * count))


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
    summary = GroupingSummary()
    with library.session() as session:
        with summary.timed("load"):
            instances = load_instances(session)
        summary.faces = int(instances.has_face.sum())
        if summary.faces == 0:
            return summary
        if full:
            new = None
        elif since is not None:
            new = instances.instance_ids > since
        else:
            new = _new_instances(session, instances)
        if new is None or new.any():
            with summary.timed("group"):
                labels = group_labels(instances, _forbidden(session, instances), params, new, limits)
            with summary.timed("store"):
                _write(session, instances, labels, summary, params.min_group)
        session.merge(LibraryInfo(key=GROUPED_KEY, value=_grouped_state(session, instances)))
        with summary.timed("stats"):
            _store_group_stats(session, instances)
        summary.groups = len({int(p) for p in session.scalars(
            select(PersonInstance.person_id).where(PersonInstance.person_id.is_not(None)))})
    return summary
