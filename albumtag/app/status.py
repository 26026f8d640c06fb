"""Read-only summaries of a library: counts per stage, and the per-file error list."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, or_, select

from albumtag.library.database import Library
from albumtag.library.schema import Album, Person, PersonInstance, Photo, PhotoStage, StageStatus


@dataclass(frozen=True)
class LibraryStatus:
    albums: int
    photos: int
    missing: int
    stages: dict[str, dict[str, int]]  # stage -> {"done": n, "failed": n}
    instances: int
    people: int


@dataclass(frozen=True)
class PhotoFailure:
    """A stage that failed on a photo, or (``warning``) one that went on past a problem, such
    as unreadable metadata, on a photo that still imported."""

    path: Path
    stage: str
    reason: str
    warning: bool = False


def library_status(library: Library) -> LibraryStatus:
    with library.session() as session:
        count = lambda query: session.scalar(query) or 0  # noqa: E731
        stages: dict[str, dict[str, int]] = {}
        for stage, status, n in session.execute(
                select(PhotoStage.stage, PhotoStage.status, func.count())
                .group_by(PhotoStage.stage, PhotoStage.status)):
            stages.setdefault(stage, {"done": 0, "failed": 0})[StageStatus(status).value] = n
        return LibraryStatus(
            albums=count(select(func.count()).select_from(Album)),
            photos=count(select(func.count()).select_from(Photo).where(Photo.missing.is_(False))),
            missing=count(select(func.count()).select_from(Photo).where(Photo.missing.is_(True))),
            stages=stages,
            instances=count(select(func.count()).select_from(PersonInstance)),
            people=count(select(func.count()).select_from(Person).where(Person.name.is_not(None))),
        )


def photo_failures(library: Library) -> list[PhotoFailure]:
    with library.session() as session:
        rows = session.execute(
            select(Album.root, Photo.relpath, PhotoStage.stage, PhotoStage.error, PhotoStage.status)
            .join(Photo, Photo.album_id == Album.id).join(PhotoStage, PhotoStage.photo_id == Photo.id)
            .where(or_(PhotoStage.status == StageStatus.FAILED, PhotoStage.error.is_not(None)),
                   Photo.missing.is_(False))
            .order_by(PhotoStage.status.desc(), Album.root, Photo.relpath))  # failures first
        return [PhotoFailure(Path(root) / rel, stage, error or "", StageStatus(status) == StageStatus.DONE)
                for root, rel, stage, error, status in rows]
