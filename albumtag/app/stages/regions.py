"""Stage ``regions``: the people other programs tagged (XMP face regions and people keywords)
become confirmed instances of named people, so tags made elsewhere are not lost.

It runs after ``faces`` so that a region lands on the face already detected there instead
of making a second instance of the same face (see ``albumtag.app.attach``); when the faces
stage runs again it keeps these instances, as it keeps everything a person confirmed.
Reading XMP needs only the file's header and the sidecar, so this runs inline: it is I/O.

A malformed XMP packet is read as naming nobody, like the date reader does: it must not keep
the photo's faces from being used. It is listed under Errors as a warning on the photo.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from albumtag.app.attach import attach_people
from albumtag.app.pipeline import Stage, mark_stage
from albumtag.app.progress import CancelToken
from albumtag.io.xmp_files import photo_people
from albumtag.io.xmp_rdf import XmpError
from albumtag.io.xmp_regions import Frame, TaggedPerson
from albumtag.library.schema import Album, AssignedBy, Photo

STAGE_NAME = "regions"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RegionJob:
    photo_id: int
    path: str
    frame: Frame


@dataclass(frozen=True)
class RegionResult:
    people: list[TaggedPerson]
    warning: str | None = None


class RegionStage(Stage[RegionJob, RegionResult]):
    name = STAGE_NAME
    label = "Reading people tags"
    requires = "faces"
    commit_every = 64

    @property
    def version(self) -> str:
        return "1"

    def make_jobs(self, session: Session, photo_ids: Sequence[int]) -> list[RegionJob]:
        rows = session.execute(
            select(Photo.id, Photo.relpath, Album.root, Photo.orientation, Photo.width, Photo.height)
            .join(Album).where(Photo.id.in_(photo_ids)).order_by(Photo.id))
        return [RegionJob(pid, str(Path(root) / rel), Frame(orientation or 1, width or 0, height or 0))
                for pid, rel, root, orientation, width, height in rows]

    def process(self, jobs: Iterable[RegionJob], cancel: CancelToken
                ) -> Iterator[tuple[RegionJob, RegionResult | Exception]]:
        for job in jobs:
            if cancel.cancelled:
                return
            yield job, _read(job)

    def store(self, session: Session, job: RegionJob, result: RegionResult, preloaded: None) -> None:
        attach_people(session, job.photo_id, result.people, AssignedBy.METADATA, regions=True)
        mark_stage(session, job.photo_id, self.name, self.version, warning=result.warning)


def _read(job: RegionJob) -> RegionResult:
    try:
        return RegionResult(photo_people(Path(job.path), job.frame))
    except XmpError as error:
        log.warning("%s: people tags not read: %s", job.path, error)
        return RegionResult([], f"XMP metadata unreadable, people tags in it ignored: {error}")
