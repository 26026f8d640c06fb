"""The figures the benches report, as pure functions of labels, clusters and distances.

Conventions shared by every function here:
- ``labels``: one ground-truth person per photo (strings or ints); ``None`` marks a
  distractor, a photo of someone outside the labelled set (distinct from every label).
- ``found``: whether a face was found in the photo; a photo without one is wrong for
  identification, a singleton for clustering and a miss for detection.
- ``distances``: a square matrix of face distances between photos (``inf`` where either
  photo has no face), the only thing identification needs from a system.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np

Label = Hashable | None


@dataclass(frozen=True)
class BCubed:
    precision: float
    recall: float

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0


def bcubed(labels: Sequence[Label], clusters: Sequence[Hashable]) -> BCubed:
    """BCubed precision and recall (Bagga & Baldwin 1998; Amigo et al. 2009), averaged over
    the labelled photos. A distractor counts inside its cluster (it lowers the precision of
    the labelled photos it joins) but is not itself scored."""
    if len(labels) != len(clusters):
        raise ValueError("one cluster per photo")
    cluster_size = Counter(clusters)
    pair_count = Counter((c, y) for c, y in zip(clusters, labels) if y is not None)
    label_size = Counter(y for y in labels if y is not None)
    scored = [(c, y) for c, y in zip(clusters, labels) if y is not None]
    if not scored:
        raise ValueError("no labelled photos")
    precision = sum(pair_count[(c, y)] / cluster_size[c] for c, y in scored) / len(scored)
    recall = sum(pair_count[(c, y)] / label_size[y] for c, y in scored) / len(scored)
    return BCubed(precision, recall)


def singletons_for_missing(clusters: Sequence[Hashable | None]) -> list[Hashable]:
    """Cluster ids where a photo without a face (or an unclustered face, ``None``) is alone."""
    return [c if c is not None else ("alone", k) for k, c in enumerate(clusters)]


def distance_matrix(vectors: np.ndarray, found: np.ndarray) -> np.ndarray:
    """Euclidean distances between every pair of photos' faces; ``inf`` on a missing face."""
    vectors = np.where(found[:, None], vectors, 0.0).astype(np.float64)
    squares = (vectors ** 2).sum(axis=1)
    d2 = squares[:, None] + squares[None, :] - 2 * vectors @ vectors.T
    distances = np.sqrt(np.clip(d2, 0.0, None))
    missing = ~found
    distances[missing, :] = np.inf
    distances[:, missing] = np.inf
    return distances


def _by_person(labels: Sequence[Label]) -> dict[Hashable, np.ndarray]:
    people: dict[Hashable, list[int]] = {}
    for k, label in enumerate(labels):
        if label is not None:
            people.setdefault(label, []).append(k)
    return {person: np.array(indices) for person, indices in sorted(people.items(), key=lambda p: str(p[0]))}


def kshot_accuracy(labels: Sequence[Label], distances: np.ndarray, k: int, seeds: Sequence[int] = range(5)) -> float:
    """Closed-set identification: ``k`` random photos of every person with more than ``k``
    are enrolled, each of their other photos is given the label of its nearest enrolled
    face; the accuracy over those queries, averaged over ``seeds``. An enrolled photo
    without a face enrols nothing; a query without one is wrong."""
    scores = []
    for seed in seeds:
        draws = kshot_enrolments(labels, k, seed)
        enrolled = np.concatenate([chosen for chosen, _ in draws.values()])
        queries = np.concatenate([rest for _, rest in draws.values()])
        scores.append(_identified(labels, distances, enrolled, queries))
    return float(np.mean(scores))


def kshot_enrolments(labels: Sequence[Label], k: int, seed: int) -> dict[Hashable, tuple[np.ndarray, np.ndarray]]:
    """The draw of ``kshot_accuracy`` for one seed, per person with more than ``k`` photos:
    (the ``k`` enrolled photo indices, the rest queried). Exposed so that other ways of
    enrolling (one template per person) are measured on exactly the same draws."""
    people = {p: idx for p, idx in _by_person(labels).items() if len(idx) > k}
    if not people:
        raise ValueError(f"no person has more than {k} photos")
    rng = np.random.default_rng(seed)
    draws = {}
    for person, indices in people.items():
        chosen = rng.permutation(indices)
        draws[person] = (chosen[:k], chosen[k:])
    return draws


def _identified(labels: Sequence[Label], distances: np.ndarray, enrolled: np.ndarray,
                queries: np.ndarray) -> float:
    block = distances[np.ix_(queries, enrolled)]
    nearest = enrolled[np.argmin(block, axis=1)]
    reachable = np.isfinite(block.min(axis=1))
    right = [reach and labels[n] == labels[q] for q, n, reach in zip(queries, nearest, reachable)]
    return float(np.mean(right))


def open_set_far(labels: Sequence[Label], distances: np.ndarray, threshold: float,
                 enrol: int = 5, seed: int = 0) -> float:
    """False-accept rate, leave one person out: everyone else enrolled with ``enrol`` random
    photos, and each photo of the left-out person asked for; distractors are asked for
    against everyone enrolled. A query is falsely accepted when its nearest enrolled face is
    closer than ``threshold``. Queries without a face cannot be accepted and are not counted
    (they would flatter a detector that misses faces)."""
    rng = np.random.default_rng(seed)
    people = _by_person(labels)
    if len(people) < 2:
        raise ValueError("leave-one-person-out needs at least two people")
    enrolled = {p: rng.permutation(idx)[:enrol] for p, idx in people.items()}
    distractors = np.array([k for k, y in enumerate(labels) if y is None], dtype=int)
    trials = [(indices, np.concatenate([e for p, e in enrolled.items() if p != person]))
              for person, indices in people.items()]
    trials.append((distractors, np.concatenate(list(enrolled.values()))))
    nearest = np.concatenate([distances[np.ix_(q, g)].min(axis=1) for q, g in trials if len(q)])
    asked = np.isfinite(nearest)
    return float((nearest[asked] < threshold).mean()) if asked.any() else 0.0


def verification_accuracy(distances: np.ndarray, same: np.ndarray, folds: int = 10) -> float:
    """LFW protocol: pairs split into ``folds`` (in order); each fold is scored with the
    threshold that is best on the other folds. ``distances`` per pair (``inf``: a face was
    not found, which reads as "different")."""
    distances, same = np.asarray(distances, float), np.asarray(same, bool)
    parts = np.array_split(np.arange(len(distances)), folds)
    accuracies = []
    for k, test in enumerate(parts):
        train = np.concatenate([p for j, p in enumerate(parts) if j != k])
        threshold = best_threshold(distances[train], same[train])
        accuracies.append(np.mean((distances[test] < threshold) == same[test]))
    return float(np.mean(accuracies))


def best_threshold(distances: np.ndarray, same: np.ndarray) -> float:
    """The distance threshold with the highest accuracy on these pairs (midpoints between
    consecutive finite distances are the only candidates that matter)."""
    finite = np.unique(distances[np.isfinite(distances)])
    candidates = np.concatenate([[0.0], (finite[1:] + finite[:-1]) / 2, [finite[-1] + 1e-6]]) if len(finite) else [1.0]
    accuracy = [np.mean((distances < t) == same) for t in candidates]
    return float(candidates[int(np.argmax(accuracy))])
