"""People as the user sees them: named people and unnamed groups, with their counts."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from albumtag.library.database import Library
from albumtag.library.schema import Person, PersonInstance


@dataclass(frozen=True)
class PersonSummary:
    id: int
    name: str | None
    hidden: bool
    instances: int
    photos: int

    @property
    def label(self) -> str:
        return self.name or f"Unnamed #{self.id}"


def list_people(library: Library, include_hidden: bool = False) -> list[PersonSummary]:
    """Named people first (by name), then unnamed groups, largest first."""
    with library.session() as session:
        query = (
            select(Person.id, Person.name, Person.hidden, func.count(PersonInstance.id),
                   func.count(func.distinct(PersonInstance.photo_id)))
            .join(PersonInstance, PersonInstance.person_id == Person.id, isouter=True)
            .group_by(Person.id))
        if not include_hidden:
            query = query.where(Person.hidden.is_(False))
        rows = [PersonSummary(*row) for row in session.execute(query)]
    return sorted(rows, key=lambda p: (p.name is None, (p.name or "").casefold(), -p.instances))
