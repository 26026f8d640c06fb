"""PIPER's ablation on a composite set: each identity is one face person paired with one body
person, so faces and bodies are real photos of *different* sources whose only link is the label.

This checks the fusion and sparsity-filling mathematics of ``albumtag.recognize.piper`` the way
PIPER's own ablation does (Zhang et al. 2015, table 2): part classifiers are trained on one
split, the fusion weights are learned on a second, accuracy is measured on a third, and a
fraction of faces is removed to show what the other parts recover. Nothing here is tuned.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from albumtag.recognize.piper import PartClassifier, all_parts, fuse, learn_weights

FACE = "face"
GLOBAL = "global"
SPLITS = (0.4, 0.2, 0.4)  # part classifiers / fusion weights / test, per identity
TRAIN, WEIGHTS, TEST = range(3)


@dataclass(frozen=True)
class CompositeSet:
    """One row per instance. ``parts`` include the face; ``fired`` says which parts were found
    (a face the detector missed, a poselet whose keypoints were hidden)."""

    labels: np.ndarray  # [N] identity index 0..K-1
    body: np.ndarray  # [N, D] global (whole-body) descriptors
    parts: dict[str, np.ndarray] = field(default_factory=dict)  # name -> [N, D_i]
    fired: dict[str, np.ndarray] = field(default_factory=dict)  # name -> [N] bool

    @property
    def identities(self) -> int:
        return int(self.labels.max()) + 1


def pair_people(faces: dict[str, int], bodies: dict[str, int], seed: int = 0) -> list[tuple[str, str, int]]:
    """Pair face people with body people at random: (face person, body person, instances),
    instances being the smaller of the two counts. People left over on either side are unused."""
    rng = np.random.default_rng(seed)
    face_names = sorted(faces)
    body_names = [str(name) for name in rng.permutation(sorted(bodies))]
    return [(f, b, min(faces[f], bodies[b])) for f, b in zip(face_names, body_names)]


def assign_splits(labels: np.ndarray, seed: int, fractions: Sequence[float] = SPLITS) -> np.ndarray:
    """Split index per instance, stratified: each identity's instances are shuffled and cut in
    the given proportions (every split gets at least one instance when there are three)."""
    rng = np.random.default_rng(seed)
    splits = np.empty(len(labels), dtype=np.int64)
    edges = np.cumsum(fractions)[:-1]
    for label in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == label))
        cuts = np.clip(np.round(edges * len(members)).astype(int), 1, max(1, len(members) - 1))
        for split, chunk in enumerate(np.split(members, np.maximum.accumulate(cuts))):
            splits[chunk] = split
    return splits


def remove_faces(fired: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """The face-fired mask after hiding ``fraction`` of all instances' faces at random."""
    rng = np.random.default_rng(seed)
    return fired & (rng.random(len(fired)) >= fraction)


@dataclass(frozen=True)
class PartScores:
    """P_0 and each part's P^_i for every instance, from classifiers fitted on the train split."""

    names: list[str]  # the parts, in the order of the layers after P_0
    p0: np.ndarray  # [N, K]
    p_hats: list[np.ndarray]  # [N, K] each
    fired: np.ndarray  # [N, parts] bool
    in_parts: np.ndarray  # [parts, K] bool: F_i


FitCache = dict[tuple, tuple[np.ndarray, np.ndarray]]


def part_scores(data: CompositeSet, fired: dict[str, np.ndarray], train: np.ndarray,
                cache: FitCache | None = None) -> PartScores:
    """``cache`` keeps each fitted classifier's probabilities by (descriptors, training rows):
    the body and the poselet parts do not change when only faces are removed or the face
    system changes, and refitting them for every row of the table is most of its time."""
    k = data.identities
    p0, _ = _fitted(data.body, data.labels, train, k, cache)
    names, p_hats, in_parts = list(data.parts), [], []
    for name in names:
        p_hat, in_part = _fitted(data.parts[name], data.labels, train & fired[name], k, cache)
        p_hats.append(p_hat)
        in_parts.append(in_part)
    stacked = np.stack([fired[name] for name in names], axis=1) if names else np.zeros((len(p0), 0), bool)
    return PartScores(names, p0, p_hats, stacked, np.array(in_parts).reshape(len(names), k))


def _fitted(descriptors: np.ndarray, labels: np.ndarray, usable: np.ndarray, k: int,
            cache: FitCache | None) -> tuple[np.ndarray, np.ndarray]:
    """P^ on every row from a classifier fitted on the ``usable`` rows, and its F_i."""
    key = (id(descriptors), hashlib.sha1(np.packbits(usable).tobytes()).hexdigest())
    if cache is not None and key in cache:
        return cache[key]
    classifier = PartClassifier(k).fit(descriptors[usable], labels[usable])
    found = (classifier.predict_proba(descriptors), classifier.in_part)
    if cache is not None:
        cache[key] = found
    return found


def _accuracy(scores: np.ndarray, labels: np.ndarray, answered: np.ndarray | None = None) -> float:
    """Top-1 accuracy; an instance the method cannot answer (``answered`` False) is wrong."""
    right = scores.argmax(axis=1) == labels
    if answered is not None:
        right &= answered
    return float(right.mean())


def _fused(layers: np.ndarray, labels: np.ndarray, splits: np.ndarray, seed: int) -> float:
    """Weights learned on the weights split, accuracy on the test split."""
    weights = learn_weights(layers[splits == WEIGHTS], labels[splits == WEIGHTS], seed)
    test = splits == TEST
    return _accuracy(fuse(layers[test], weights), labels[test])


def ablation(data: CompositeSet, face_removed: float, seed: int = 0,
             cache: FitCache | None = None) -> dict[str, float]:
    """Test accuracy of each row of PIPER's ablation for one split and one face removal
    (``cache``: see ``part_scores``; share one across calls on the same descriptors)."""
    splits = assign_splits(data.labels, seed)
    fired = dict(data.fired)
    if FACE in fired:
        fired[FACE] = remove_faces(fired[FACE], face_removed, seed)
    scores = part_scores(data, fired, splits == TRAIN, cache)
    test, labels = splits == TEST, data.labels
    rows = {f"{GLOBAL} only": _accuracy(scores.p0[test], labels[test])}
    for i, name in enumerate(scores.names):
        rows[f"{name} only"] = _accuracy(scores.p_hats[i][test], labels[test], scores.fired[test, i])
    poselets = [i for i, name in enumerate(scores.names) if name != FACE]
    if poselets:
        raw = np.stack([np.where(scores.fired[:, i, None], scores.p_hats[i], 0.0) for i in poselets], axis=1)
        rows["parts only"] = _fused(raw, labels, splits, seed)
    rows["all, no sparsity filling"] = _fused(
        all_parts(scores.p0, scores.p_hats, scores.fired, scores.in_parts, fill=False), labels, splits, seed)
    rows["all (PIPER)"] = _fused(
        all_parts(scores.p0, scores.p_hats, scores.fired, scores.in_parts, fill=True), labels, splits, seed)
    return rows


def mean_ablation(data: CompositeSet, face_removed: float, seeds: Sequence[int],
                  cache: FitCache | None = None) -> dict[str, float]:
    """``ablation`` averaged over seeds (splits and removed faces both change with the seed)."""
    runs = [ablation(data, face_removed, seed, cache) for seed in seeds]
    return {row: float(np.mean([run[row] for run in runs])) for row in runs[0]}
