"""k-nearest-neighbour search over feature vectors with faiss.

Exact search is fast enough for a personal library up to a few tens of thousands of faces;
past ``EXACT_LIMIT`` an HNSW graph index keeps a 100k-face library in minutes, not hours. But
an HNSW graph is worth building only for many queries: a flat search costs one pass over the
vectors per query, the graph a build that grows faster than the vectors do (``python -m
bench.neighbour_search``, 2 cores: building and searching a graph of 100k vectors takes 19-20 s,
of 300k 54-75 s, where flat searches for 1,000 queries take 1.0 s and 1.8 s). So a search asked
for few queries, such as an incremental grouping's new faces, is always exact.
"""

from __future__ import annotations

import faiss
import numpy as np

EXACT_LIMIT = 40_000
HNSW_LINKS = 32
# Queries up to this share of the vectors are searched exactly at any size: the flat search's
# cost equals the graph's at about 20% of 100k vectors and 11% of 300k (bench above).
FLAT_QUERY_SHARE = 0.1


def build_index(vectors: np.ndarray, exact: bool) -> faiss.Index:
    """A flat (exact) index of ``vectors``, or an HNSW graph of them."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    dim = vectors.shape[1]
    if exact:
        index = faiss.IndexFlatL2(dim)
    else:
        index = faiss.IndexHNSWFlat(dim, HNSW_LINKS)
        index.hnsw.efConstruction = 80
        index.hnsw.efSearch = 64
    index.add(vectors)
    return index


def searched_exactly(vectors: int, queries: int) -> bool:
    """Whether ``knn`` searches this many vectors for this many queries exactly: up to
    ``EXACT_LIMIT`` vectors, or for queries up to ``FLAT_QUERY_SHARE`` of them."""
    return vectors <= EXACT_LIMIT or queries <= FLAT_QUERY_SHARE * vectors


def knn(vectors: np.ndarray, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Euclidean distances and ids of the ``k`` vectors nearest each query (-1 where fewer),
    searched exactly where ``searched_exactly`` says so, through an HNSW graph otherwise."""
    index = build_index(vectors, searched_exactly(len(vectors), len(queries)))
    k = max(1, min(k, index.ntotal))
    squared, ids = index.search(np.ascontiguousarray(queries, dtype=np.float32), k)
    return np.sqrt(np.maximum(squared, 0.0)), ids


def radius_graph(vectors: np.ndarray, k: int, radius: float,
                 queries: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Undirected edges (i < j) between each vector and those of its ``k`` nearest neighbours
    closer than ``radius``: (rows, cols, distances). With ``queries`` (indices into
    ``vectors``), only the edges of those vectors are searched: what an incremental update
    needs, at the cost of a search per new vector instead of per vector."""
    if len(vectors) < 2:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0, dtype=np.float32)
    sources = np.arange(len(vectors)) if queries is None else np.asarray(queries, dtype=np.int64)
    asked = vectors if queries is None else vectors[sources]  # every vector: no copy of them all
    distances, ids = knn(vectors, asked, k + 1)
    # only the edges kept are spelled out as (row, col) pairs: at 100k faces the full [N, k + 1]
    # pair arrays were the grouping's peak memory (bench/cluster_scale.py)
    keep = (ids >= 0) & (ids != sources[:, None]) & (distances < radius)
    rows, cols, dist = np.broadcast_to(sources[:, None], ids.shape)[keep], ids[keep], distances[keep]
    del distances, ids, keep
    low, high = np.minimum(rows, cols), np.maximum(rows, cols)
    _, first = np.unique(low * len(vectors) + high, return_index=True)
    return low[first], high[first], dist[first].astype(np.float32)
