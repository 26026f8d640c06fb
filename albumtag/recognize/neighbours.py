"""k-nearest-neighbour search over feature vectors with faiss.

Exact search is fast enough for a personal library up to a few tens of thousands of faces;
past ``EXACT_LIMIT`` an HNSW graph index keeps a 100k-face library in minutes, not hours.
"""

from __future__ import annotations

import faiss
import numpy as np

EXACT_LIMIT = 40_000
HNSW_LINKS = 32


def build_index(vectors: np.ndarray, exact: bool = False) -> faiss.Index:
    """An index of ``vectors``: exact up to ``EXACT_LIMIT`` (or with ``exact``), HNSW past it.

    ``exact`` is for a few queries against many vectors: a flat index costs nothing to build
    and a search per query, where an HNSW graph over 100k faces takes half a minute to build."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    dim = vectors.shape[1]
    if exact or len(vectors) <= EXACT_LIMIT:
        index = faiss.IndexFlatL2(dim)
    else:
        index = faiss.IndexHNSWFlat(dim, HNSW_LINKS)
        index.hnsw.efConstruction = 80
        index.hnsw.efSearch = 64
    index.add(vectors)
    return index


def knn(index: faiss.Index, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Euclidean distances and ids of the ``k`` nearest stored vectors (-1 where fewer)."""
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
    distances, ids = knn(build_index(vectors), asked, k + 1)
    # only the edges kept are spelled out as (row, col) pairs: at 100k faces the full [N, k + 1]
    # pair arrays were the grouping's peak memory (bench/cluster_scale.py)
    keep = (ids >= 0) & (ids != sources[:, None]) & (distances < radius)
    rows, cols, dist = np.broadcast_to(sources[:, None], ids.shape)[keep], ids[keep], distances[keep]
    del distances, ids, keep
    low, high = np.minimum(rows, cols), np.maximum(rows, cols)
    _, first = np.unique(low * len(vectors) + high, return_index=True)
    return low[first], high[first], dist[first].astype(np.float32)
