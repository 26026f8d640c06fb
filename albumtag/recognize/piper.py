"""PIPER's combination of a global classifier with part classifiers (Zhang et al. 2015).

Part ``i`` (a poselet type, the face) fires on only some instances and has training examples
for only some identities ``F_i``. Sparsity filling turns each part's output into a full
distribution over all K identities:

    P_i(y|X) = P_0(y|X)                                      if part i did not fire,
    P_i(y|X) = P(y in F_i) P^_i(y|X) + P(y not in F_i) P_0(y|X)   otherwise,

with P(y in F_i) = sum over y' in F_i of P_0(y'|X), P_0 the global (whole-body) classifier and
P^_i part i's classifier (zero outside F_i). The fused score is s(X, y) = sum_i w_i P_i(y|X);
the weights are learned as PIPER does, by a linear SVM on (instance, label) pairs whose
features are the P_i(y|X), positive for the true label.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

# scikit-learn is imported where a classifier is fitted or used, not here: it adds 41 MB to
# every process that imports this module, and an import's analysis (its peak) needs none of it.
if TYPE_CHECKING:
    from sklearn.linear_model import LogisticRegression


def sparsity_fill(p0: np.ndarray, p_hat: np.ndarray, fired: np.ndarray, in_part: np.ndarray) -> np.ndarray:
    """P_i for one part: ``p0`` [N,K] global probabilities, ``p_hat`` [N,K] the part's (zero
    outside F_i), ``fired`` [N] bool, ``in_part`` [K] bool (the identities F_i)."""
    p_in = (p0 * in_part).sum(axis=1, keepdims=True)
    filled = p_in * p_hat + (1.0 - p_in) * p0
    return np.where(fired[:, None], filled, p0)


def all_parts(p0: np.ndarray, p_hats: Sequence[np.ndarray], fired: np.ndarray,
              in_parts: np.ndarray, fill: bool = True) -> np.ndarray:
    """[N, parts+1, K]: P_0 then each filled part. Without ``fill`` (the ablation), a part
    that did not fire contributes zeros and one that fired its raw P^_i."""
    layers = [p0]
    for i, p_hat in enumerate(p_hats):
        if fill:
            layers.append(sparsity_fill(p0, p_hat, fired[:, i], in_parts[i]))
        else:
            layers.append(np.where(fired[:, i, None], p_hat, 0.0))
    return np.stack(layers, axis=1)


def fuse(parts: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """s(X, y) = sum_i w_i P_i(y|X): [N, K] scores from [N, parts+1, K]."""
    return np.einsum("npk,p->nk", parts, weights)


def learn_weights(parts: np.ndarray, labels: np.ndarray, seed: int = 0) -> np.ndarray:
    """Linear SVM on (instance, label) pairs: features P_i(y|X), positive when y is the truth.

    Fitted on a held-out split (not the data the part classifiers learned from), as in PIPER.
    """
    return learn_pooled_weights([(parts, labels)], seed)


def learn_pooled_weights(sets: Sequence[tuple[np.ndarray, np.ndarray]], seed: int = 0) -> np.ndarray:
    """``learn_weights`` on the (instance, label) pairs of several sets at once, each its own
    ``(parts [N, P, K], labels [N])`` with the same P layers but any number K of identities
    (the pairs' features are probabilities whatever K is): one SVM over them all."""
    from sklearn.svm import LinearSVC

    features, targets = [], []
    for parts, labels in sets:
        n, p, k = parts.shape
        features.append(parts.transpose(0, 2, 1).reshape(n * k, p))
        targets.append((np.arange(k)[None, :] == labels[:, None]).reshape(-1).astype(int))
    svm = LinearSVC(C=1.0, class_weight="balanced", random_state=seed).fit(np.concatenate(features),
                                                                         np.concatenate(targets))
    return svm.coef_[0].astype(np.float64)


@dataclass
class PartClassifier:
    """P^_i: a calibrated linear classifier on one part's descriptors, over the identities
    that have examples of that part; probabilities are spread onto all K identities."""

    identities: int
    model: LogisticRegression | None = None
    classes: np.ndarray | None = None

    def fit(self, descriptors: np.ndarray, labels: np.ndarray) -> PartClassifier:
        from sklearn.linear_model import LogisticRegression
        from sklearn.preprocessing import normalize

        self.classes = np.unique(labels)
        if len(self.classes) > 1:
            # Balanced: a person with many confirmed examples must not win by their count alone.
            self.model = LogisticRegression(C=10.0, max_iter=2000, class_weight="balanced")
            self.model.fit(normalize(descriptors), labels)
        return self

    @property
    def in_part(self) -> np.ndarray:
        mask = np.zeros(self.identities, dtype=bool)
        if self.classes is not None:
            mask[self.classes] = True
        return mask

    def predict_proba(self, descriptors: np.ndarray) -> np.ndarray:
        out = np.zeros((len(descriptors), self.identities))
        if self.classes is None or len(self.classes) == 0 or len(descriptors) == 0:
            return out  # no examples of this part (F_i empty): sparsity filling gives P_0
        if self.model is None:  # one identity only: it is certain, within F_i
            out[:, self.classes[0]] = 1.0
            return out
        from sklearn.preprocessing import normalize

        out[:, self.model.classes_] = self.model.predict_proba(normalize(descriptors))
        return out
