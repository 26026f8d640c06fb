"""Stage ``decode``: read each photo once, hash it, check it decodes, store its header and a
thumbnail. Runs in worker processes (decoders are native code and CPU-bound).

A photo whose hash matches a photo marked missing is that photo moved or renamed: the old
row (with its people and tags) takes the new path and the new row goes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from albumtag.app.pipeline import Stage, mark_stage, reset_stages
from albumtag.app.progress import CancelToken
from albumtag.app.worker_pool import IsolatingPool
from albumtag.io.photo_reader import PhotoFacts, ReadJob, read_photo
from albumtag.library.schema import Album, Photo

STAGE_NAME = "decode"


class DecodeStage(Stage[ReadJob, PhotoFacts]):
    name = STAGE_NAME
    label = "Reading photos"
    commit_every = 64

    def __init__(self, thumbnails_dir: Path, workers: int | None = None) -> None:
        self.thumbnails_dir = thumbnails_dir
        self.files_dir = thumbnails_dir
        self.workers = workers

    @property
    def version(self) -> str:
        return "1"

    def make_jobs(self, session: Session, photo_ids: Sequence[int]) -> list[ReadJob]:
        rows = session.execute(
            select(Photo.id, Photo.relpath, Album.root).join(Album).where(Photo.id.in_(photo_ids))
            .order_by(Photo.id))
        return [ReadJob(pid, str(Path(root) / rel), str(self.thumbnails_dir)) for pid, rel, root in rows]

    def process(self, jobs: Iterable[ReadJob], cancel: CancelToken
                ) -> Iterator[tuple[ReadJob, PhotoFacts | Exception]]:
        pool: IsolatingPool[ReadJob, PhotoFacts] = IsolatingPool(read_photo, self.workers)
        yield from pool.map_unordered(jobs, cancel)

    def preload(self, session: Session, done: Sequence[tuple[ReadJob, PhotoFacts]]
                ) -> dict[int, tuple[Photo, list[Photo]]]:
        """Each photo's row, and for a photo read for the first time the missing photos with
        its content (by id): the one it may be, moved."""
        photos = session.scalars(select(Photo).where(Photo.id.in_([job.photo_id for job, _ in done])))
        rows = {photo.id: photo for photo in photos}
        digests = {result.content_hash for job, result in done
                   if job.photo_id in rows and rows[job.photo_id].content_hash is None}
        missing: dict[str, list[Photo]] = {}
        if digests:
            for old in session.scalars(select(Photo).where(Photo.content_hash.in_(digests), Photo.missing.is_(True))
                                       .order_by(Photo.id)):
                missing.setdefault(old.content_hash, []).append(old)
        return {job.photo_id: (rows[job.photo_id], missing.get(result.content_hash, []))
                for job, result in done if job.photo_id in rows}

    def store(self, session: Session, job: ReadJob, result: PhotoFacts,
              preloaded: tuple[Photo, list[Photo]] | None) -> None:
        if preloaded is None:  # removed while we worked
            return
        photo, same_content = preloaded
        # a photo of the buffer stored before may have taken the first of them already
        old = next((candidate for candidate in same_content if candidate.missing), None)
        if photo.content_hash is None and old is not None:
            _adopt_moved(session, photo, old)
            return
        if photo.content_hash not in (None, result.content_hash):
            # The file was edited: later stages run again and reconcile its people
            # (instances a person confirmed are kept; see the faces stage).
            reset_stages(session, photo.id, keep=(STAGE_NAME,))
        photo.content_hash = result.content_hash
        photo.format = result.format
        photo.width, photo.height = result.width, result.height
        photo.orientation = result.orientation
        photo.taken_at = result.taken_at
        mark_stage(session, photo.id, self.name, self.version, warning=result.warning)


def _adopt_moved(session: Session, new: Photo, old: Photo) -> None:
    """A missing photo with this content moved here: keep the old row, drop the new."""
    album_id, relpath, size, mtime_ns = new.album_id, new.relpath, new.size, new.mtime_ns
    session.delete(new)
    session.flush()
    old.album_id, old.relpath, old.size, old.mtime_ns = album_id, relpath, size, mtime_ns
    old.missing = False
