"""Chinese whispers graph clustering, and settling clusters against the user's decisions.

Chinese whispers (Biemann 2006; dlib's face clustering) lets each node take the label with
the most edge weight among its neighbours until nothing changes. It needs no cluster count
and grows clusters only along chains of close faces, so a cluster does not absorb faces by
size alone. Clustering only proposes: ``settle`` then applies what the user decided (faces
a person confirmed keep their person and name their cluster; rejected matches never stand).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Set
from dataclasses import dataclass

import numpy as np


def edge_weights(distances: np.ndarray, radius: float) -> np.ndarray:
    """Every edge inside ``radius`` counts the same, as in dlib. Measured on development data
    (``bench/grouping_dev.py`` as of commit c2c410c, LFW training half with distractors,
    radius 0.5): BCubed F1
    0.962 uniform vs 0.948 linear and 0.902 squared decay; the decays keep precision 0.7
    points higher but split people whose photos link through moderately close pairs."""
    return (distances < radius).astype(np.float64)


@dataclass(frozen=True)
class _Adjacency:
    """Each node's edges as slices of flat arrays (CSR): node ``i``'s neighbours are
    ``targets[starts[i]:starts[i + 1]]``, with their ``weights``. Flat arrays, not a Python list
    of (neighbour, weight) tuples per node: at 100k faces with 20 neighbours each the tuples
    were the grouping's peak memory (``bench/cluster_scale.py``: 587 MB with them, 516 MB
    without)."""

    starts: list[int]
    targets: np.ndarray
    weights: np.ndarray

    @classmethod
    def of(cls, n: int, rows: np.ndarray, cols: np.ndarray, weights: np.ndarray) -> _Adjacency:
        """Both directions of every edge; a node's edges in the order the edges are given, so
        that votes tie-break as they always have."""
        ends = np.concatenate([rows, cols]).astype(np.int64)
        order = np.lexsort((np.tile(np.arange(len(rows)), 2), ends))
        starts = np.concatenate([[0], np.cumsum(np.bincount(ends, minlength=n))])
        return cls(starts.tolist(), np.concatenate([cols, rows]).astype(np.int64)[order],
                   np.concatenate([weights, weights]).astype(np.float64)[order])

    def degree(self, node: int) -> int:
        return self.starts[node + 1] - self.starts[node]

    def votes(self, node: int, labels: np.ndarray) -> tuple[list[int], list[float]]:
        """The current labels of ``node``'s neighbours and the weights of their edges."""
        begin, end = self.starts[node], self.starts[node + 1]
        return labels[self.targets[begin:end]].tolist(), self.weights[begin:end].tolist()


def chinese_whispers(n: int, rows: np.ndarray, cols: np.ndarray, weights: np.ndarray,
                     initial: np.ndarray | None = None, iterations: int = 30, seed: int = 0,
                     frozen: np.ndarray | None = None) -> np.ndarray:
    """A label for each of ``n`` nodes.

    Node ``i`` starts with its own label ``-(i + 1)``, or with ``initial[i]`` where that is
    >= 0 (e.g. a person id from the previous run): settled clusters keep their labels and new
    nodes join them or start their own, which makes re-clustering incremental. ``frozen``
    nodes (bool mask) keep their label and only vote: when just the new faces may move, only
    their edges are needed.
    """
    labels = -np.arange(1, n + 1, dtype=np.int64)
    if initial is not None:
        labels = np.where(initial >= 0, initial, labels)
    graph = _Adjacency.of(n, rows, cols, weights)
    may_move = np.ones(n, dtype=bool) if frozen is None else ~frozen
    movable = np.array([i for i in np.flatnonzero(may_move).tolist() if graph.degree(i)], dtype=np.int64)
    rng = np.random.default_rng(seed)
    for _ in range(iterations):
        changed = 0
        for node in rng.permutation(movable).tolist():
            best = _best_label(*graph.votes(node, labels))
            if best != labels[node]:
                labels[node] = best
                changed += 1
        if changed == 0:
            break
    return labels


def _best_label(neighbour_labels: list[int], weights: list[float]) -> int:
    votes: dict[int, float] = {}
    for label, weight in zip(neighbour_labels, weights):
        votes[label] = votes.get(label, 0.0) + weight
    return max(votes, key=votes.__getitem__)


def members_by_label(labels: np.ndarray) -> dict[int, np.ndarray]:
    """The node indices of each label, in node order."""
    members: dict[int, list[int]] = defaultdict(list)
    for node, label in enumerate(labels.tolist()):
        members[label].append(node)
    return {label: np.array(nodes) for label, nodes in members.items()}


@dataclass(frozen=True)
class GroupStats:
    """A group's vectors in brief: their mean, mean squared distance to it, and how many."""

    mean: np.ndarray
    spread: float
    size: int


def group_stats(vectors: np.ndarray, members: Mapping[int, np.ndarray]) -> dict[int, GroupStats]:
    """The stats of each group's vectors (``members``: label -> node indices), in float64
    whatever ``vectors`` holds: one group at a time is converted, not every vector at once."""
    found = {}
    for label, nodes in members.items():
        group = np.asarray(vectors[nodes], dtype=np.float64)
        mean = group.mean(axis=0)
        found[label] = GroupStats(mean, float(np.mean(np.sum((group - mean) ** 2, axis=1))), len(nodes))
    return found


def settle(labels: np.ndarray, vectors: np.ndarray, fixed: Mapping[int, int],
           forbidden: Mapping[int, Set[int]]) -> np.ndarray:
    """Apply the user's decisions to proposed clusters.

    ``fixed`` maps node -> person id (confirmed). A cluster holding confirmed faces of one
    person becomes that person; of several people, each other face goes to the person of its
    nearest confirmed face; with none, it keeps its label. A face never gets a person it is
    ``forbidden``; it is then left on its own (a negative label of its own).
    """
    result = labels.copy()
    for members in members_by_label(labels).values():
        group = members.tolist()
        anchors = [node for node in group if node in fixed]
        people = Counter(fixed[node] for node in anchors)
        for node in group:
            if node in fixed:
                result[node] = fixed[node]
            elif len(people) == 1:
                result[node] = next(iter(people))
            elif people:
                nearest = min(anchors, key=lambda a: float(np.sum((vectors[a] - vectors[node]) ** 2)))
                result[node] = fixed[nearest]
            if node not in fixed and int(result[node]) in forbidden.get(node, ()):
                result[node] = -(node + 1)
    return result


def first_fresh_label(labels: np.ndarray) -> int:
    """A label below every label in use and below -len(labels): it cannot collide with a group
    in use nor with the -(node + 1) a lone node (or the group chinese whispers grew from it)
    is given."""
    return int(min(labels.min(initial=0), -len(labels))) - 1


def compact_labels(labels: np.ndarray) -> np.ndarray:
    """Relabel to 0..k-1 in order of first appearance."""
    _, first, inverse = np.unique(labels, return_index=True, return_inverse=True)
    order = np.argsort(np.argsort(first))
    return order[inverse]
