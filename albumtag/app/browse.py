"""Read-only queries the GUI shows: albums, photos in an album or of people, instances."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select

from albumtag.library.database import Library
from albumtag.library.schema import Album, AssignedBy, Person, PersonInstance, Photo

Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class AlbumSummary:
    id: int
    name: str
    root: Path
    photos: int


@dataclass(frozen=True)
class PhotoItem:
    id: int
    path: Path
    content_hash: str | None
    width: int | None
    height: int | None
    taken_at: datetime | None


@dataclass(frozen=True)
class InstanceItem:
    id: int
    photo_id: int
    face_box: Box | None
    body_box: Box | None
    person_id: int | None
    person_name: str | None
    assigned_by: AssignedBy | None
    quality: float


def list_albums(library: Library) -> list[AlbumSummary]:
    with library.session() as session:
        rows = session.execute(
            select(Album.id, Album.name, Album.root, func.count(Photo.id))
            .join(Photo, (Photo.album_id == Album.id) & Photo.missing.is_(False), isouter=True)
            .group_by(Album.id).order_by(func.lower(Album.name)))
        return [AlbumSummary(i, n, Path(r), c) for i, n, r, c in rows]


def list_photos(library: Library, album_id: int | None = None, person_ids: Sequence[int] = (),
                since: datetime | None = None, until: datetime | None = None) -> list[PhotoItem]:
    """Photos newest first; with ``person_ids``, only photos showing all of those people."""
    query = (select(Photo.id, Album.root, Photo.relpath, Photo.content_hash, Photo.width,
                    Photo.height, Photo.taken_at)
             .join(Album).where(Photo.missing.is_(False)))
    if album_id is not None:
        query = query.where(Photo.album_id == album_id)
    for person_id in person_ids:
        query = query.where(Photo.id.in_(
            select(PersonInstance.photo_id).where(PersonInstance.person_id == person_id)))
    if since is not None:
        query = query.where(Photo.taken_at >= since)
    if until is not None:
        query = query.where(Photo.taken_at < until)
    query = query.order_by(Photo.taken_at.desc().nulls_last(), Album.root, Photo.relpath)
    with library.session() as session:
        return [PhotoItem(pid, Path(root) / rel, digest, w, h, taken)
                for pid, root, rel, digest, w, h, taken in session.execute(query)]


def _box(x1: float | None, y1: float | None, x2: float | None, y2: float | None) -> Box | None:
    return None if x1 is None else (x1, y1, x2, y2)


def photo_instances(library: Library, photo_id: int) -> list[InstanceItem]:
    with library.session() as session:
        rows = session.execute(
            select(PersonInstance, Person.name)
            .join(Person, Person.id == PersonInstance.person_id, isouter=True)
            .where(PersonInstance.photo_id == photo_id).order_by(PersonInstance.face_x1))
        return [instance_item(inst, name) for inst, name in rows]


def instance_item(inst: PersonInstance, person_name: str | None) -> InstanceItem:
    return InstanceItem(
        inst.id, inst.photo_id,
        _box(inst.face_x1, inst.face_y1, inst.face_x2, inst.face_y2),
        _box(inst.body_x1, inst.body_y1, inst.body_x2, inst.body_y2),
        inst.person_id, person_name, inst.assigned_by, inst.quality)
