"""A process pool that survives a worker crash and pins the crash on the file that caused it.

Image decoders are native code; a malformed file can kill the process decoding it. A plain
pool then fails every job in flight. Here the jobs that were in flight are retried one at a
time in a fresh pool, so only the guilty file gets an error and the import carries on.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Generic, TypeVar

from albumtag.app.progress import CancelToken

J = TypeVar("J")
R = TypeVar("R")


class WorkerCrashedError(RuntimeError):
    """The worker process died while handling this job alone."""


class WorkerPoolError(RuntimeError):
    """Worker processes cannot run at all (not one file's fault): the run stops, and no
    photo is marked as failed."""


def _ping() -> bool:
    return True


def default_workers() -> int:
    return max(1, int(os.environ.get("ALBUMTAG_WORKERS", "0")) or (os.cpu_count() or 1))


class IsolatingPool(Generic[J, R]):
    """Maps a top-level function over jobs in worker processes, yielding results as they finish."""

    def __init__(self, func: Callable[[J], R], workers: int | None = None,
                 initializer: Callable[[], None] | None = None) -> None:
        self._func = func
        self._workers = workers or default_workers()
        self._initializer = initializer
        self._executor: ProcessPoolExecutor | None = None

    def _fresh_executor(self) -> ProcessPoolExecutor:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
        # spawn, not fork: the GUI and onnxruntime run threads that fork would copy mid-flight.
        self._executor = ProcessPoolExecutor(
            self._workers, mp_context=multiprocessing.get_context("spawn"),
            initializer=self._initializer)
        return self._executor

    def map_unordered(self, jobs: Iterable[J], cancel: CancelToken | None = None
                      ) -> Iterator[tuple[J, R | Exception]]:
        """(job, result or exception) pairs; stops submitting as soon as ``cancel`` is set."""
        cancel = cancel or CancelToken()
        source = iter(jobs)
        executor = self._fresh_executor()
        window = self._workers * 4
        inflight: dict[Future[R], J] = {}
        try:
            while True:
                while len(inflight) < window and not cancel.cancelled:
                    job = next(source, None)
                    if job is None:
                        break
                    inflight[executor.submit(self._func, job)] = job
                if not inflight:
                    return
                done, _ = wait(inflight, return_when=FIRST_COMPLETED)
                broken = []
                for future in done:
                    job = inflight.pop(future)
                    outcome = _outcome(future)
                    if isinstance(outcome, BrokenProcessPool):
                        broken.append(job)
                    else:
                        yield job, outcome
                if broken:
                    broken.extend(inflight.values())
                    inflight.clear()
                    yield from self._retry_alone(broken)
                    executor = self._fresh_executor()
        finally:
            self.close()

    def _retry_alone(self, jobs: list[J]) -> Iterator[tuple[J, R | Exception]]:
        for job in jobs:
            executor = self._fresh_executor()
            outcome = _outcome(executor.submit(self._func, job))
            if isinstance(outcome, BrokenProcessPool):
                self._check_workers_start()
                outcome = WorkerCrashedError("the decoder crashed on this file")
            yield job, outcome

    def _check_workers_start(self) -> None:
        """Blame a file only if a fresh worker can do trivial work; otherwise stop the run."""
        if _outcome(self._fresh_executor().submit(_ping)) is not True:
            raise WorkerPoolError("worker processes cannot start (see the log); nothing was marked as failed")

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None


def _outcome(future: Future[R]) -> R | Exception:
    try:
        return future.result()
    except Exception as error:  # reported per job by the caller, never raised through the run
        return error
