"""People's tags for other programs: who is in each photo, written as XMP.

``export_xmp`` writes who is in each photo (people a person confirmed or imported, never the
engine's guesses) into the photo's sidecar, where digiKam, Lightroom, Immich and exiftool
read it, or into the photo file itself when the user opts in (``albumtag.io.xmp_embed``).
The tags themselves are kept by ``app.backup``.

The box written for a face is the region the photo's own XMP gave it when there was one
(``PersonInstance.region_*``, kept as read by the import), so a region read from a photo
survives a round trip exactly instead of becoming the detector's box for the same face. It
stays the face's box whatever a person does to the name on it in AlbumTag (renaming or
merging the person, moving the face to someone else): the region outlines that face, not a
name. Faces no region named, confirmed in AlbumTag, are written with the detector's box.
"""

from __future__ import annotations

import os
from collections import defaultdict
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from albumtag.app.attach import clean_name
from albumtag.app.interop import InteropError, tag_box
from albumtag.app.progress import CancelToken, ProgressCallback, StageTimer, ignore_progress
from albumtag.io.atomic import write_bytes_atomic
from albumtag.io.hashing import content_hash
from albumtag.io.metadata import sidecar_paths
from albumtag.io.orientation import Box
from albumtag.io.xmp_embed import CannotEmbed, embed_people
from albumtag.io.xmp_files import photo_people
from albumtag.io.xmp_rdf import XmpError
from albumtag.io.xmp_regions import Frame, TaggedPerson
from albumtag.io.xmp_write import write_sidecar
from albumtag.library.database import Library
from albumtag.library.errors import disk_full_message, is_disk_full
from albumtag.library.schema import (
    CONFIRMED_BY,
    Album,
    DecisionState,
    Person,
    PersonInstance,
    Photo,
    TagDecision,
)


@dataclass
class ExportReport:
    """What an export did; per-file problems are listed here, never raised."""

    written: int = 0  # photos whose people were written (into the file or its sidecar)
    into_originals: int = 0  # of those, into the photo file itself
    unchanged: int = 0  # photo files whose XMP already said exactly this: left alone
    to_sidecar: list[tuple[Path, str]] = field(default_factory=list)  # the file refused, so its sidecar: why
    failed: list[tuple[Path, str]] = field(default_factory=list)
    cancelled: bool = False


@dataclass(frozen=True)
class _PhotoRow:
    photo_id: int
    path: Path
    frame: Frame
    content_hash: str | None


def export_xmp(library: Library, album: str | None = None, into_originals: bool = False,
               progress: ProgressCallback = ignore_progress, cancel: CancelToken | None = None) -> ExportReport:
    """Write the people of every photo (of one album, if named) into its sidecar, or, when
    ``into_originals``, into the photo file itself (JPEG, PNG; other files get the sidecar).

    A photo with nobody confirmed gets no new sidecar, but an existing one (and, into the
    originals, a file whose XMP names people) is updated, so a person removed in AlbumTag
    disappears there too. Names the XMP gives only as keywords, which the import could not
    put on a face, are kept (see ``_unplaced``). Per-file problems are reported, not raised;
    a full disk stops the export (InteropError): files are written whole or not at all
    (``io.atomic``), so the photos not written yet are as they were.
    Writing into originals holds the library's writer lock: it updates photos' hashes.
    """
    cancel = cancel or CancelToken()
    with library.session() as session:
        photos = _photos(session, album)
        people = _confirmed_people(session)
        decided = _decided_names(session)
    report = ExportReport()
    timer = StageTimer("export", "Writing people into photos" if into_originals else "Writing XMP sidecars",
                       len(photos))
    with library.writer() if into_originals else nullcontext():
        for photo in photos:
            if cancel.cancelled:
                report.cancelled = True
                break
            tagged = _to_write(photo, people.get(photo.photo_id, []), decided.get(photo.photo_id, set()),
                               into_originals)
            if tagged is not None:
                _export_photo(library, photo, tagged, into_originals, report)
            timer.done += 1
            progress(timer.snapshot())
    return report


def _has_sidecar(photo: Path) -> bool:
    return any(path.is_file() for path in sidecar_paths(photo))


def _to_write(photo: _PhotoRow, in_library: list[TaggedPerson], decided: set[str],
              into_originals: bool) -> list[TaggedPerson] | None:
    """The people to write for the photo; None to leave it alone: nobody in the library, no
    sidecar, and (into the originals) no person named in the file's XMP to take out."""
    sidecar = _has_sidecar(photo.path)
    if not (in_library or sidecar or into_originals):
        return None
    in_files = _people_in_files(photo)
    if not (in_library or sidecar or in_files):
        return None
    return in_library + _unplaced(in_files, in_library, decided)


def _people_in_files(photo: _PhotoRow) -> list[TaggedPerson]:
    """Who the photo's XMP names now (sidecar first, as on import); a broken packet names nobody."""
    try:
        return photo_people(photo.path, photo.frame)
    except XmpError:
        return []


def _unplaced(in_files: list[TaggedPerson], in_library: list[TaggedPerson], decided: set[str]) -> list[TaggedPerson]:
    """Keyword-only names from the photo's XMP that the library never had a say on.

    The import puts a name given without a region on the photo's face only when it has
    exactly one; otherwise the name stays only in the XMP, and the export, which rewrites the
    people keywords, would drop it. A name someone confirmed or rejected on one of the photo's
    faces is the library's to decide, so it is kept only while the library still has it.
    """
    known = {person.name for person in in_library} | decided
    return [TaggedPerson(clean_name(person.name), None) for person in in_files
            if person.box is None and clean_name(person.name) not in known]


def _export_photo(library: Library, photo: _PhotoRow, tagged: list[TaggedPerson], into_originals: bool,
                  report: ExportReport) -> None:
    try:
        if into_originals:
            _export_into_original(library, photo, tagged, report)
        else:
            write_sidecar(photo.path, tagged, photo.frame)
            report.written += 1
    except (XmpError, OSError, InteropError) as error:
        if is_disk_full(error):  # every photo after it would fail the same way: stop here
            raise InteropError(f"{disk_full_message(photo.path.parent, 'export again')}; "
                               f"{report.written} photo(s) were written before it filled") from error
        report.failed.append((photo.path, str(error)))


def _export_into_original(library: Library, photo: _PhotoRow, tagged: list[TaggedPerson],
                          report: ExportReport) -> None:
    """Into the file; into its sidecar when the file cannot take it. An existing sidecar is
    updated as well: readers (ours too) prefer it, so it must not contradict the file."""
    try:
        changed = _embed(library, photo, tagged)
    except CannotEmbed as why:
        write_sidecar(photo.path, tagged, photo.frame)
        report.written += 1
        report.to_sidecar.append((photo.path, str(why)))
        return
    if _has_sidecar(photo.path):
        write_sidecar(photo.path, tagged, photo.frame)
    if changed:
        report.written += 1
        report.into_originals += 1
    else:
        report.unchanged += 1


def _embed(library: Library, photo: _PhotoRow, tagged: list[TaggedPerson]) -> bool:
    """Write the people into the photo file; False when it already held exactly them.

    The file is first checked to be the one the library read (its content hash): boxes of
    an edited photo may no longer fit it. Once written, the library takes the file's new
    hash, size and time, so the next rescan sees the photo it knows, not an edited one whose
    faces must be found again (and backups made from now on match it). A crash between the
    two leaves a photo the rescan reads again, its people then coming back from the XMP.
    """
    if not os.access(photo.path, os.W_OK):
        raise CannotEmbed("the file is read-only")
    data = photo.path.read_bytes()
    if content_hash(data) != photo.content_hash:
        raise InteropError("the file changed since AlbumTag last read it; rescan, then export again")
    new = embed_people(data, tagged, photo.frame)
    if new is None:
        return False
    write_bytes_atomic(photo.path, new)
    stat = photo.path.stat()
    with library.session() as session:
        session.execute(update(Photo).where(Photo.id == photo.photo_id).values(
            content_hash=content_hash(new), size=stat.st_size, mtime_ns=stat.st_mtime_ns))
    return True


def _photos(session: Session, album: str | None) -> list[_PhotoRow]:
    query = (select(Photo.id, Album.root, Photo.relpath, Photo.orientation, Photo.width, Photo.height,
                    Photo.content_hash)
             .join(Album).where(Photo.missing.is_(False), Photo.width.is_not(None), Photo.height.is_not(None))
             .order_by(Photo.id))
    if album is not None:
        if session.scalar(select(Album.id).where(Album.name == album).limit(1)) is None:
            raise InteropError(f"no album called {album!r}; `albumtag status` lists the library")
        query = query.where(Album.name == album)
    return [_PhotoRow(pid, Path(root) / rel, Frame(orientation or 1, width, height), digest)
            for pid, root, rel, orientation, width, height, digest in session.execute(query)]


def _confirmed_people(session: Session) -> dict[int, list[TaggedPerson]]:
    """Photo id -> the named people a person (or imported metadata) put on it."""
    found: dict[int, list[TaggedPerson]] = defaultdict(list)
    rows = session.execute(select(PersonInstance, Person.name).join(Person, PersonInstance.person_id == Person.id)
                           .where(Person.name.is_not(None), PersonInstance.assigned_by.in_(CONFIRMED_BY))
                           .order_by(PersonInstance.photo_id, PersonInstance.id))
    for instance, name in rows:
        found[instance.photo_id].append(TaggedPerson(name, written_box(instance)))
    return found


def written_box(instance: PersonInstance) -> Box | None:
    """The box exported for an instance: the face region its photo's XMP gave it, as read,
    else its face box (see the module docstring); None for a person seen without a face."""
    if instance.region_x1 is not None:
        return instance.region_x1, instance.region_y1, instance.region_x2, instance.region_y2
    return tag_box(instance)


def _decided_names(session: Session) -> dict[int, set[str]]:
    """Photo id -> the names confirmed or rejected on one of its instances (by a person or an
    import): the names whose place on the photo the library knows."""
    found: dict[int, set[str]] = defaultdict(set)
    rows = session.execute(select(PersonInstance.photo_id, Person.name).distinct()
                           .join(TagDecision, TagDecision.instance_id == PersonInstance.id)
                           .join(Person, TagDecision.person_id == Person.id)
                           .where(Person.name.is_not(None),
                                  TagDecision.state.in_((DecisionState.CONFIRMED, DecisionState.REJECTED))))
    for photo_id, name in rows:
        found[photo_id].add(name)
    return found

