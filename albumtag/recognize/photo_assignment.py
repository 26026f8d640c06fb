"""Who is whom inside one photo, decided for the photo as a whole.

Two faces of one photo are never one person (twins, a reflection, a look-alike relative
beside someone). Where grouping put two faces of a photo in one group, keeping the better face
and freeing the other would lose the other face's own person: the twin next to her sister is
still somebody. So the photo's faces and the groups near them are matched by bipartite
assignment (``scipy.optimize.linear_sum_assignment``): each face to at most one group, each
group to at most one face, smallest total distance from each face to its group's mean face (a
face's own group's mean taken without it); a face whose match is farther than ``radius``
stays alone.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping, Set
from itertools import count

import numpy as np
from scipy.optimize import linear_sum_assignment

from albumtag.recognize.clustering import first_fresh_label
from albumtag.recognize.neighbours import knn

NEARBY_GROUPS = 3  # besides the groups already in the photo, each face may take one of these
_NEVER = 1e6  # the cost of a match that may not be made


class _Groups:
    """Sums and sizes of every group's faces, for means with or without one member."""

    def __init__(self, vectors: np.ndarray, labels: np.ndarray) -> None:
        self.names = np.unique(labels)
        self.row = {int(name): k for k, name in enumerate(self.names)}
        positions = np.searchsorted(self.names, labels)
        self.sums = np.zeros((len(self.names), vectors.shape[1]))
        np.add.at(self.sums, positions, vectors)
        self.sizes = np.bincount(positions, minlength=len(self.names))

    def distance(self, vector: np.ndarray, own: int, name: int) -> float:
        """From ``vector`` to group ``name``'s mean, leaving the vector out of its ``own`` group."""
        k = self.row[name]
        total, size = self.sums[k], self.sizes[k]
        if name == own:
            total, size = total - vector, size - 1
        return float(np.linalg.norm(vector - total / size)) if size else _NEVER

    def nearby(self, vectors: np.ndarray) -> np.ndarray:
        """[N, NEARBY_GROUPS] names of the groups (people, or groups of 2+) whose means are
        nearest each vector."""
        sizeable = (self.sizes > 1) | (self.names >= 0)
        means = (self.sums[sizeable] / self.sizes[sizeable, None]).astype(np.float32)
        if len(means) == 0 or len(vectors) == 0:
            return np.zeros((len(vectors), 0), dtype=np.int64)
        _, nearest = knn(means, vectors, NEARBY_GROUPS)
        return np.where(nearest >= 0, self.names[sizeable][np.maximum(nearest, 0)], self.names[sizeable][0])


def assign_within_photos(vectors: np.ndarray, photos: np.ndarray, labels: np.ndarray, movable: np.ndarray,
                         forbidden: Mapping[int, Set[int]], radius: float) -> np.ndarray:
    """Labels where no photo holds two faces of one group. Only the faces of such a shared
    group are decided again, and only movable ones: the photo's other faces keep their labels
    (which the decided faces may then not take), so a face a repair left alone is not drawn
    into a group only because two other faces of its photo clashed; and a face never takes a
    label it is ``forbidden``. A face left without a group gets a fresh label of its own, below
    every label in use and below -len(labels): not -(index + 1), which names the group chinese
    whispers grew from that face, a group the face may since have been sent out of."""
    shared = {key for key, count in Counter(zip(photos.tolist(), labels.tolist())).items() if count > 1}
    clashes = sorted({photo for photo, _ in shared})
    if not clashes:
        return labels
    members = defaultdict(list)
    for k, photo in enumerate(photos.tolist()):
        members[photo].append(k)
    deciding = [np.array([k for k in members[photo] if movable[k] and (photo, int(labels[k])) in shared],
                         dtype=np.int64) for photo in clashes]
    groups = _Groups(vectors, labels)
    near = groups.nearby(vectors[np.concatenate(deciding)])
    result = labels.copy()
    fresh = count(first_fresh_label(labels), -1)
    start = 0
    for photo, faces in zip(clashes, deciding):
        if len(faces):
            deciding_here = set(faces.tolist())
            taken = {int(labels[k]) for k in members[photo] if k not in deciding_here}
            nearby = {int(g) for g in near[start:start + len(faces)].ravel()}
            _assign_photo(result, faces, vectors, labels, groups, nearby, taken, forbidden, radius, fresh)
        start += len(faces)
    return result


def _assign_photo(result: np.ndarray, faces: np.ndarray, vectors: np.ndarray, labels: np.ndarray, groups: _Groups,
                  nearby: set[int], taken: set[int], forbidden: Mapping[int, Set[int]], radius: float,
                  fresh: Iterator[int]) -> None:
    """One photo's bipartite match of its deciding ``faces`` to their own groups and ``nearby``
    ones, except the groups ``taken`` by the photo's other faces; a face left alone takes the
    next ``fresh`` label."""
    candidates = sorted(({int(labels[k]) for k in faces} | nearby) - taken)
    cost = np.full((len(faces), len(candidates) + len(faces)), _NEVER)
    for row, k in enumerate(faces.tolist()):
        for col, name in enumerate(candidates):
            if name not in forbidden.get(k, ()):
                cost[row, col] = groups.distance(vectors[k], int(labels[k]), name)
        cost[row, len(candidates) + row] = radius  # alone
    rows, cols = linear_sum_assignment(cost)
    for row, col in zip(rows.tolist(), cols.tolist()):
        k = int(faces[row])
        result[k] = candidates[col] if col < len(candidates) and cost[row, col] < radius else next(fresh)
