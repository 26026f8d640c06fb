"""Grouping instances into people, as labels: the arrays in, a label per instance out.

Faces fixed by a person (confirmed, or imported tags) keep their person; rejected matches are
forbidden; everything else may move. Starting from the current assignment makes a re-run
incremental: existing groups keep their ids, new faces join them or form new ones, and merged
groups stay merged. Low-quality faces never start a group but may join the group of a very
close good face, and a face that matches nobody stays alone (kept out of People).
Chinese whispers' chains are then split and its strays joined by average distances, and the
pieces it cut one much-photographed person into are merged by how close their means are for
how much their faces vary, and a face much farther from its group than the group's members
are from each other (a stranger let in through one close face) leaves it, while lone faces
and pieces of a few faces lying within a group's spread join it
(``albumtag.recognize.group_repair``); only faces that may move are moved. Where two faces of
one photo end up in one group, the photo's faces and the groups near them are matched jointly
(``albumtag.recognize.photo_assignment``). Inside one day,
where clothes stay the same, bodies add evidence (``albumtag.recognize.same_day``): two
faces a little too far apart are linked when their bodies match, and a person seen without a
face joins the group whose body they match.

The library side (what is loaded, what is stored as people) is ``albumtag.app.grouping``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from albumtag.embed.face_descriptor import MATCH_DISTANCE
from albumtag.recognize.clustering import chinese_whispers, edge_weights, settle
from albumtag.recognize.fusion import body_acceptance, shipped_body_tail
from albumtag.recognize.group_repair import (
    evict_far_faces,
    join_pieces,
    join_strays,
    merge_close_groups,
    split_conflicting_groups,
    split_loose_groups,
    tighten_small_groups,
)
from albumtag.recognize.neighbours import knn, radius_graph
from albumtag.recognize.open_set import DEFAULT_FAR
from albumtag.recognize.photo_assignment import assign_within_photos
from albumtag.recognize.same_day import (
    DIFFERENT_CLOTHES,
    BodyLimits,
    cannot_link_pairs,
    face_links,
    join_faceless,
    same_day_pairs,
)


@dataclass(frozen=True)
class GroupingParams:
    """How faces are grouped. The radii are on dlib's distance scale, which the face vector
    keeps (``albumtag.embed.face_vector``): the split and join radii are dlib's same-person
    distance, the clustering and attach radii were moved from dlib's own 0.5 and 0.45 when SFace
    joined the vector (below); the join margin
    was chosen on development data (``bench/grouping_dev.py``, LFW's training half), the merge
    and eviction ratios on album-shaped development sets (``bench/album_grouping.py --half dev``)."""

    # Chinese whispers' edges. With the face vector, on album sets of LFW's training half and
    # pins-dev-a (bench/album_grouping.py --half dev): 0.50 / 0.45 (dlib's) -> 0.52 / 0.50 raise
    # the acquaintance sets' F1 0.9832 -> 0.9863 and 0.9813 -> 0.9836, pins-dev-a 0.9836 ->
    # 0.9853, every other set the same or higher, strangers in groups the same; 0.54 and over
    # pair strangers with each other (11.8 -> 17.0, summed over the sets).
    cluster_radius: float = 0.52
    attach_radius: float = 0.5  # a low-quality face joins a group only when this close
    neighbours: int = 20
    seed_quality: float = 0.3  # faces below this never start or bridge a group
    min_group: int = 2  # a group of one is not a person yet
    split_radius: float = MATCH_DISTANCE  # a group splits where members are farther on average
    join_radius: float = MATCH_DISTANCE  # a stray joins a group this close on average ...
    join_margin: float = 0.05  # ... and this much closer than to any other group
    stray_size: int = 2  # groups this small may join a larger one
    body_far: float = DEFAULT_FAR  # same-day bodies match under the acceptance at this rate; 0: off
    min_conflicts: int = 2  # a group holding this many cannot-link pairs may split; 0: never
    # Groups of one person cut in pieces merge when their means are closer than this times
    # their pooled spread (album sets of LFW's training half and pins-dev-a, bench/album_grouping.py:
    # 0.9 to 1.2 gain recall and lose no precision, 1.4 merges people); 0: never.
    merge_ratio: float = 1.0
    merge_size: int = 5  # ... when each holds at least this many faces (steady means and spreads)
    # A face leaves a group of evict_size+ when its median distance to the members is over
    # evict_ratio times theirs, or over evict_mixed_ratio times theirs with other people among
    # its nearest faces (album sets of LFW's training half and pins-dev-a: 1.45 alone lowers
    # strangers in family groups with no F1 lost on any set, 1.3-1.4 alone split off members
    # too; 1.3 with mixed neighbours lowers them further); 0: never.
    evict_ratio: float = 1.45
    evict_mixed_ratio: float = 1.3
    evict_size: int = 5
    # A lone face joins a group of evict_size+ (join_pieces) when its median distance to the
    # members is at most this times theirs and its nearest faces agree (album sets of LFW's
    # training half and pins-dev-a: 1.25 takes pins-dev-a from 0.9775 to 0.9829, one more
    # stranger joins on lfw-family-15-strangers-1000, 0.9880 -> 0.9873; 1.1 without the
    # neighbours' test let strangers join each other); 0: never.
    adopt_ratio: float = 1.25
    # A piece of 2 to evict_size - 1 faces joins a group of evict_size+, whole, by the lone
    # face's test (join_pieces: median distance to the members at most this times theirs,
    # no other nearby group that close, fewer than 3 in 10 of its faces' nearest others outside
    # the group). Chosen on album sets of LFW's training half and pins-dev-a (bench/album_grouping.py
    # --half dev): 1.25 to 1.45 alike, pins-dev-a 0.9829 -> 0.9865 (14 -> 12 groups for 11
    # people), every LFW set unchanged; letting pieces of 5-20 faces in too (merge_close_groups'
    # domain) merged two people on lfw-family-40-strangers-0 at 1.4 (0.9832 -> 0.9733). Held out
    # (reported once): crops-dev 0.9484 -> 0.9537 (20 -> 18 groups), pins-dev-b 0.9646 -> 0.9668
    # (27 -> 25), every LFW set and every str>fam unchanged. 0: never.
    piece_ratio: float = 1.25
    # In a group of 2 to small_size faces (too few for a spread of its own) a face leaves when its
    # mean distance to the others is over small_radius and a face outside the group is nearer to
    # it than that (tighten_small_groups). Chosen on album sets of LFW's training half with 200
    # acquaintances (people seen 2-9 times, every photo), the other LFW sets and pins-dev-a
    # (bench/album_grouping.py --half dev): strangers in labelled groups 12.2 -> 8.0% and
    # 10.3 -> 6.7% (family 15 and 40 with acquaintances), 2.00 -> 0.67% and 1.87 -> 1.07% (family
    # 40 with 300 and 750 strangers), F1 0.9518 -> 0.9572 and 0.9648 -> 0.9667, no other F1
    # moving more than 0.0002, pins-dev-a unchanged; 0.50 and 0.55 gained less F1. Without the
    # outside-face test the same-day composites lost recall (bench/grouping_same_day.py --half
    # dev, 30% hidden 0.9508 -> 0.9469); with it they are unchanged. small_size 20 split family
    # 40's people with 10-20 photos (0.9861 -> 0.9790). 0: never.
    small_radius: float = 0.53
    small_size: int = 10
    # Tried, not kept (see d3b5678): evicting a face whose 3 nearest members lie farther than the lone faces
    # beside it (near_ratio) lost held-out F1: crops-dev 0.9484 -> 0.9434, pins-dev-b 0.9646 -> 0.9642.
    # Tried, not kept (see c1c3309, reverted): face quality or descriptor norm to let good edge faces
    # in or send poor strangers out. On --half dev neither separates a person's left-out edge faces
    # from strangers absorbed (AUC 0.32-0.69, flipping between sets; the strangers' quality is a
    # little higher than members'); a quality-gated wider join gained only on pins-dev-a (0.9865 ->
    # 0.9883) because LFW faces rarely reach the gate.


@dataclass
class Instances:
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

    def take(self, rows: np.ndarray) -> Instances:
        """These rows only, in this order: these very instances when that is every row (a
        library without faceless instances), not a copy (51 MB more at 100k faces)."""
        if np.array_equal(rows, np.arange(len(self.instance_ids))):
            return self
        return Instances(*(getattr(self, f.name)[rows] for f in fields(self)))


def same_day_body_limits(params: GroupingParams) -> BodyLimits | None:
    """Body distances that decide within one day, from the body calibration of the models in
    use: two bodies count as one person under the open-set acceptance for one body at
    ``params.body_far``, as two people over DIFFERENT_CLOTHES of strangers' distances. None
    when ``body_far`` is 0 or the models carry no body calibration."""
    tail = shipped_body_tail()
    if tail is None or params.body_far <= 0:
        return None
    return BodyLimits(body_acceptance(tail, 1, params.body_far), body_acceptance(tail, 1, DIFFERENT_CLOTHES))


def cluster_seeds(faces: Instances, seeds: np.ndarray, params: GroupingParams,
                  new: np.ndarray | None = None, links: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Chinese whispers over the good faces, starting from the current assignment. With
    ``new`` (bool per face), only the new faces' edges are searched and only they may move:
    the groups settled before stay as they are, new faces join them or form their own.
    ``links`` (pairs of face rows) are edges the face graph lacks, e.g. matched by body."""
    moving = None if new is None else new[seeds]
    queries = None if moving is None else np.flatnonzero(moving)
    rows, cols, distances = radius_graph(faces.vectors, params.neighbours, params.cluster_radius, queries, seeds)
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


def attach_rest(faces: Instances, seeds: np.ndarray, seed_labels: np.ndarray, labels: np.ndarray,
                radius: float, new: np.ndarray | None = None) -> None:
    """Low-quality faces (the new ones only, with ``new``) take the label of a very close good
    face, if any."""
    rest = np.setdiff1d(np.arange(len(labels)), seeds)
    rest = rest[~faces.fixed[rest]]
    if new is not None:
        rest = rest[new[rest]]
    if len(rest) == 0 or len(seeds) == 0:
        return
    distances, nearest = knn(faces.vectors, faces.vectors[rest], 1, seeds)
    close = distances[:, 0] < radius
    labels[rest[close]] = seed_labels[nearest[close, 0]]


def group_labels(instances: Instances, forbidden: dict[int, set[int]], params: GroupingParams,
                 new: np.ndarray | None = None, limits: BodyLimits | None = None) -> np.ndarray:
    """Final label of every instance: a person id (>= 0), or negative for a new group/alone.
    With ``new`` (bool per instance) only new ones are placed; the others keep their person.
    With ``limits`` (``same_day_body_limits``), bodies of one day add evidence."""
    labels = _starting_labels(instances, new)
    pairs = (None if limits is None
             else same_day_pairs(instances.days, instances.photo_ids, instances.bodies, limits.match))
    with_face = np.flatnonzero(instances.has_face)
    links = None if pairs is None else face_links(instances.vectors, pairs[0], pairs[1], params.cluster_radius,
                                                  params.split_radius)
    face_labels = _face_labels(instances.take(with_face), _rows_of(forbidden, with_face), params,
                               None if new is None else new[with_face],
                               None if links is None else _remap(with_face, links),
                               None if limits is None else limits.differ)
    labels[with_face] = _as_rows(face_labels, with_face, len(labels))
    if limits is not None:
        movable = ~instances.fixed if new is None else new & ~instances.fixed
        labels = join_faceless(labels, instances.photo_ids, instances.days, instances.bodies, movable,
                               _joinable(instances, labels, params.min_group), limits.match, params.join_margin)
        banned = [k for k, people in forbidden.items() if not instances.has_face[k] and labels[k] in people]
        labels[banned] = -(np.asarray(banned, dtype=np.int64) + 1)
    return labels


def _starting_labels(instances: Instances, new: np.ndarray | None) -> np.ndarray:
    """Each row alone, -(row + 1); in an incremental run (``new`` given) the rows with a person
    keep it."""
    labels = -np.arange(1, len(instances.instance_ids) + 1, dtype=np.int64)
    return labels if new is None else np.where(instances.person_ids >= 0, instances.person_ids, labels)


def _face_labels(faces: Instances, forbidden: dict[int, set[int]], params: GroupingParams,
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
    if params.merge_ratio > 0:
        labels = merge_close_groups(faces.vectors, labels, movable, faces.fixed, params.join_radius,
                                    params.merge_ratio, params.merge_size)
    if params.evict_ratio > 0:
        labels = evict_far_faces(faces.vectors, labels, movable, params.evict_ratio,
                                 params.evict_mixed_ratio, params.evict_size)
    if params.piece_ratio > 0:  # pieces of a few faces first, then single faces, each by its own ratio
        labels = join_pieces(faces.vectors, labels, movable, params.piece_ratio, params.evict_size,
                             (2, params.evict_size - 1))
    if params.adopt_ratio > 0:
        labels = join_pieces(faces.vectors, labels, movable, params.adopt_ratio, params.evict_size, (1, 1))
    if params.small_radius > 0:
        labels = tighten_small_groups(faces.vectors, labels, movable, params.small_radius, params.small_size)
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


def _joinable(instances: Instances, labels: np.ndarray, min_group: int) -> np.ndarray:
    """Instances with a face whose label is a group a faceless instance may join: a person
    (>= 0) or a new group of at least ``min_group`` faces."""
    values, counts = np.unique(labels[instances.has_face], return_counts=True)
    big = set(values[counts >= min_group].tolist())
    return instances.has_face & ((labels >= 0) | np.isin(labels, list(big)))
