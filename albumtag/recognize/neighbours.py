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
CHUNK = 16_384  # vectors added to an index, or searched for, at once


def build_index(vectors: np.ndarray, exact: bool, rows: np.ndarray | None = None) -> faiss.Index:
    """A flat (exact) index of ``vectors``, or an HNSW graph of them; with ``rows``, of those
    rows only, in that order. Added ``CHUNK`` rows at a time, so that a subset is never copied
    whole beside the index's own copy (at 1M faces a copy is 512 MB)."""
    dim = vectors.shape[1]
    if exact:
        index = faiss.IndexFlatL2(dim)
    else:
        index = faiss.IndexHNSWFlat(dim, HNSW_LINKS)
        index.hnsw.efConstruction = 80
        index.hnsw.efSearch = 64
    for start in range(0, _count(vectors, rows), CHUNK):
        index.add(_rows(vectors, rows, start))
    return index


def searched_exactly(vectors: int, queries: int) -> bool:
    """Whether ``knn`` searches this many vectors for this many queries exactly: up to
    ``EXACT_LIMIT`` vectors, or for queries up to ``FLAT_QUERY_SHARE`` of them."""
    return vectors <= EXACT_LIMIT or queries <= FLAT_QUERY_SHARE * vectors


def knn(vectors: np.ndarray, queries: np.ndarray, k: int,
        rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Euclidean distances and ids of the ``k`` vectors nearest each query (-1 where fewer),
    searched exactly where ``searched_exactly`` says so, through an HNSW graph otherwise. With
    ``rows``, among those rows of ``vectors`` only, ids being positions in ``rows``."""
    index = build_index(vectors, searched_exactly(_count(vectors, rows), len(queries)), rows)
    return _search(index, np.ascontiguousarray(queries, dtype=np.float32), k)


def radius_graph(vectors: np.ndarray, k: int, radius: float, queries: np.ndarray | None = None,
                 rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Undirected edges (i < j) between each vector and those of its ``k`` nearest neighbours
    closer than ``radius``: (rows, cols, distances). With ``queries`` (indices into
    ``vectors``), only the edges of those vectors are searched: what an incremental update
    needs, at the cost of a search per new vector instead of per vector. With ``rows``, the
    graph is of those rows of ``vectors`` only, and every index above is a position in ``rows``.

    The sources are searched ``CHUNK`` at a time and only the edges kept are spelled out, so
    neither a copy of the vectors nor the full [N, k + 1] neighbour arrays are ever held: at
    100k faces these were the grouping's peak memory (``bench/cluster_scale.py``)."""
    count = _count(vectors, rows)
    if count < 2:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0, dtype=np.float32)
    sources = np.arange(count) if queries is None else np.asarray(queries, dtype=np.int64)
    asked = sources if rows is None else rows[sources]  # the sources' rows of vectors
    index = build_index(vectors, searched_exactly(count, len(sources)), rows)
    found = []
    for start in range(0, len(sources), CHUNK):
        chunk = sources[start:start + CHUNK]
        distances, ids = _search(index, _rows(vectors, asked, start), k + 1)
        keep = (ids >= 0) & (ids != chunk[:, None]) & (distances < radius)
        found.append((np.broadcast_to(chunk[:, None], ids.shape)[keep], ids[keep], distances[keep]))
    del index
    ends, others, dist = (np.concatenate(parts) for parts in zip(*found))
    low, high = np.minimum(ends, others), np.maximum(ends, others)
    _, first = np.unique(low * count + high, return_index=True)
    return low[first], high[first], dist[first].astype(np.float32)


def _search(index: faiss.Index, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Euclidean distances and ids of the ``k`` (at most all stored) nearest each query."""
    squared, ids = index.search(queries, max(1, min(k, index.ntotal)))
    return np.sqrt(np.maximum(squared, 0.0)), ids


def _count(vectors: np.ndarray, rows: np.ndarray | None) -> int:
    return len(vectors) if rows is None else len(rows)


def _rows(vectors: np.ndarray, rows: np.ndarray | None, start: int = 0) -> np.ndarray:
    """``CHUNK`` vectors from ``start`` (of ``rows`` when given, else of all) as float32,
    contiguous: what faiss reads."""
    part = vectors[start:start + CHUNK] if rows is None else vectors[rows[start:start + CHUNK]]
    return np.ascontiguousarray(part, dtype=np.float32)
