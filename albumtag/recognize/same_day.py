"""Body evidence inside one day, where a person's clothes stay the same.

A body descriptor says little across days (people change clothes) but much within one: the
two shots of a person at one party show the same shirt. So bodies are compared only between
instances of the same day (photo date), never between two instances of one photo (those are
two people), and only a body closer than the calibrated open-set acceptance counts
(``albumtag.recognize.fusion.body_acceptance``: a different person's body comes that close
at the stated false-accept rate). Grouping uses them in three ways:

- a pair of faces a little too far apart for the face graph alone (under the same-person
  distance, over the clustering radius) is linked when their bodies match;
- a faceless instance (seen from behind, face hidden) joins the group of the same-day
  instance whose body it matches, when that group is clearly the closest;
- two faces of one group seen on one day in clearly different clothes (and two faces of one
  photo) say the group holds two people (``cannot_link_pairs``, used by
  ``albumtag.recognize.group_repair.split_conflicting_groups``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial.distance import cdist

from albumtag.recognize.clustering import members_by_label
from albumtag.recognize.group_repair import clearly_closest

NO_DAY = -1  # an undated photo: its bodies are compared with nothing
DIFFERENT_CLOTHES = 0.5  # bodies farther apart than this share of strangers' bodies differ


@dataclass(frozen=True)
class BodyLimits:
    """Body distances that decide within one day: under ``match`` one person (a stranger's
    body comes that close at the stated false-accept rate), over ``differ`` two people (farther
    apart than DIFFERENT_CLOTHES of strangers' bodies)."""

    match: float
    differ: float


def _has_dated_body(days: np.ndarray, bodies: np.ndarray) -> np.ndarray:
    """Which instances have a body (rows of ``bodies`` that are not NaN) in a dated photo."""
    return np.isfinite(bodies).all(axis=1) & (days != NO_DAY)


def same_day_pairs(days: np.ndarray, photos: np.ndarray, bodies: np.ndarray, radius: float,
                   farther: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs (i < j) of instances of one day and different photos whose bodies are closer than
    ``radius`` (``farther``: farther apart than it): (rows, cols, distances). Rows of
    ``bodies`` that are NaN have no body."""
    has_body = _has_dated_body(days, bodies)
    rows, cols, dists = [], [], []
    for day in np.unique(days[has_body]).tolist():
        members = np.flatnonzero(has_body & (days == day))
        if len(members) < 2:
            continue
        distances = cdist(bodies[members], bodies[members])
        i, j = np.nonzero(np.triu(distances > radius if farther else distances < radius, k=1))
        apart = photos[members[i]] != photos[members[j]]
        rows.append(members[i[apart]])
        cols.append(members[j[apart]])
        dists.append(distances[i[apart], j[apart]])
    if not rows:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0)
    return np.concatenate(rows), np.concatenate(cols), np.concatenate(dists)


def cannot_link_pairs(labels: np.ndarray, days: np.ndarray, photos: np.ndarray, bodies: np.ndarray,
                      limit: float | None) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (rows, cols) of one group (same label) that are two people: two instances of one
    photo, and (with ``limit``) two of one day whose bodies are farther apart than ``limit``,
    in other clothes. A relative whose faces chain into someone's group is seen with them in
    photos and at events, in other clothes."""
    same_photo = _same_photo_pairs(labels, photos)
    rows, cols = [same_photo[0]], [same_photo[1]]
    if limit is not None:
        dated = np.flatnonzero(_has_dated_body(days, bodies))
        for members in members_by_label(labels[dated]).values():
            group = dated[members]
            if len(group) > 1:
                pair_rows, pair_cols, _ = same_day_pairs(days[group], photos[group], bodies[group], limit, farther=True)
                rows.append(group[pair_rows])
                cols.append(group[pair_cols])
    return np.concatenate(rows).astype(np.int64), np.concatenate(cols).astype(np.int64)


def _same_photo_pairs(labels: np.ndarray, photos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every pair (i < j) with the same label and the same photo; a run of equal (label,
    photo) is a few faces, so this stays small however large the groups are."""
    order = np.lexsort((photos, labels))
    key_changes = np.flatnonzero((np.diff(labels[order]) != 0) | (np.diff(photos[order]) != 0)) + 1
    rows, cols = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
    for run in np.split(order, key_changes):
        if len(run) > 1:
            run = np.sort(run)
            i, j = np.triu_indices(len(run), k=1)
            rows.append(run[i])
            cols.append(run[j])
    return np.concatenate(rows), np.concatenate(cols)


def face_links(faces: np.ndarray, rows: np.ndarray, cols: np.ndarray, low: float, high: float
               ) -> tuple[np.ndarray, np.ndarray]:
    """Of the body-matched pairs, those whose faces are between ``low`` (already linked by the
    face graph) and ``high`` (too far to be one person whatever the clothes) apart."""
    distances = np.linalg.norm(faces[rows] - faces[cols], axis=1)
    keep = (distances >= low) & (distances < high)  # NaN (a faceless side) compares False
    return rows[keep], cols[keep]


def join_faceless(labels: np.ndarray, photos: np.ndarray, days: np.ndarray, bodies: np.ndarray,
                  movable: np.ndarray, groups: np.ndarray, radius: float, margin: float) -> np.ndarray:
    """Each movable faceless instance (a body, no face vector) takes the label of the group
    holding the closest body of its day, when that body is closer than ``radius`` and the
    next group's closest body is at least ``margin`` farther (a body between two people stays
    alone), and the group has no one in the instance's photo yet. ``groups`` (bool) marks the
    instances with a face whose label is a group worth joining."""
    has_body = _has_dated_body(days, bodies)
    lone = has_body & movable & ~groups
    winners = []  # (distance, seeker, label)
    for day in np.unique(days[lone]).tolist():
        seekers = np.flatnonzero(lone & (days == day))
        anchors = np.flatnonzero(has_body & groups & (days == day))
        if len(anchors) == 0:
            continue
        distances = cdist(bodies[seekers], bodies[anchors])
        for row, seeker in enumerate(seekers.tolist()):
            won = _clear_winner(distances[row], labels[anchors], photos[anchors] != photos[seeker], radius, margin)
            if won is not None:
                winners.append((won[0], seeker, won[1]))
    result = labels.copy()
    taken = set(zip(photos[groups].tolist(), labels[groups].tolist()))
    for _, seeker, label in sorted(winners):  # the closest body first, when two in a photo want one group
        if (int(photos[seeker]), label) not in taken:
            result[seeker] = label
            taken.add((int(photos[seeker]), label))
    return result


def _clear_winner(distances: np.ndarray, labels: np.ndarray, allowed: np.ndarray, radius: float,
                  margin: float) -> tuple[float, int] | None:
    """(distance, label) of the closest allowed anchor, if under ``radius`` and ``margin``
    ahead of every other label's closest."""
    closest: dict[int, float] = {}
    for distance, label in zip(distances[allowed].tolist(), labels[allowed].tolist()):
        closest[label] = min(distance, closest.get(label, np.inf))
    return clearly_closest(sorted((d, label) for label, d in closest.items()), radius, margin)
