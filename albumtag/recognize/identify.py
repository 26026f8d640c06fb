"""Who of the named people is this instance? PIPER's identification over every part it shows.

An instance carries feature vectors by kind: ``body`` (always: a body box is detected or
derived from the face), ``face`` when a face was described, ``part:<type>`` per poselet that
fired. The body is PIPER's global classifier P_0; every other kind is a part with its own
classifier P^_i over the people that have confirmed examples of it, sparsity-filled and
fused with weights w (``albumtag.recognize.piper``). Weights are learned from the library's
own confirmed instances when there are enough, on a split the part classifiers did not see,
as PIPER learns them on a held-out half; until then the shipped defaults are used
(``albumtag.recognize.fusion``, learned by ``python -m trainer fusion`` on simulated albums),
and every part counts the same when none are shipped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from albumtag.recognize.fusion import shipped_weights
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
            weights: np.ndarray | None = None, models_root: Path | None = None) -> PiperIdentifier:
        """``weights`` [1 + parts] in the order body, sorted parts; None: the shipped
        defaults of the models in use (or of ``models_root``), uniform when none are shipped."""
        parts = sorted(k for k in train.features if k != GLOBAL_KIND)
        if weights is None:
            weights = default_weights([GLOBAL_KIND, *parts], shipped_weights(models_root))
        return cls(people, parts, *_classifiers(train, labels, people, parts), weights)

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


def default_weights(kinds: Sequence[str], shipped: Mapping[str, float] | None) -> np.ndarray:
    """One weight per kind, in the order given (the identifier's: body, then its sorted
    parts), from the shipped {kind: weight}. A kind the file lacks (a poselet type added
    after the weights were learned) gets the mean of the shipped part weights, i.e. of every
    kind but the body (1 when there are none). Uniform (every kind 1) without shipped weights,
    or when the kinds present would all weigh 0."""
    if not shipped:
        return np.ones(len(kinds))
    parts = [w for kind, w in shipped.items() if kind != GLOBAL_KIND]
    fallback = float(np.mean(parts)) if parts else 1.0
    chosen = np.array([float(shipped.get(kind, fallback)) for kind in kinds])
    return chosen if chosen.sum() > 0 else np.ones(len(kinds))


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
    are too few instances to hold half out: ``PiperIdentifier.fit`` then takes the shipped
    defaults."""
    if people < 2 or len(labels) < MIN_TO_LEARN_WEIGHTS * people:
        return None
    rng = np.random.default_rng(seed)
    held_out = np.zeros(len(labels), dtype=bool)
    for person in range(people):
        members = rng.permutation(np.flatnonzero(labels == person))
        held_out[members[: len(members) // 2]] = True
    uniform = np.ones(len(train.features))  # only its layers are used: no need for the defaults
    first = PiperIdentifier.fit(train.rows(~held_out), labels[~held_out], people, uniform)
    weights = learn_weights(first.layers(train.rows(held_out)), labels[held_out], seed)
    return np.maximum(weights, 0.0) if np.any(weights > 0) else None
