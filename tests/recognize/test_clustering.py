"""Chinese whispers and the neighbour graph on small cases whose answer is known."""

from __future__ import annotations

import numpy as np

from albumtag.recognize.clustering import chinese_whispers, compact_labels, edge_weights, settle
from albumtag.recognize.neighbours import radius_graph


def _two_blobs(rng: np.random.Generator, n: int = 20) -> np.ndarray:
    a = rng.normal(0.0, 0.05, (n, 8))
    b = rng.normal(0.0, 0.05, (n, 8)) + 1.0
    return np.vstack([a, b]).astype(np.float32)


def test_radius_graph_links_only_close_pairs_once() -> None:
    points = np.array([[0, 0], [0.1, 0], [5, 5], [5.1, 5]], dtype=np.float32)
    rows, cols, dist = radius_graph(points, k=3, radius=0.5)
    assert sorted(zip(rows.tolist(), cols.tolist())) == [(0, 1), (2, 3)]
    assert np.allclose(dist, 0.1, atol=1e-5)


def test_two_separate_groups_get_two_labels() -> None:
    vectors = _two_blobs(np.random.default_rng(1))
    rows, cols, dist = radius_graph(vectors, k=10, radius=0.5)
    labels = chinese_whispers(len(vectors), rows, cols, edge_weights(dist, 0.5))
    assert len(set(labels[:20].tolist())) == 1 and len(set(labels[20:].tolist())) == 1
    assert labels[0] != labels[20]
    assert set(compact_labels(labels).tolist()) == {0, 1}


def test_initial_labels_make_reclustering_incremental() -> None:
    vectors = _two_blobs(np.random.default_rng(2))
    rows, cols, dist = radius_graph(vectors, k=10, radius=0.5)
    initial = np.full(len(vectors), -1)
    initial[:15], initial[20:35] = 7, 9  # last run's groups; 5 new faces in each blob
    labels = chinese_whispers(len(vectors), rows, cols, edge_weights(dist, 0.5), initial=initial)
    assert set(labels[:20].tolist()) == {7} and set(labels[20:].tolist()) == {9}


def test_settle_names_a_cluster_after_its_confirmed_face() -> None:
    labels = np.array([-1, -1, -1, -4, -4])
    vectors = np.zeros((5, 2))
    settled = settle(labels, vectors, fixed={0: 7}, forbidden={})
    assert settled.tolist() == [7, 7, 7, -4, -4]


def test_settle_splits_a_cluster_between_two_confirmed_people() -> None:
    labels = np.full(4, -1)
    vectors = np.array([[0.0, 0], [0.1, 0], [1.0, 0], [0.9, 0]])
    settled = settle(labels, vectors, fixed={0: 3, 2: 5}, forbidden={})
    assert settled.tolist() == [3, 3, 5, 5]


def test_settle_never_gives_a_rejected_person() -> None:
    labels = np.array([-1, -1, -1])
    settled = settle(labels, np.zeros((3, 2)), fixed={0: 7}, forbidden={2: {7}})
    assert settled.tolist() == [7, 7, -3]


def test_isolated_node_keeps_its_own_label() -> None:
    vectors = np.vstack([_two_blobs(np.random.default_rng(4)), np.full((1, 8), 10.0, np.float32)])
    rows, cols, dist = radius_graph(vectors, k=10, radius=0.5)
    labels = chinese_whispers(len(vectors), rows, cols, edge_weights(dist, 0.5))
    assert labels[-1] == -len(vectors) and (labels == labels[-1]).sum() == 1
