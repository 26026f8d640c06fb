"""Flat search against an HNSW graph, the choice ``albumtag.recognize.neighbours.knn`` makes by
how many queries ask (``FLAT_QUERY_SHARE``): seconds to build the graph and search it, and to
search exactly, for N random 128-D vectors and q queries; and the graph's recall, the share of
each query's exact 21 nearest it returns (random vectors are its hardest case: faces cluster).

    python -m bench.neighbour_search [--vectors 100000 300000] [--queries 1000 3000 10000]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from albumtag.recognize import neighbours


def timed_search(vectors: np.ndarray, queries: np.ndarray, exact: bool) -> tuple[float, np.ndarray]:
    """Seconds to build the index and search it for the 21 nearest, as the grouping's graph
    does, and the ids found."""
    started = time.perf_counter()
    _, ids = neighbours.build_index(vectors, exact).search(queries, 21)
    return time.perf_counter() - started, ids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vectors", type=int, nargs="+", default=[100_000, 300_000])
    parser.add_argument("--queries", type=int, nargs="+", default=[1_000, 3_000, 10_000])
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    print("  vectors  queries  HNSW build+search s  flat s  HNSW recall  knn picks")
    for n in args.vectors:
        vectors = rng.normal(0, 0.05, (n, 128)).astype(np.float32)
        for q in args.queries:
            queries = vectors[:q]
            (graph, found), (flat, truth) = timed_search(vectors, queries, False), timed_search(vectors, queries, True)
            recall = np.mean([len(set(a) & set(b)) / len(b) for a, b in zip(found.tolist(), truth.tolist())])
            picks = "flat" if neighbours.searched_exactly(n, q) else "HNSW"
            print(f"{n:9d} {q:8d} {graph:20.2f} {flat:7.2f} {recall:12.4f}  {picks}", flush=True)


if __name__ == "__main__":
    main()
