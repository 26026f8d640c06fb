"""PIPER's sparsity filling and fusion: exact arithmetic, then the behaviour it is for."""

from __future__ import annotations

import numpy as np

from albumtag.recognize.piper import PartClassifier, all_parts, fuse, learn_weights, sparsity_fill


def test_sparsity_fill_by_hand() -> None:
    p0 = np.array([[0.5, 0.3, 0.2], [0.5, 0.3, 0.2]])
    p_hat = np.array([[0.0, 0.9, 0.1], [0.0, 0.9, 0.1]])  # F_i = identities 1 and 2
    in_part = np.array([False, True, True])
    filled = sparsity_fill(p0, p_hat, np.array([True, False]), in_part)
    # P(y in F_i) = 0.3 + 0.2 = 0.5; fired row: 0.5 * p_hat + 0.5 * p0
    assert np.allclose(filled[0], [0.25, 0.6, 0.15])
    assert np.allclose(filled[1], p0[1])  # did not fire: P_0
    assert np.allclose(filled.sum(axis=1), 1.0)


def _simulated(rng: np.random.Generator, centres: tuple[np.ndarray, np.ndarray], n: int, drop: float):
    """A sharp face part that is often missing, and a weak but always present global cue."""
    centres_face, centres_body = centres
    labels = rng.integers(0, len(centres_face), n)
    face = centres_face[labels] + rng.normal(0, 0.3, (n, 16))
    body = centres_body[labels] + rng.normal(0, 1.4, (n, 16))
    fired = rng.random(n) >= drop
    return labels, face, body, fired


def _probabilities(train, test, k):
    (labels, face, body, fired), (_, t_face, t_body, t_fired) = train, test
    global_clf = PartClassifier(k).fit(body, labels)
    face_clf = PartClassifier(k).fit(face[fired], labels[fired])
    p0 = global_clf.predict_proba(t_body)
    p_face = face_clf.predict_proba(t_face) * t_fired[:, None]
    return p0, p_face, face_clf.in_part


def test_fusion_with_filling_beats_each_part_when_faces_are_missing() -> None:
    rng = np.random.default_rng(0)
    k = 20
    centres = rng.normal(0, 1, (k, 16)), rng.normal(0, 1, (k, 16))
    train, held_out, test = (_simulated(rng, centres, 600, 0.5) for _ in range(3))
    p0_h, face_h, in_h = _probabilities(train, held_out, k)
    p0, p_face, in_part = _probabilities(train, test, k)
    labels, fired = test[0], test[3][:, None]
    accuracy = lambda scores: float((scores.argmax(axis=1) == labels).mean())  # noqa: E731

    def fused_accuracy(fill: bool) -> float:
        """Weights learned on the held-out split with the same variant, then applied to test."""
        weights = learn_weights(all_parts(p0_h, [face_h], held_out[3][:, None], in_h[None], fill), held_out[0])
        return accuracy(fuse(all_parts(p0, [p_face], fired, in_part[None], fill), weights))

    face_only = accuracy(p_face)  # no face: argmax of zeros, a guess
    global_only = accuracy(p0)
    fused, unfilled = fused_accuracy(True), fused_accuracy(False)
    assert fused >= max(face_only, global_only)
    assert fused >= face_only + 0.10
    assert fused >= unfilled


def test_a_person_with_many_examples_does_not_absorb_the_others() -> None:
    """A library holds 60 confirmed instances of one person and 2 of two others: queries of
    the small ones must not drift to the big one by its count alone (the complaint about a
    child absorbed into a parent's large cluster). Unweighted, 12% of them did."""
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(3, 64))

    def draw(person: int, n: int) -> np.ndarray:
        return centres[person] + rng.normal(size=(n, 64))

    train = np.vstack([draw(0, 60), draw(1, 2), draw(2, 2)])
    classifier = PartClassifier(3).fit(train, np.repeat([0, 1, 2], [60, 2, 2]))
    queries, truth = np.vstack([draw(1, 200), draw(2, 200)]), np.repeat([1, 2], 200)
    predicted = classifier.predict_proba(queries).argmax(axis=1)
    assert np.mean(predicted == 0) < 0.02 and np.mean(predicted == truth) > 0.97
