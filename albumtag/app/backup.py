"""A portable backup of people's tags, and restoring it.

``backup`` / ``restore`` keep the tags themselves: a JSON file keyed by each
photo's content hash and face box, not by path or database id, so a library rebuilt from
photos that moved, on another machine, gets its names back. Restore puts each name on the
face found at that box (or a box-only instance where none was found), the same way imported
XMP regions are attached (``albumtag.app.attach``). Writing the tags where other programs read
them is ``app.xmp_export``.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from albumtag import __version__
from albumtag.app.attach import AttachSummary, attach_people, person_named, reject_people
from albumtag.app.interop import InteropError, tag_box
from albumtag.io.atomic import write_bytes_atomic
from albumtag.io.xmp_regions import TaggedPerson
from albumtag.library.database import Library
from albumtag.library.schema import (
    CONFIRMED_BY,
    AssignedBy,
    DecisionState,
    Person,
    PersonInstance,
    Photo,
    TagDecision,
)

BACKUP_FORMAT = "albumtag-people-backup"
BACKUP_VERSION = 1


@dataclass(frozen=True)
class BackupReport:
    people: int
    photos: int
    tags: int


def backup(library: Library, target: Path) -> BackupReport:
    """Write every named person and every confirmed or rejected tag to ``target`` (JSON)."""
    with library.session() as session:
        people = [{"name": name, "hidden": hidden} for name, hidden in session.execute(
            select(Person.name, Person.hidden).where(Person.name.is_not(None)).order_by(Person.name))]
        photos = _photo_tags(session)
    document = {"format": BACKUP_FORMAT, "version": BACKUP_VERSION, "written_by": f"AlbumTag {__version__}",
                "people": people, "photos": list(photos.values())}
    try:
        write_bytes_atomic(target, json.dumps(document, indent=1, ensure_ascii=False).encode("utf-8"))
    except OSError as error:
        raise InteropError(f"cannot write {target}: {error.strerror or error}") from error
    tags = sum(len(p["confirmed"]) + len(p["rejected"]) for p in photos.values())
    return BackupReport(len(people), len(photos), tags)


def _photo_entry(photos: dict[int, dict[str, Any]], photo: Photo) -> dict[str, Any]:
    if photo.id not in photos:
        photos[photo.id] = {"content_hash": photo.content_hash, "path": photo.relpath,
                            "confirmed": [], "rejected": []}
    return photos[photo.id]


def _photo_tags(session: Session) -> dict[int, dict[str, Any]]:
    photos: dict[int, dict[str, Any]] = {}
    confirmed = session.execute(
        select(PersonInstance, Person.name, Photo).join(Person, PersonInstance.person_id == Person.id)
        .join(Photo, PersonInstance.photo_id == Photo.id)
        .where(Person.name.is_not(None), PersonInstance.assigned_by.in_(CONFIRMED_BY), Photo.content_hash.is_not(None))
        .order_by(Photo.id, PersonInstance.id))
    for instance, name, photo in confirmed:
        _photo_entry(photos, photo)["confirmed"].append(
            {"name": name, "box": tag_box(instance), "by": instance.assigned_by.value})
    rejected = session.execute(
        select(PersonInstance, Person.name, Photo).join(TagDecision, TagDecision.instance_id == PersonInstance.id)
        .join(Person, TagDecision.person_id == Person.id).join(Photo, PersonInstance.photo_id == Photo.id)
        .where(TagDecision.state == DecisionState.REJECTED, Person.name.is_not(None),
               Photo.content_hash.is_not(None), PersonInstance.face_x1.is_not(None),
               or_(PersonInstance.person_id.is_(None), PersonInstance.person_id != TagDecision.person_id))
        .distinct().order_by(Photo.id, PersonInstance.id))
    for instance, name, photo in rejected:
        _photo_entry(photos, photo)["rejected"].append({"name": name, "box": tag_box(instance)})
    return photos


@dataclass
class RestoreReport:
    people: int = 0
    photos_found: int = 0
    photos_missing: int = 0
    tags: AttachSummary = field(default_factory=AttachSummary)


def restore(library: Library, source: Path) -> RestoreReport:
    """Put the backup's people and tags on the photos of this library with the same content."""
    document = _load(source)
    report = RestoreReport()
    with library.writer(), library.session() as session:
        for entry in document["people"]:
            person_named(session, entry["name"]).hidden = bool(entry.get("hidden", False))
            report.people += 1
        for entry in document["photos"]:
            photo_ids = list(session.scalars(select(Photo.id).where(
                Photo.content_hash == entry["content_hash"], Photo.missing.is_(False))))
            if photo_ids:
                report.photos_found += 1
            else:
                report.photos_missing += 1
            for photo_id in photo_ids:
                _restore_photo(session, photo_id, entry, report.tags)
    return report


def _restore_photo(session: Session, photo_id: int, entry: dict[str, Any], summary: AttachSummary) -> None:
    by_source: dict[AssignedBy, list[TaggedPerson]] = defaultdict(list)
    for tag in entry["confirmed"]:
        by_source[AssignedBy(tag["by"])].append(_tagged(tag))
    for source, people in by_source.items():
        summary.add(attach_people(session, photo_id, people, source))
    summary.add(reject_people(session, photo_id, [_tagged(tag) for tag in entry["rejected"]]))


def _text(entry: dict[str, Any], key: str) -> str:
    value = entry[key]
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{key} {value!r} is not a text")
    return value


def _tagged(tag: dict[str, Any]) -> TaggedPerson:
    box = tag.get("box")
    if box is not None and len(box) != 4:
        raise ValueError(f"box {box!r} is not x1, y1, x2, y2")
    return TaggedPerson(_text(tag, "name"), tuple(float(v) for v in box) if box is not None else None)


def _load(source: Path) -> dict[str, Any]:
    """The backup document, checked enough that restoring it cannot fail half-way."""
    try:
        document = json.loads(source.read_text(encoding="utf-8"))
    except OSError as error:
        raise InteropError(f"cannot read {source}: {error.strerror or error}") from error
    except ValueError as error:
        raise InteropError(f"{source} is not a backup (not JSON: {error})") from error
    if not isinstance(document, dict) or document.get("format") != BACKUP_FORMAT:
        raise InteropError(f"{source} is not an AlbumTag people backup")
    if document.get("version") != BACKUP_VERSION:
        raise InteropError(f"{source} is a backup of version {document.get('version')}; "
                           f"this AlbumTag reads version {BACKUP_VERSION}")
    try:
        _check(document)
    except (KeyError, TypeError, ValueError) as error:
        raise InteropError(f"{source} is a damaged backup: {type(error).__name__}: {error}") from error
    return document


def _check(document: dict[str, Any]) -> None:
    for entry in document["people"]:
        _text(entry, "name")
    for entry in document["photos"]:
        _text(entry, "content_hash")
        for tag in entry["confirmed"]:
            if AssignedBy(tag["by"]) not in CONFIRMED_BY:
                raise ValueError(f"a confirmed tag by {tag['by']!r}")
            _tagged(tag)
        for tag in entry["rejected"]:
            _tagged(tag)
