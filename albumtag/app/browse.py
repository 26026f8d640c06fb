"""Read-only queries the GUI shows: albums, photos in an album or of people, instances.

Nothing here fits a model or fills a cache: PIPER's body suggestions are fitted by
``app.identification.refit_body_suggestions``, and the queries that show them take them as an
argument."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

import numpy as np
from sqlalchemy import func, select

from albumtag.app.identification import BodySuggestion
from albumtag.app.open_set import acceptance_distance
from albumtag.app.people import FaceRef, PersonSummary, list_people
from albumtag.embed.face_descriptor import MATCH_DISTANCE
from albumtag.embed.face_vector import current_face_features
from albumtag.library.database import Library
from albumtag.library.schema import (
    CONFIRMED_BY,
    Album,
    AssignedBy,
    Feature,
    Person,
    PersonInstance,
    Photo,
)
from albumtag.library.vectors import from_blob
from albumtag.recognize.adaptation import person_distances

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
    """One person instance on a photo, as the photo view draws it: its boxes and who it is."""

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


@dataclass(frozen=True)
class PersonInstanceTile:
    """One of a person's instances as a tile on their page (and in Needs review): the face, or
    the body of an instance seen without a face (``face`` is then the body's crop)."""

    instance_id: int
    face: FaceRef
    confirmed: bool  # by the user or imported tags; otherwise a suggestion from the engine
    quality: float
    score: float  # 0..1 closeness to the person's confirmed faces (1 for confirmed ones)

    def confirmed_copy(self) -> PersonInstanceTile:
        return replace(self, confirmed=True, score=1.0)


def suggestion_score(distance: float, accept: float) -> float:
    """Descriptor distance to the person (``recognize.adaptation.person_distances``: the nearer
    of the mean of their confirmed faces and the nearest one) as 0..1, where 0.5 is the
    library's calibrated acceptance distance ``accept`` (``app.open_set``): above 0.5 a face is
    closer than a stranger would be at the stated false-accept rate."""
    return float(np.clip(1.0 - distance / (2 * accept), 0.0, 1.0))


# A faceless instance the grouping put with a person joined by a same-day body under the body
# acceptance (recognize.grouping): as sure as a face at the acceptance distance, 0.5 on this scale.
SAME_DAY_BODY_SCORE = 0.5


def person_faces(library: Library, person_id: int,
                 body_suggestions: Sequence[BodySuggestion]) -> list[PersonInstanceTile]:
    """A person's faces (and bodies, for instances seen without a face): confirmed ones
    first, then suggestions, most likely first. ``body_suggestions`` are PIPER's
    (``identification.refit_body_suggestions``); those for this person are shown too."""
    with library.session() as session:
        rows = session.execute(
            select(PersonInstance, Album.root, Photo.relpath, Photo.content_hash, Feature.vector)
            .join(Photo, Photo.id == PersonInstance.photo_id).join(Album, Album.id == Photo.album_id)
            .join(Feature, (Feature.instance_id == PersonInstance.id) & current_face_features(),
                  isouter=True)
            .where(PersonInstance.person_id == person_id,
                   PersonInstance.face_x1.is_not(None) | PersonInstance.body_x1.is_not(None),
                   Photo.content_hash.is_not(None))).all()
    confirmed = [r for r in rows if r[0].assigned_by in CONFIRMED_BY]
    # Faces tagged by other programs where the detector saw none have a box but no descriptor.
    vectors = [from_blob(r[4]) for r in confirmed if r[4] is not None]
    suggested = [r for r in rows if r[0].assigned_by not in CONFIRMED_BY]
    distance = _distances_to(np.stack(vectors), suggested) if vectors else {}
    accept = acceptance_distance(library) if vectors else MATCH_DISTANCE
    items = []
    for inst, root, rel, digest, _ in rows:
        is_confirmed = inst.assigned_by in CONFIRMED_BY
        if is_confirmed:
            score = 1.0
        elif inst.face_x1 is None:
            score = SAME_DAY_BODY_SCORE
        elif inst.id not in distance:
            score = 1.0
        else:
            score = suggestion_score(distance[inst.id], accept)
        items.append(PersonInstanceTile(inst.id, FaceRef(Path(root) / rel, digest, shown_box(inst)),
                                        is_confirmed, inst.quality, score))
    items += _body_items(library, person_id, body_suggestions)
    return sorted(items, key=lambda f: (not f.confirmed, -f.score, -f.quality))


def _distances_to(confirmed: np.ndarray, rows: Sequence) -> dict[int, float]:
    """The distance of each suggested face (rows with a descriptor) to the person confirmed in
    ``confirmed``. The nearer of their template and nearest face, not the nearest face alone: on
    100 people held out of every choice it identifies more of a person's faces within the
    acceptance and accepts fewer strangers (bench/population.py, README)."""
    described = [(inst.id, from_blob(vector)) for inst, *_, vector in rows if vector is not None]
    if not described:
        return {}
    found = person_distances(np.stack([v for _, v in described]), confirmed, np.zeros(len(confirmed), int))[:, 0]
    return {instance_id: float(d) for (instance_id, _), d in zip(described, found)}


def shown_box(inst: PersonInstance) -> Box:
    """The box that shows an instance: its face, or its body when it was seen without one."""
    if inst.face_x1 is not None:
        return inst.face_x1, inst.face_y1, inst.face_x2, inst.face_y2
    return inst.body_x1, inst.body_y1, inst.body_x2, inst.body_y2


def _body_items(library: Library, person_id: int,
               body_suggestions: Sequence[BodySuggestion]) -> list[PersonInstanceTile]:
    """People seen without a face whom PIPER takes for this person, shown by their body box."""
    suggested = {s.instance_id: s.score for s in body_suggestions if s.person_id == person_id}
    if not suggested:
        return []
    with library.session() as session:
        rows = session.execute(
            select(PersonInstance, Album.root, Photo.relpath, Photo.content_hash)
            .join(Photo, Photo.id == PersonInstance.photo_id).join(Album, Album.id == Photo.album_id)
            .where(PersonInstance.id.in_(suggested), Photo.content_hash.is_not(None))).all()
    return [PersonInstanceTile(inst.id, FaceRef(Path(root) / rel, digest, shown_box(inst)), False,
                               inst.quality, suggested[inst.id]) for inst, root, rel, digest in rows]


def review_queue(library: Library, body_suggestions: Sequence[BodySuggestion]) -> list[tuple[int, str, int]]:
    """Named people with suggestions waiting: (person id, name, suggestions), most first.
    Suggestions are faces the grouping put with the person and faceless instances PIPER
    suggests for them by body and parts (``body_suggestions``, from
    ``identification.refit_body_suggestions``)."""
    by_body = Counter(s.person_id for s in body_suggestions)
    with library.session() as session:
        named = session.execute(select(Person.id, Person.name)
                                .where(Person.name.is_not(None), Person.hidden.is_(False))).all()
        by_face = Counter(dict(session.execute(
            select(PersonInstance.person_id, func.count(PersonInstance.id))
            .where(PersonInstance.assigned_by == AssignedBy.MODEL).group_by(PersonInstance.person_id)).all()))
    waiting = [(pid, name, by_face[pid] + by_body[pid]) for pid, name in named]
    return sorted((row for row in waiting if row[2]), key=lambda row: -row[2])


def group_questions(library: Library) -> list[PersonSummary]:
    """Unnamed groups offered the name of someone already named ("Unnamed #12 — Ann?"), largest
    first: one answer settles a whole group, so these are asked before single faces."""
    offered = [p for p in list_people(library) if p.likely_person_id is not None]
    return sorted(offered, key=lambda p: -p.instances)


def people_named(library: Library, names: Sequence[str]) -> tuple[list[int], list[str]]:
    """Ids of the named people (case-insensitive), and the names nobody has."""
    wanted = {name.casefold(): name for name in names}
    with library.session() as session:
        found = {name.casefold(): pid for pid, name in session.execute(
            select(Person.id, Person.name).where(Person.name.is_not(None)))}
    return ([found[key] for key in wanted if key in found],
            [original for key, original in wanted.items() if key not in found])
