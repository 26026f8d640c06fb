"""Grouping unnamed faces into people (clusters) and keeping those groups up to date.

Runs after the face stage. Faces a person confirmed (or imported tags) are fixed; rejected
matches are forbidden; everything else may move. Starting from the current assignment makes
a re-run incremental: existing groups keep their ids, new faces join them or form new ones,
and merged groups stay merged. Low-quality faces never start a group but may join the group
of a very close good face, and a face that matches nobody stays alone (kept out of People).
Chinese whispers' chains are then split and its strays joined by average distances
(``albumtag.recognize.group_repair``); only faces that may move are moved. Where two faces of
one photo end up in one group, the photo's faces and the groups near them are matched jointly
(``albumtag.recognize.photo_assignment``). Inside one day,
where clothes stay the same, bodies add evidence (``albumtag.recognize.same_day``): two
faces a little too far apart are linked when their bodies match, and a person seen without a
face joins the group whose body they match.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, fields

import numpy as np
from sqlalchemy import Select, delete, select, update
from sqlalchemy.orm import Session

from albumtag.embed.body_parts import BODY_FEATURE
from albumtag.embed.face_descriptor import EMBEDDING_SIZE, FACE_FEATURE, MATCH_DISTANCE
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
from albumtag.recognize.clustering import chinese_whispers, edge_weights, group_stats, members_by_label, settle
from albumtag.recognize.fusion import body_acceptance, shipped_body_tail
from albumtag.recognize.group_repair import join_strays, split_conflicting_groups, split_loose_groups
from albumtag.recognize.likely_names import stats_to_json
from albumtag.recognize.neighbours import build_index, knn, radius_graph
from albumtag.recognize.open_set import DEFAULT_FAR
from albumtag.recognize.photo_assignment import assign_within_photos
from albumtag.recognize.same_day import (
    DIFFERENT_CLOTHES,
    NO_DAY,
    BodyLimits,
    cannot_link_pairs,
    face_links,
    join_faceless,
    same_day_pairs,
)

GROUPED_KEY = "grouping_state"  # see _grouped_state
GROUP_STATS_KEY = "group_stats"  # see _store_group_stats


@dataclass(frozen=True)
class GroupingParams:
    """How faces are grouped. The radii are dlib's for its descriptor (its clustering
    threshold, and its same-person distance for the average-linkage repairs); the join margin
    was chosen on development data (``bench/grouping_dev.py``, LFW's training half)."""

    cluster_radius: float = 0.5  # dlib's own chinese-whispers threshold for this descriptor
    attach_radius: float = 0.45  # a low-quality face joins a group only when this close
    neighbours: int = 20
    seed_quality: float = 0.3  # faces below this never start or bridge a group
    min_group: int = 2  # a group of one is not a person yet
    split_radius: float = MATCH_DISTANCE  # a group splits where members are farther on average
    join_radius: float = MATCH_DISTANCE  # a stray joins a group this close on average ...
    join_margin: float = 0.05  # ... and this much closer than to any other group
    stray_size: int = 2  # groups this small may join a larger one
    body_far: float = DEFAULT_FAR  # same-day bodies match under the acceptance at this rate; 0: off
    min_conflicts: int = 2  # a group holding this many cannot-link pairs may split; 0: never


@dataclass
class Faces:
    """Every instance with a face feature, or with a body feature in a dated photo, with what
    the library knows about it, as parallel arrays. Faceless rows hold NaN ``vectors``."""

    instance_ids: np.ndarray
    photo_ids: np.ndarray
    vectors: np.ndarray  # [N, 128] face features
    quality: np.ndarray
    person_ids: np.ndarray  # -1 when unassigned
    fixed: np.ndarray  # bool: assigned by a person or imported metadata
    days: np.ndarray  # the photo's day number (date ordinal), NO_DAY when undated
    bodies: np.ndarray  # [N, D] body features of dated photos, NaN rows where none

    @property
    def has_face(self) -> np.ndarray:
        return np.isfinite(self.vectors[:, 0])

    def take(self, rows: np.ndarray) -> Faces:
        """These rows only, in this order."""
        return Faces(*(getattr(self, f.name)[rows] for f in fields(self)))


@dataclass
class GroupingSummary:
    faces: int = 0
    groups: int = 0
    new_groups: int = 0
    assigned: int = 0


def load_faces(session: Session) -> Faces:
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
    return Faces(
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


def _forbidden(session: Session, faces: Faces) -> dict[int, set[int]]:
    position = {int(i): k for k, i in enumerate(faces.instance_ids)}
    banned: dict[int, set[int]] = defaultdict(set)
    for instance_id, person_id in session.execute(
            select(TagDecision.instance_id, TagDecision.person_id)
            .where(TagDecision.state == DecisionState.REJECTED)):
        if instance_id in position:
            banned[position[instance_id]].add(person_id)
    return banned


def cluster_seeds(faces: Faces, seeds: np.ndarray, params: GroupingParams,
                  new: np.ndarray | None = None, links: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Chinese whispers over the good faces, starting from the current assignment. With
    ``new`` (bool per face), only the new faces' edges are searched and only they may move:
    the groups settled before stay as they are, new faces join them or form their own.
    ``links`` (pairs of face rows) are edges the face graph lacks, e.g. matched by body."""
    moving = None if new is None else new[seeds]
    queries = None if moving is None else np.flatnonzero(moving)
    rows, cols, distances = radius_graph(faces.vectors[seeds], params.neighbours, params.cluster_radius, queries)
    weights = edge_weights(distances, params.cluster_radius)
    if links is not None:
        extra_rows, extra_cols = _seed_positions(seeds, *links)
        rows, cols = np.concatenate([rows, extra_rows]), np.concatenate([cols, extra_cols])
        weights = np.concatenate([weights, np.ones(len(extra_rows))])
    labels = chinese_whispers(len(seeds), rows, cols, weights,
                              initial=faces.person_ids[seeds], frozen=None if moving is None else ~moving)
    # A group without a person is named after a seed, -(position among seeds + 1); renumber it
    # by the seed's position among all faces, so it cannot collide with a non-seed's own label.
    unnamed = labels < 0
    labels[unnamed] = -(seeds[-labels[unnamed] - 1] + 1)
    return labels


def _seed_positions(seeds: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The pairs of face rows whose both ends are seeds, as positions among the seeds."""
    position = np.full(int(max(seeds.max(initial=-1), rows.max(initial=-1), cols.max(initial=-1))) + 1, -1)
    position[seeds] = np.arange(len(seeds))
    keep = (position[rows] >= 0) & (position[cols] >= 0)
    return position[rows[keep]], position[cols[keep]]


def attach_rest(faces: Faces, seeds: np.ndarray, seed_labels: np.ndarray, labels: np.ndarray,
                radius: float, new: np.ndarray | None = None) -> None:
    """Low-quality faces (the new ones only, with ``new``) take the label of a very close good
    face, if any."""
    rest = np.setdiff1d(np.arange(len(labels)), seeds)
    rest = rest[~faces.fixed[rest]]
    if new is not None:
        rest = rest[new[rest]]
    if len(rest) == 0 or len(seeds) == 0:
        return
    distances, nearest = knn(build_index(faces.vectors[seeds]), faces.vectors[rest], 1)
    close = distances[:, 0] < radius
    labels[rest[close]] = seed_labels[nearest[close, 0]]


def group_labels(faces: Faces, forbidden: dict[int, set[int]], params: GroupingParams,
                 new: np.ndarray | None = None, limits: BodyLimits | None = None) -> np.ndarray:
    """Final label of every instance: a person id (>= 0), or negative for a new group/alone.
    With ``new`` (bool per instance) only new ones are placed; the others keep their person.
    With ``limits`` (``same_day_body_limits``), bodies of one day add evidence."""
    labels = _starting_labels(faces, new)
    pairs = None if limits is None else same_day_pairs(faces.days, faces.photo_ids, faces.bodies, limits.match)
    with_face = np.flatnonzero(faces.has_face)
    links = None if pairs is None else face_links(faces.vectors, pairs[0], pairs[1], params.cluster_radius,
                                                  params.split_radius)
    face_labels = _face_labels(faces.take(with_face), _rows_of(forbidden, with_face), params,
                               None if new is None else new[with_face],
                               None if links is None else _remap(with_face, links),
                               None if limits is None else limits.differ)
    labels[with_face] = _as_rows(face_labels, with_face, len(labels))
    if limits is not None:
        movable = ~faces.fixed if new is None else new & ~faces.fixed
        labels = join_faceless(labels, faces.photo_ids, faces.days, faces.bodies, movable,
                               _joinable(faces, labels, params.min_group), limits.match, params.join_margin)
        banned = [k for k, people in forbidden.items() if not faces.has_face[k] and labels[k] in people]
        labels[banned] = -(np.asarray(banned, dtype=np.int64) + 1)
    return labels


def _starting_labels(faces: Faces, new: np.ndarray | None) -> np.ndarray:
    """Each row alone, -(row + 1); in an incremental run (``new`` given) the rows with a person
    keep it."""
    labels = -np.arange(1, len(faces.instance_ids) + 1, dtype=np.int64)
    return labels if new is None else np.where(faces.person_ids >= 0, faces.person_ids, labels)


def _face_labels(faces: Faces, forbidden: dict[int, set[int]], params: GroupingParams,
                 new: np.ndarray | None, links: tuple[np.ndarray, np.ndarray] | None,
                 different_clothes: float | None) -> np.ndarray:
    """``group_labels`` of instances that all have a face, ``links`` given as their rows."""
    labels = _starting_labels(faces, new)
    seeds = np.flatnonzero((faces.quality >= params.seed_quality) | faces.fixed)
    seed_labels = cluster_seeds(faces, seeds, params, new, links)
    labels[seeds] = seed_labels
    attach_rest(faces, seeds, seed_labels, labels, params.attach_radius, new)
    movable = ~faces.fixed if new is None else new & ~faces.fixed
    labels = split_loose_groups(faces.vectors, labels, movable, params.split_radius)
    labels = join_strays(faces.vectors, labels, movable, params.join_radius, params.join_margin, params.stray_size)
    if params.min_conflicts > 0:
        conflicts = cannot_link_pairs(labels, faces.days, faces.photo_ids, faces.bodies, different_clothes)
        labels = split_conflicting_groups(faces.vectors, labels, movable, conflicts, params.min_conflicts)
    fixed = {int(k): int(faces.person_ids[k]) for k in np.flatnonzero(faces.fixed)}
    labels = settle(labels, faces.vectors, fixed, forbidden)
    return assign_within_photos(faces.vectors, faces.photo_ids, labels, ~faces.fixed, forbidden, params.join_radius)


def _rows_of(forbidden: dict[int, set[int]], rows: np.ndarray) -> dict[int, set[int]]:
    """``forbidden`` keyed by position among ``rows`` instead of by row."""
    position = {int(row): k for k, row in enumerate(rows)}
    return {position[row]: people for row, people in forbidden.items() if row in position}


def _as_rows(labels: np.ndarray, rows: np.ndarray, total: int) -> np.ndarray:
    """Labels computed on ``rows`` only, renumbered for all ``total`` rows: a lone or new group's
    -(position + 1) becomes -(row + 1), and the fresh labels below -len(rows) move below -total,
    so neither collides with another row's own label."""
    result = labels.copy()
    own = (labels < 0) & (labels >= -len(rows))
    result[own] = -(rows[-labels[own] - 1] + 1)
    fresh = labels < -len(rows)
    result[fresh] = labels[fresh] - total
    return result


def _remap(rows: np.ndarray, pairs: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of rows (all among ``rows``) as positions among ``rows``."""
    return np.searchsorted(rows, pairs[0]), np.searchsorted(rows, pairs[1])


def _joinable(faces: Faces, labels: np.ndarray, min_group: int) -> np.ndarray:
    """Instances with a face whose label is a group a faceless instance may join: a person
    (>= 0) or a new group of at least ``min_group`` faces."""
    values, counts = np.unique(labels[faces.has_face], return_counts=True)
    big = set(values[counts >= min_group].tolist())
    return faces.has_face & ((labels >= 0) | np.isin(labels, list(big)))


def _write(session: Session, faces: Faces, labels: np.ndarray, summary: GroupingSummary,
           min_group: int) -> None:
    members: dict[int, list[int]] = defaultdict(list)
    for k, label in enumerate(labels.tolist()):
        if not faces.fixed[k]:
            members[label].append(k)
    named_or_kept = set(session.scalars(select(Person.id)))
    for label, group in members.items():
        if _unchanged(faces, label, group, min_group):
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
        ids = faces.instance_ids[group].tolist()
        session.execute(update(PersonInstance).where(PersonInstance.id.in_(ids))
                        .values(person_id=person_id, assigned_by=AssignedBy.MODEL if person_id else None))
        summary.assigned += len(ids) if person_id else 0
    _drop_empty_unnamed(session)


def _unchanged(faces: Faces, label: int, group: list[int], min_group: int) -> bool:
    """The group's faces already hold what would be written (a kept person, or nobody)."""
    current = faces.person_ids[group]
    if label >= 0:
        return bool(np.all(current == label))
    return len(group) < min_group and bool(np.all(current < 0))


def _drop_empty_unnamed(session: Session) -> None:
    used = select(PersonInstance.person_id).where(PersonInstance.person_id.is_not(None))
    session.execute(delete(Person).where(Person.name.is_(None), Person.hidden.is_(False),
                                         Person.id.not_in(used)))


def _grouped_state(session: Session, faces: Faces) -> str:
    """What the next incremental run starts from: the largest instance id grouped, and the
    descriptor model versions the face vectors came from."""
    versions = sorted(session.scalars(select(Feature.model_version_id).where(Feature.kind == FACE_FEATURE)
                                      .distinct()))
    return json.dumps({"instance": int(faces.instance_ids.max()), "models": versions})


def _store_group_stats(session: Session, faces: Faces) -> None:
    """Each person's (named or not) face stats, from which the People view offers an unnamed
    group the name it probably is (``albumtag.app.people``); kept with the library, since
    reading every face vector each time the view is drawn would cost seconds in a large one."""
    session.flush()
    person_of = dict(session.execute(select(PersonInstance.id, PersonInstance.person_id)
                                     .where(PersonInstance.person_id.is_not(None))).all())
    rows = [k for k in np.flatnonzero(faces.has_face).tolist() if int(faces.instance_ids[k]) in person_of]
    people = np.array([person_of[int(faces.instance_ids[k])] for k in rows], dtype=np.int64)
    stats = group_stats(faces.vectors[rows].astype(np.float64), members_by_label(people))
    session.merge(LibraryInfo(key=GROUP_STATS_KEY, value=stats_to_json(stats)))


def _new_faces(session: Session, faces: Faces) -> np.ndarray | None:
    """Which faces arrived since the last grouping (instance ids only grow), or None when
    everything must be grouped again: nothing was grouped before, or the descriptor changed
    (a new face model, so earlier distances no longer hold)."""
    stored = session.get(LibraryInfo, GROUPED_KEY)
    if stored is None:
        return None
    before = json.loads(stored.value)
    if before["models"] != json.loads(_grouped_state(session, faces))["models"]:
        return None
    return faces.instance_ids > before["instance"]


def same_day_body_limits(params: GroupingParams) -> BodyLimits | None:
    """Body distances that decide within one day, from the body calibration of the models in
    use: two bodies count as one person under the open-set acceptance for one body at
    ``params.body_far``, as two people over DIFFERENT_CLOTHES of strangers' distances. None
    when ``body_far`` is 0 or the models carry no body calibration."""
    tail = shipped_body_tail()
    if tail is None or params.body_far <= 0:
        return None
    return BodyLimits(body_acceptance(tail, 1, params.body_far), body_acceptance(tail, 1, DIFFERENT_CLOTHES))


def update_groups(library: Library, params: GroupingParams = GroupingParams(),
                  full: bool = False) -> GroupingSummary:
    """Place the faces that arrived since the last run into groups (or, with ``full``, re-cluster
    every face, e.g. after the features changed) and store the groups as people.

    The incremental run searches neighbours for the new faces only and leaves settled groups
    as they are, so adding a few photos to a large library costs little; decisions made in
    between are already applied by the people actions."""
    limits = same_day_body_limits(params)
    with library.session() as session:
        faces = load_faces(session)
        summary = GroupingSummary(faces=int(faces.has_face.sum()))
        if summary.faces == 0:
            return summary
        new = None if full else _new_faces(session, faces)
        if new is None or new.any():
            labels = group_labels(faces, _forbidden(session, faces), params, new, limits)
            _write(session, faces, labels, summary, params.min_group)
        session.merge(LibraryInfo(key=GROUPED_KEY, value=_grouped_state(session, faces)))
        _store_group_stats(session, faces)
        summary.groups = len({int(p) for p in session.scalars(
            select(PersonInstance.person_id).where(PersonInstance.person_id.is_not(None)))})
    return summary
