"""People as the user sees them: named people and unnamed groups, with counts and a cover face."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Select, func, select

from albumtag.app.grouping import GROUP_STATS_KEY
from albumtag.library.database import Library
from albumtag.library.schema import Album, DecisionState, LibraryInfo, Person, PersonInstance, Photo, TagDecision
from albumtag.recognize.grouping import GroupingParams
from albumtag.recognize.likely_names import likely_people, stats_from_json

Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class FaceRef:
    """Enough to crop a face thumbnail: the photo file, its content hash and the face box."""

    photo_path: Path
    content_hash: str
    box: Box


@dataclass(frozen=True)
class PersonSummary:
    id: int
    name: str | None
    hidden: bool
    instances: int
    photos: int
    cover: FaceRef | None = None
    likely_name: str | None = None  # for an unnamed group: the named person it probably is ...
    likely_person_id: int | None = None  # ... and their id

    @property
    def label(self) -> str:
        if self.name:
            return self.name
        return f"Unnamed #{self.id}" + (f" — {self.likely_name}?" if self.likely_name else "")


def _covers(session, person_ids: list[int]) -> dict[int, FaceRef]:
    """Each person's best face (highest quality) as the picture shown for them."""
    ranked = (select(PersonInstance.person_id, PersonInstance.photo_id, PersonInstance.face_x1,
                     PersonInstance.face_y1, PersonInstance.face_x2, PersonInstance.face_y2,
                     func.row_number().over(partition_by=PersonInstance.person_id,
                                            order_by=PersonInstance.quality.desc()).label("rank"))
              .where(PersonInstance.person_id.in_(person_ids), PersonInstance.face_x1.is_not(None))
              .subquery())
    rows = session.execute(
        select(ranked.c.person_id, Album.root, Photo.relpath, Photo.content_hash, ranked.c.face_x1,
               ranked.c.face_y1, ranked.c.face_x2, ranked.c.face_y2)
        .join(Photo, Photo.id == ranked.c.photo_id).join(Album, Album.id == Photo.album_id)
        .where(ranked.c.rank == 1, Photo.content_hash.is_not(None)))
    return {pid: FaceRef(Path(root) / rel, digest, (x1, y1, x2, y2))
            for pid, root, rel, digest, x1, y1, x2, y2 in rows}


def _summary_rows(include_hidden: bool, min_instances: int) -> Select:
    """(id, name, hidden, instances, photos) of each person listed: named people, and unnamed
    groups of at least ``min_instances``."""
    query = (
        select(Person.id, Person.name, Person.hidden, func.count(PersonInstance.id),
               func.count(func.distinct(PersonInstance.photo_id)))
        .join(PersonInstance, PersonInstance.person_id == Person.id, isouter=True)
        .group_by(Person.id)
        .having((Person.name.is_not(None)) | (func.count(PersonInstance.id) >= min_instances)))
    if not include_hidden:
        query = query.where(Person.hidden.is_(False))
    return query


def _summaries(session, rows: list, named: dict[int, str]) -> list[PersonSummary]:
    """The rows as people, with their cover faces and, for unnamed groups, the one of the
    ``named`` people (id -> name) each probably is."""
    covers = _covers(session, [row[0] for row in rows])
    likely = _likely_names(session, rows, named)
    return [PersonSummary(*row, cover=covers.get(row[0]), likely_name=likely.get(row[0], (None, None))[1],
                          likely_person_id=likely.get(row[0], (None, None))[0]) for row in rows]


def list_people(library: Library, include_hidden: bool = False, min_instances: int = 1
                ) -> list[PersonSummary]:
    """Named people first (by name), then unnamed groups, largest first."""
    with library.session() as session:
        rows = list(session.execute(_summary_rows(include_hidden, min_instances)))
        people = _summaries(session, rows, {pid: name for pid, name, *_ in rows if name})
    return sorted(people, key=lambda p: (p.name is None, (p.name or "").casefold(), -p.instances))


def get_person(library: Library, person_id: int) -> PersonSummary | None:
    """One person as ``list_people(library, include_hidden=True)`` lists them (hidden or not);
    None when there is nobody with this id, or it is an unnamed group with no instance left."""
    with library.session() as session:
        rows = list(session.execute(_summary_rows(include_hidden=True, min_instances=1)
                                    .where(Person.id == person_id)))
        if not rows:
            return None
        named = {} if rows[0][1] else {pid: name for pid, name in session.execute(
            select(Person.id, Person.name).where(Person.name.is_not(None))) if name}
        return _summaries(session, rows, named)[0]


def _likely_names(session, rows: list, named: dict[int, str]) -> dict[int, tuple[int, str]]:
    """For each listed unnamed group of two or more faces, (id, name) of the ``named`` person
    it probably is (``albumtag.recognize.likely_names``), from the face stats the last grouping
    stored; never a person the group's faces were rejected for (the user said no)."""
    stored = session.get(LibraryInfo, GROUP_STATS_KEY)
    if stored is None:
        return {}
    stats = stats_from_json(stored.value)
    names = {pid: name for pid, name in named.items() if pid in stats}
    unnamed = {pid: stats[pid] for pid, name, _, instances, _ in rows if not name and instances > 1 and pid in stats}
    refused = set(session.execute(
        select(PersonInstance.person_id, TagDecision.person_id)
        .join(TagDecision, TagDecision.instance_id == PersonInstance.id)
        .where(TagDecision.state == DecisionState.REJECTED, PersonInstance.person_id.is_not(None)).distinct()).all())
    params = GroupingParams()
    found = likely_people(unnamed, {pid: stats[pid] for pid in names}, params.join_radius, params.join_margin, refused)
    return {group: (person, names[person]) for group, (person, _) in found.items()}
