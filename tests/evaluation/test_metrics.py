"""The bench figures' arithmetic on tiny cases worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from albumtag.evaluation.metrics import (
    bcubed,
    best_threshold,
    distance_matrix,
    kshot_accuracy,
    open_set_far,
    singletons_for_missing,
    verification_accuracy,
)


def test_bcubed_on_a_known_clustering() -> None:
    # a a | a b b: precision (1 + 1 + 1/3 + 2/3 + 2/3) / 5, recall (2/3 + 2/3 + 1/3 + 1 + 1) / 5
    result = bcubed(["a", "a", "a", "b", "b"], [1, 1, 2, 2, 2])
    assert result.precision == pytest.approx(11 / 15)
    assert result.recall == pytest.approx(11 / 15)
    assert result.f1 == pytest.approx(11 / 15)


def test_bcubed_perfect_and_all_singletons() -> None:
    assert bcubed(["a", "a", "b"], [7, 7, 3]).f1 == pytest.approx(1.0)
    alone = bcubed(["a", "a", "b"], [1, 2, 3])
    assert (alone.precision, alone.recall) == pytest.approx((1.0, 2 / 3))


def test_a_distractor_lowers_precision_but_is_not_scored() -> None:
    result = bcubed(["a", "a", None], [1, 1, 1])
    assert (result.precision, result.recall) == pytest.approx((2 / 3, 1.0))


def test_photos_without_a_cluster_are_singletons() -> None:
    clusters = singletons_for_missing([4, None, 4, None])
    assert clusters[0] == clusters[2] and len({clusters[1], clusters[3], clusters[0]}) == 3


def test_distance_matrix_marks_missing_faces_infinite() -> None:
    vectors = np.array([[0.0, 0.0], [3.0, 4.0], [9.0, 9.0]])
    distances = distance_matrix(vectors, np.array([True, True, False]))
    assert distances[0, 1] == pytest.approx(5.0) and distances[1, 1] == pytest.approx(0.0)
    assert np.isinf(distances[2]).all() and np.isinf(distances[:, 2]).all()


def _line(points: list[float]) -> np.ndarray:
    return np.array(points, dtype=float)[:, None]


def test_kshot_separable_people_are_all_identified() -> None:
    labels = ["a", "a", "a", "b", "b", "b"]
    distances = distance_matrix(_line([0, 0.1, 0.2, 5, 5.1, 5.2]), np.ones(6, bool))
    assert kshot_accuracy(labels, distances, 1) == 1.0


def test_kshot_a_faceless_photo_is_wrong_whichever_is_enrolled() -> None:
    # b's two photos: one without a face. Enrolled, it enrols nothing and b's query goes to a;
    # as the query, it is wrong by rule. a's query is always right: 1 of 2.
    labels = ["a", "a", "b", "b"]
    found = np.array([True, True, True, False])
    distances = distance_matrix(_line([0, 0.1, 5, 0]), found)
    assert kshot_accuracy(labels, distances, 1) == 0.5


def test_kshot_needs_someone_with_more_photos_than_k() -> None:
    with pytest.raises(ValueError):
        kshot_accuracy(["a", "b"], np.zeros((2, 2)), 1)


def test_open_set_counts_left_out_people_and_distractors() -> None:
    # a and b far apart: leaving either out, its photos are rejected (4 queries); the
    # distractor sits next to a and is accepted: 1 false accept in 5 queries.
    labels = ["a", "a", "b", "b", None]
    distances = distance_matrix(_line([0, 0, 5, 5, 0.1]), np.ones(5, bool))
    assert open_set_far(labels, distances, threshold=1.0) == pytest.approx(0.2)


def test_verification_threshold_comes_from_the_other_folds() -> None:
    # fold 1 (0.1 same, 0.5 diff) is scored with fold 2's best threshold 0.6: one error;
    # fold 2 (0.2 same, 1.0 diff) with fold 1's 0.3: none. Mean 0.75.
    distances = np.array([0.1, 0.5, 0.2, 1.0])
    same = np.array([True, False, True, False])
    assert best_threshold(distances[2:], same[2:]) == pytest.approx(0.6)
    assert verification_accuracy(distances, same, folds=2) == pytest.approx(0.75)


def test_verification_missing_face_reads_as_different() -> None:
    # fold 1 (0.1 same, no face same) with fold 2's 0.6: the faceless pair is wrong;
    # fold 2 (0.2 same, 1.0 diff) with fold 1's best, just above 0.1: 0.2 is wrong. Mean 0.5.
    distances = np.array([0.1, np.inf, 0.2, 1.0])
    same = np.array([True, True, True, False])
    assert best_threshold(distances[:2], same[:2]) == pytest.approx(0.1, abs=1e-5)
    assert verification_accuracy(distances, same, folds=2) == pytest.approx(0.5)
