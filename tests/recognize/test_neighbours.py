"""k-nearest-neighbour search: few queries against many vectors are answered exactly."""

import numpy as np

from albumtag.recognize import neighbours
from albumtag.recognize.neighbours import EXACT_LIMIT, knn, radius_graph, searched_exactly


def _brute_force(vectors: np.ndarray, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    queries, vectors = queries.astype(np.float64), vectors.astype(np.float64)
    squared = (queries ** 2).sum(axis=1)[:, None] + (vectors ** 2).sum(axis=1)[None, :] - 2 * queries @ vectors.T
    ids = np.argsort(squared, axis=1, kind="stable")[:, :k]
    return np.sqrt(np.take_along_axis(squared, ids, axis=1)), ids


def test_few_queries_past_the_exact_limit_get_their_true_neighbours():
    # an incremental grouping's new faces against a large library: an HNSW graph over these
    # (random 64-D, where it is weakest) misses some of the 20 nearest for 49 of the 50 queries
    rng = np.random.default_rng(0)
    vectors = rng.normal(0, 0.05, (EXACT_LIMIT + 1000, 64)).astype(np.float32)
    queries = rng.normal(0, 0.05, (50, 64)).astype(np.float32)
    assert searched_exactly(len(vectors), len(queries))
    distances, ids = knn(vectors, queries, 20)
    true_distances, true_ids = _brute_force(vectors, queries, 20)
    np.testing.assert_array_equal(ids, true_ids)
    np.testing.assert_allclose(distances, true_distances, rtol=1e-3)


def test_k_is_capped_by_the_vectors_stored():
    vectors = np.eye(3, dtype=np.float32)
    distances, ids = knn(vectors, vectors[:1], 10)
    assert ids.shape == (1, 3) and ids[0, 0] == 0 and distances[0, 0] == 0.0


def test_a_subset_searched_in_chunks_gives_the_graph_and_neighbours_of_its_copy(monkeypatch):
    # the grouping asks for the graph of its seed rows without copying them, CHUNK at a time
    rng = np.random.default_rng(1)
    vectors = rng.normal(0, 0.1, (300, 8)).astype(np.float32)
    rows = np.sort(rng.choice(300, 200, replace=False))
    whole = radius_graph(vectors[rows], 10, 0.3)
    new = np.array([3, 50, 199])
    whole_new = radius_graph(vectors[rows], 10, 0.3, new)
    whole_knn = knn(vectors[rows], vectors[:40], 5)
    monkeypatch.setattr(neighbours, "CHUNK", 7)
    chunked = radius_graph(vectors, 10, 0.3, rows=rows)
    assert len(chunked[0]) > 100
    for mine, theirs in zip(chunked, whole):
        np.testing.assert_array_equal(mine, theirs)
    for mine, theirs in zip(radius_graph(vectors, 10, 0.3, new, rows), whole_new):
        np.testing.assert_array_equal(mine, theirs)
    for mine, theirs in zip(knn(vectors, vectors[:40], 5, rows), whole_knn):
        np.testing.assert_array_equal(mine, theirs)
