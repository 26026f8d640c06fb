"""Who of the named people is this instance? PIPER's identification over every part it shows.

An instance carries feature vectors by kind: ``body`` (always: a body box is detected or
derived from the face), ``face`` when a face was described, ``part:<type>`` per poselet that
fired. The body is PIPER's global classifier P_0; every other kind is a part with its own
classifier P^_i over the people that have confirmed examples of it, sparsity-filled and
fused with weights w (``albumtag.recognize.piper``). Weights are learned from the library's
own confirmed instances when there are enough, on a split the part classifiers did not see,
as PIPER learns them on a held-out half; until then every part counts the same.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from albumtag.recognize.piper import PartClassifier, all_parts, fuse, learn_weights

GLOBAL_KIND = "body"
MIN_TO_LEARN_WEIGHTS = 4  # confirmed instances per person (on average) before weights are learned


@dataclass(frozen=True)
class Instances:
    """Feature rows of some instances by kind; ``present[kind]`` marks the rows that have one
    (the others are zeros and never read)."""

    features: Mapping[str, np.ndarray]
    present: Mapping[str, np.ndarray]

    def __len__(self) -> int:
        return len(self.present[GLOBAL_KIND])

    def rows(self, mask: np.ndarray) -> Instances:
        return Instances({k: v[mask] for k, v in self.features.items()},
                         {k: v[mask] for k, v in self.present.items()})


def gather(vectors: Sequence[Mapping[str, np.ndarray]], sizes: Mapping[str, int]) -> Instances:
    """Per-instance {kind: vector} dictionaries -> arrays by kind (zeros where missing);
    ``sizes`` gives each kind's length, since some batches have no vector of a kind."""
    features, present = {}, {}
    for kind, size in sizes.items():
        present[kind] = np.array([kind in v for v in vectors], dtype=bool)
        features[kind] = np.zeros((len(vectors), size), np.float32)
        for row, v in enumerate(vectors):
            if kind in v:
                features[kind][row] = v[kind]
    return Instances(features, present)


@dataclass
class PiperIdentifier:
    """P_0 on the body, one classifier per other kind, and the fusion weights."""

    people: int
    parts: list[str]
    global_classifier: PartClassifier
    part_classifiers: list[PartClassifier]
    weights: np.ndarray  # [1 + parts]

    @classmethod
    def fit(cls, train: Instances, labels: np.ndarray, people: int,
            weights: np.ndarray | None = None) -> PiperIdentifier:
        parts = sorted(k for k in train.features if k != GLOBAL_KIND)
        chosen = np.ones(1 + len(parts)) if weights is None else weights
        return cls(people, parts, *_classifiers(train, labels, people, parts), chosen)

    def layers(self, queries: Instances) -> np.ndarray:
        """[N, 1 + parts, K]: P_0 then each sparsity-filled part."""
        p0 = self.global_classifier.predict_proba(queries.features[GLOBAL_KIND])
        p_hats = [c.predict_proba(queries.features[k]) for c, k in zip(self.part_classifiers, self.parts)]
        fired = np.stack([queries.present[k] for k in self.parts], axis=1) if self.parts \
            else np.zeros((len(queries), 0), bool)
        in_parts = np.array([c.in_part for c in self.part_classifiers]).reshape(len(self.parts), self.people)
        return all_parts(p0, p_hats, fired, in_parts)

    def scores(self, queries: Instances) -> np.ndarray:
        """[N, K] fused scores normalised by the weights' sum, so 1 means every part is sure."""
        if len(queries) == 0:
            return np.zeros((0, self.people))
        return fuse(self.layers(queries), self.weights) / max(float(self.weights.sum()), 1e-12)


def _classifiers(train: Instances, labels: np.ndarray, people: int,
                 parts: Sequence[str]) -> tuple[PartClassifier, list[PartClassifier]]:
    body = train.present[GLOBAL_KIND]
    global_classifier = PartClassifier(people).fit(train.features[GLOBAL_KIND][body], labels[body])
    part_classifiers = [PartClassifier(people).fit(train.features[k][train.present[k]], labels[train.present[k]])
                        for k in parts]
    return global_classifier, part_classifiers


def learn_library_weights(train: Instances, labels: np.ndarray, people: int, seed: int = 0) -> np.ndarray | None:
    """PIPER's weights from the library's own confirmed instances: part classifiers fitted on
    one half of each person's instances, the linear SVM on the other half. None while there
    are too few instances to hold half out."""
    if people < 2 or len(labels) < MIN_TO_LEARN_WEIGHTS * people:
        return None
    rng = np.random.default_rng(seed)
    held_out = np.zeros(len(labels), dtype=bool)
    for person in range(people):
        members = rng.permutation(np.flatnonzero(labels == person))
        held_out[members[: len(members) // 2]] = True
    first = PiperIdentifier.fit(train.rows(~held_out), labels[~held_out], people)
    weights = learn_weights(first.layers(train.rows(held_out)), labels[held_out], seed)
    return np.maximum(weights, 0.0) if np.any(weights > 0) else None
