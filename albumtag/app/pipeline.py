"""The resumable import pipeline: stages run over photos in batches, each result committed.

Every photo records which stages are done (table ``photo_stage``), so a run that is cancelled
or killed leaves only finished work behind and the next run does exactly the rest. Stages
compute without touching the database; the runner commits their results in small
transactions and reports progress through one callback.

A full disk stops the run with ``LibraryFullError`` rather than failing photo after photo:
whether the library itself cannot grow (raised by ``Library.session``) or a stage's files,
the thumbnails, cannot be written (a job's result is then an OSError ENOSPC: the results
before it are stored, that photo is not marked as failed). Either way nothing is
half-written, and the next run, with room again, does exactly the rest.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, and_, delete, event, exists, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, aliased

from albumtag.app.progress import CancelToken, ProgressCallback, StageTimer, ignore_progress
from albumtag.io.errors import FileUnreadableError, PhotoError
from albumtag.library.database import Library
from albumtag.library.errors import LibraryFullError, disk_full_message, is_disk_full
from albumtag.library.schema import Photo, PhotoStage, StageStatus, utcnow
from albumtag.runtime.heap import map_large_blocks, release_free_memory

J = TypeVar("J")
R = TypeVar("R")

UNREAD_VERSION = ""  # a failure no stage version matches: see Stage.store_failure
FLUSH_SECONDS = 1.0  # commit at least this often, so progress and crash-safety stay fresh
JOB_CHUNK = 256


def failure_reason(error: BaseException) -> str:
    """The text stored and shown for a failed photo."""
    if isinstance(error, PhotoError):
        return str(error)
    return f"unexpected error: {type(error).__name__}: {error}"


_MARKS = "albumtag.stage_marks"  # session.info key: stage outcomes this transaction will write
_UPSERT = sqlite_insert(PhotoStage.__table__)
_UPSERT = _UPSERT.on_conflict_do_update(
    index_elements=["photo_id", "stage"],
    set_={name: _UPSERT.excluded[name] for name in ("version", "status", "error", "updated_at")})


def mark_stage(session: Session, photo_id: int, stage: str, version: str,
               error: str | None = None, warning: str | None = None) -> None:
    """Record a stage's outcome: failed with ``error``, or done, with a ``warning`` when
    something was wrong that did not stop it (kept in the same column, listed under Errors).

    The outcomes are written together when the session commits (``_write_marks``), in one
    upsert: an ORM merge per photo loaded the row and flushed the session first, and that
    was a third of what storing a small photo's results cost."""
    session.info.setdefault(_MARKS, []).append({
        "photo_id": photo_id, "stage": stage, "version": version, "error": error or warning,
        "status": StageStatus.FAILED if error else StageStatus.DONE, "updated_at": utcnow()})


@event.listens_for(Session, "before_commit")
def _write_marks(session: Session) -> None:
    if rows := session.info.pop(_MARKS, None):
        session.execute(_UPSERT, rows)


@event.listens_for(Session, "after_rollback")
def _drop_marks(session: Session) -> None:
    """A rolled-back transaction records no outcome: its results are gone too."""
    session.info.pop(_MARKS, None)


def reset_stages(session: Session, photo_id: int, keep: Sequence[str] = ()) -> None:
    """Forget stage results of one photo (its file changed), except those in ``keep``."""
    session.execute(delete(PhotoStage).where(PhotoStage.photo_id == photo_id,
                                             PhotoStage.stage.not_in(keep)))


class Stage(ABC, Generic[J, R]):
    """One step of the pipeline. Subclasses say what is pending, how to compute, how to store."""

    name: str
    label: str
    requires: str | None = None  # a stage that must be done first
    background: bool = False  # runs after the photos' people are grouped; may be paused (see importer)
    commit_every: int = 32
    files_dir: Path | None = None  # where the stage writes files besides the library, if anywhere

    @property
    @abstractmethod
    def version(self) -> str:
        """Stored with each result; a photo whose stored version differs is done again."""

    def pending_query(self) -> Select[tuple[int]]:
        done_here = aliased(PhotoStage)
        up_to_date = exists().where(and_(done_here.photo_id == Photo.id,
                                         done_here.stage == self.name,
                                         done_here.version == self.version))
        query = select(Photo.id).where(Photo.missing.is_(False), ~up_to_date)
        if self.requires:
            before = aliased(PhotoStage)
            query = query.where(exists().where(and_(before.photo_id == Photo.id,
                                                    before.stage == self.requires,
                                                    before.status == StageStatus.DONE)))
        return query.order_by(Photo.id)

    @abstractmethod
    def make_jobs(self, session: Session, photo_ids: Sequence[int]) -> list[J]:
        """Job descriptions (plain, picklable data) for these photos."""

    @abstractmethod
    def process(self, jobs: Iterable[J], cancel: CancelToken) -> Iterator[tuple[J, R | Exception]]:
        """Compute results; may yield out of order; stops taking new jobs when cancelled."""

    def preload(self, session: Session, done: Sequence[tuple[J, R]]) -> dict[int, Any]:
        """What ``store`` reads of the library for these results, by photo id, loaded for the
        whole buffer at once: a query a photo, each flushing the photo stored before it, was
        most of what storing a small photo cost. Nothing by default."""
        return {}

    @abstractmethod
    def store(self, session: Session, job: J, result: R, preloaded: Any) -> None:
        """Write one successful result, including ``mark_stage``; ``preloaded`` is the
        photo's entry of ``preload`` (None where it has none)."""

    def store_failure(self, session: Session, job: J, error: Exception) -> None:
        """A photo whose file could not be read (gone since the scan, not permitted) is failed
        under no version, so the next run tries it again; one that cannot be decoded is failed
        for good, until its file changes (the scan then forgets the stage)."""
        version = UNREAD_VERSION if isinstance(error, FileUnreadableError) else self.version
        mark_stage(session, self.photo_id(job), self.name, version, failure_reason(error))

    @staticmethod
    def photo_id(job: J) -> int:
        return job.photo_id  # type: ignore[attr-defined]


@dataclass
class StageSummary:
    pending: int = 0
    done: int = 0
    failed: int = 0
    seconds: float = 0.0


@dataclass
class RunSummary:
    stages: dict[str, StageSummary] = field(default_factory=dict)
    cancelled: bool = False

    @property
    def processed(self) -> int:
        return sum(s.done + s.failed for s in self.stages.values())


class Pipeline:
    """Runs stages in order over every photo that needs them."""

    def __init__(self, library: Library, stages: Sequence[Stage], progress: ProgressCallback = ignore_progress,
                 cancel: CancelToken | None = None) -> None:
        self.library = library
        self.stages = list(stages)
        self.progress = progress
        self.cancel = cancel or CancelToken()

    def run(self) -> RunSummary:
        summary = RunSummary()
        map_large_blocks()  # a batch's photos and activations go back to the system when freed
        with self.library.writer():
            for stage in self.stages:
                if self.cancel.cancelled:
                    break
                summary.stages[stage.name] = self._run_stage(stage)
        summary.cancelled = self.cancel.cancelled
        return summary

    def pending_ids(self, stage: Stage) -> list[int]:
        with self.library.session() as session:
            return list(session.scalars(stage.pending_query()))

    def _jobs(self, stage: Stage, photo_ids: list[int]) -> Iterator:
        for start in range(0, len(photo_ids), JOB_CHUNK):
            with self.library.session() as session:
                chunk = stage.make_jobs(session, photo_ids[start:start + JOB_CHUNK])
            yield from chunk

    def _run_stage(self, stage: Stage) -> StageSummary:
        ids = self.pending_ids(stage)
        timer = StageTimer(stage.name, stage.label, len(ids), background=stage.background)
        self.progress(timer.snapshot())
        buffer: list[tuple[object, object]] = []
        last_flush = time.monotonic()
        for job, result in stage.process(self._jobs(stage, ids), self.cancel):
            if isinstance(result, Exception) and is_disk_full(result):
                self._flush(stage, buffer, timer)
                where = stage.files_dir or self.library.path
                raise LibraryFullError(disk_full_message(where, "import again")) from result
            buffer.append((job, result))
            if len(buffer) >= stage.commit_every or time.monotonic() - last_flush > FLUSH_SECONDS:
                self._flush(stage, buffer, timer)
                last_flush = time.monotonic()
        self._flush(stage, buffer, timer)
        return StageSummary(len(ids), timer.done - timer.failed, timer.failed,
                            timer.snapshot().elapsed_s)

    def _flush(self, stage: Stage, buffer: list[tuple[object, object]], timer: StageTimer) -> None:
        if not buffer:
            return
        with self.library.session() as session:
            preloaded = stage.preload(session, [(j, r) for j, r in buffer if not isinstance(r, Exception)])
            for job, result in buffer:
                if isinstance(result, Exception):
                    stage.store_failure(session, job, result)
                    timer.failed += 1
                else:
                    stage.store(session, job, result, preloaded.get(stage.photo_id(job)))
        timer.done += len(buffer)
        buffer.clear()
        release_free_memory()  # the batch's arrays are gone: their pages go back to the system
        self.progress(timer.snapshot())
