"""The crash-isolating pool: a crashing job is blamed alone; a broken pool blames nobody."""

from __future__ import annotations

import os

import pytest

from albumtag.app.worker_pool import IsolatingPool, WorkerCrashedError, WorkerPoolError


def square_or_die(n: int) -> int:
    if n == 3:
        os._exit(1)  # what a segfaulting native decoder looks like from outside
    return n * n


def refuse_to_start() -> None:
    raise SystemExit(1)


def test_only_the_crashing_job_gets_an_error() -> None:
    results = dict(IsolatingPool(square_or_die, workers=2).map_unordered(range(8)))
    assert isinstance(results.pop(3), WorkerCrashedError)
    assert results == {n: n * n for n in range(8) if n != 3}


def test_workers_that_cannot_start_stop_the_run_without_blaming_files() -> None:
    pool = IsolatingPool(square_or_die, workers=2, initializer=refuse_to_start)
    with pytest.raises(WorkerPoolError, match="cannot start"):
        list(pool.map_unordered(range(4)))
