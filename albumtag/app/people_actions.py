"""What a person does to people: name, confirm, reject, merge, split, hide, delete — and undo.

Every action is one transaction and records how to reverse it: the previous person and
"assigned by" of each instance it touched, the names/flags of people it changed, the people
it created and the decisions it wrote. ``undo`` replays the last record backwards, so a bulk
rename or merge of hundreds of faces is one Ctrl+Z away.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from albumtag.library.database import Library
from albumtag.library.schema import AssignedBy, DecisionState, Person, PersonInstance, TagDecision


class PeopleActionError(ValueError):
    """An action that cannot be done as asked; the message says why."""


@dataclass
class UndoRecord:
    label: str
    instances: list[tuple[int, int | None, AssignedBy | None]] = field(default_factory=list)
    people: list[tuple[int, str | None, bool]] = field(default_factory=list)
    created_people: list[int] = field(default_factory=list)
    decisions: list[int] = field(default_factory=list)
    deleted_people: list[tuple[int, str | None, bool]] = field(default_factory=list)


class PeopleActions:
    """The engine API the GUI calls; one instance per open library (it holds the undo stack)."""

    def __init__(self, library: Library, undo_depth: int = 50) -> None:
        self.library = library
        self._undo: list[UndoRecord] = []
        self._depth = undo_depth

    # ----- helpers ----------------------------------------------------------------------
    def _remember(self, record: UndoRecord) -> None:
        self._undo.append(record)
        del self._undo[:-self._depth]

    @staticmethod
    def _rows(session: Session, instance_ids: Iterable[int]) -> list[PersonInstance]:
        return list(session.scalars(select(PersonInstance).where(PersonInstance.id.in_(list(instance_ids)))))

    @classmethod
    def _snapshot(cls, session: Session, record: UndoRecord, instance_ids: Iterable[int]) -> list[PersonInstance]:
        rows = cls._rows(session, instance_ids)
        record.instances.extend((i.id, i.person_id, i.assigned_by) for i in rows)
        return rows

    @staticmethod
    def _snapshot_person(record: UndoRecord, person: Person) -> None:
        record.people.append((person.id, person.name, person.hidden))

    @staticmethod
    def _decide(session: Session, record: UndoRecord, instances: Sequence[PersonInstance], person_id: int,
                state: DecisionState) -> None:
        for instance in instances:
            decision = TagDecision(instance_id=instance.id, person_id=person_id, state=state,
                                   source=AssignedBy.USER)
            session.add(decision)
            session.flush()
            record.decisions.append(decision.id)

    @staticmethod
    def _person(session: Session, person_id: int) -> Person:
        person = session.get(Person, person_id)
        if person is None:
            raise PeopleActionError(f"person #{person_id} no longer exists")
        return person

    @staticmethod
    def _named(session: Session, name: str) -> Person | None:
        return session.scalar(select(Person).where(Person.name == name).order_by(Person.id).limit(1))

    def _instances_of(self, session: Session, person_id: int) -> list[int]:
        return list(session.scalars(select(PersonInstance.id).where(PersonInstance.person_id == person_id)))

    def _confirm_into(self, session: Session, record: UndoRecord, instance_ids: Iterable[int], target: Person) -> int:
        instances = self._snapshot(session, record, instance_ids)
        for instance in instances:
            instance.person_id = target.id
            instance.assigned_by = AssignedBy.USER
        self._decide(session, record, instances, target.id, DecisionState.CONFIRMED)
        return len(instances)

    # ----- actions ----------------------------------------------------------------------
    def name_person(self, person_id: int, name: str) -> int:
        """Name a group (or rename a person) and confirm all its faces. If someone already has
        that name, the two are merged into them. Returns the id of the named person."""
        name = " ".join(name.split())
        if not name:
            raise PeopleActionError("a name cannot be empty")
        record = UndoRecord(f"Name {name}")
        with self.library.session() as session:
            person = self._person(session, person_id)
            existing = self._named(session, name)
            target = existing if existing is not None and existing.id != person.id else person
            self._snapshot_person(record, target)
            target.name = name
            target.hidden = False
            self._confirm_into(session, record, self._instances_of(session, person_id), target)
            if target is not person:
                self._delete_person(session, record, person)
            result = target.id
        self._remember(record)
        return result

    def confirm(self, instance_ids: Sequence[int], person_id: int) -> int:
        """These faces are this person."""
        record = UndoRecord("Confirm")
        with self.library.session() as session:
            count = self._confirm_into(session, record, instance_ids, self._person(session, person_id))
        self._remember(record)
        return count

    def assign_new_name(self, instance_ids: Sequence[int], name: str, instead_of: int | None = None) -> int:
        """These faces are a person called ``name`` (created if nobody has that name). With
        ``instead_of`` (the person they were shown as, moved away from), they are also recorded
        as not that person, so grouping and suggestions never put them back there."""
        record = UndoRecord(f"Tag {name}")
        with self.library.session() as session:
            person = self._named(session, name)
            if person is None:
                person = Person(name=" ".join(name.split()))
                session.add(person)
                session.flush()
                record.created_people.append(person.id)
            self._confirm_into(session, record, instance_ids, person)
            if instead_of is not None and instead_of != person.id:
                self._decide(session, record, self._rows(session, instance_ids), instead_of, DecisionState.REJECTED)
            result = person.id
        self._remember(record)
        return result

    def reject(self, instance_ids: Sequence[int], person_id: int) -> int:
        """These faces are not this person: unassigned now and never suggested for them again."""
        record = UndoRecord("Not this person")
        with self.library.session() as session:
            instances = self._snapshot(session, record, instance_ids)
            for instance in instances:
                if instance.person_id == person_id:
                    instance.person_id, instance.assigned_by = None, None
            self._decide(session, record, instances, person_id, DecisionState.REJECTED)
        self._remember(record)
        return len(instances)

    def merge(self, source_ids: Sequence[int], target_id: int) -> int:
        """Everyone in ``source_ids`` is really ``target_id``; the sources disappear."""
        record = UndoRecord("Merge")
        with self.library.session() as session:
            target = self._person(session, target_id)
            moved = 0
            for source_id in source_ids:
                if source_id == target_id:
                    continue
                source = self._person(session, source_id)
                moved += self._confirm_into(session, record, self._instances_of(session, source_id), target)
                self._delete_person(session, record, source)
        self._remember(record)
        return moved

    def set_hidden(self, person_id: int, hidden: bool = True) -> None:
        record = UndoRecord("Hide" if hidden else "Show")
        with self.library.session() as session:
            person = self._person(session, person_id)
            self._snapshot_person(record, person)
            person.hidden = hidden
        self._remember(record)

    def delete_person(self, person_id: int) -> None:
        """Remove a person; their faces stay, as unknown."""
        record = UndoRecord("Delete person")
        with self.library.session() as session:
            person = self._person(session, person_id)
            instances = self._snapshot(session, record, self._instances_of(session, person_id))
            for instance in instances:
                instance.person_id, instance.assigned_by = None, None
            self._delete_person(session, record, person)
        self._remember(record)

    @staticmethod
    def _delete_person(session: Session, record: UndoRecord, person: Person) -> None:
        record.deleted_people.append((person.id, person.name, person.hidden))
        session.delete(person)
        session.flush()

    # ----- undo -------------------------------------------------------------------------
    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def undo_label(self) -> str | None:
        return self._undo[-1].label if self._undo else None

    def undo(self) -> str | None:
        """Reverse the last action; returns its label (None when there is nothing to undo)."""
        if not self._undo:
            return None
        record = self._undo.pop()
        with self.library.session() as session:
            for person_id, name, hidden in record.deleted_people:
                session.add(Person(id=person_id, name=name, hidden=hidden))
            session.flush()
            session.execute(delete(TagDecision).where(TagDecision.id.in_(record.decisions)))
            for instance_id, person_id, assigned_by in reversed(record.instances):
                instance = session.get(PersonInstance, instance_id)
                if instance is not None:
                    instance.person_id, instance.assigned_by = person_id, assigned_by
            for person_id, name, hidden in reversed(record.people):
                person = session.get(Person, person_id)
                if person is not None:
                    person.name, person.hidden = name, hidden
            session.flush()
            session.execute(delete(Person).where(Person.id.in_(record.created_people)))
        return record.label
