"""Naming, confirming, rejecting, merging, hiding, deleting people — and undoing each."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from albumtag.app.people import get_person, list_people
from albumtag.app.people_actions import PeopleActionError, PeopleActions
from albumtag.library.database import Library
from albumtag.library.schema import Album, AssignedBy, DecisionState, Person, PersonInstance, Photo, TagDecision


@pytest.fixture
def groups(library: Library) -> dict[str, list[int]]:
    """Two unnamed groups (3 and 2 faces) and one unassigned face, in five photos."""
    with library.session() as session:
        album = Album(name="a", root="/nowhere")
        session.add(album)
        session.flush()
        photos = [Photo(album_id=album.id, relpath=f"{i}.jpg", size=1, mtime_ns=1) for i in range(5)]
        session.add_all(photos)
        first, second = Person(), Person()
        session.add_all([first, second])
        session.flush()
        layout = [(0, first), (1, first), (2, first), (3, second), (4, second), (4, None)]
        instances = [PersonInstance(photo_id=photos[p].id, person_id=who.id if who else None,
                                    assigned_by=AssignedBy.MODEL if who else None, quality=0.9,
                                    face_x1=0, face_y1=0, face_x2=10, face_y2=10) for p, who in layout]
        session.add_all(instances)
        session.flush()
        return {"first": [first.id] + [i.id for i in instances[:3]],
                "second": [second.id] + [i.id for i in instances[3:5]], "loose": [instances[5].id]}


def _assignments(library: Library) -> dict[int, tuple[int | None, AssignedBy | None]]:
    with library.session() as session:
        return {i.id: (i.person_id, i.assigned_by) for i in session.scalars(select(PersonInstance))}


def test_naming_a_group_confirms_all_its_faces_and_undo_restores(library: Library, groups) -> None:
    actions = PeopleActions(library)
    before = _assignments(library)
    person_id = actions.name_person(groups["first"][0], "  Ada   Lovelace ")
    after = _assignments(library)
    assert all(after[i] == (person_id, AssignedBy.USER) for i in groups["first"][1:])
    assert [p.name for p in list_people(library)][0] == "Ada Lovelace"
    assert actions.undo() == "Name Ada Lovelace"
    assert _assignments(library) == before
    with library.session() as session:
        assert session.get(Person, person_id).name is None
        assert session.scalar(select(func.count()).select_from(TagDecision)) == 0


def test_naming_with_an_existing_name_merges(library: Library, groups) -> None:
    actions = PeopleActions(library)
    ada = actions.name_person(groups["first"][0], "Ada")
    assert actions.name_person(groups["second"][0], "Ada") == ada
    people = list_people(library)
    assert [(p.name, p.instances) for p in people] == [("Ada", 5)]
    actions.undo()
    assert sorted((p.name, p.instances) for p in list_people(library) if p.name) == [("Ada", 3)]
    assert len(list_people(library)) == 2


def test_reject_is_recorded_and_unassigns(library: Library, groups) -> None:
    actions = PeopleActions(library)
    person = groups["first"][0]
    actions.reject([groups["first"][1]], person)
    assert _assignments(library)[groups["first"][1]] == (None, None)
    with library.session() as session:
        decision = session.scalar(select(TagDecision))
        assert (decision.instance_id, decision.person_id, decision.state) == (
            groups["first"][1], person, DecisionState.REJECTED)


def test_merge_hide_delete_and_their_undo(library: Library, groups) -> None:
    actions = PeopleActions(library)
    before = _assignments(library)
    first, second = groups["first"][0], groups["second"][0]
    assert actions.merge([second], first) == 2
    assert [p.instances for p in list_people(library)] == [5]
    actions.set_hidden(first)
    assert list_people(library) == []
    assert len(list_people(library, include_hidden=True)) == 1
    actions.undo()
    actions.delete_person(first)
    assert all(v == (None, None) for v in _assignments(library).values())
    actions.undo()
    actions.undo()
    assert _assignments(library) == before


def test_get_person_is_the_person_as_listed(library: Library, groups) -> None:
    actions = PeopleActions(library)
    first, second = groups["first"][0], groups["second"][0]
    actions.name_person(first, "Ada")
    actions.set_hidden(first)
    for person in list_people(library, include_hidden=True):
        assert get_person(library, person.id) == person
    assert get_person(library, 999) is None
    actions.reject(groups["second"][1:], second)  # an unnamed group with no face left is not listed
    assert get_person(library, second) is None


def test_empty_name_and_vanished_person_are_refused(library: Library, groups) -> None:
    actions = PeopleActions(library)
    with pytest.raises(PeopleActionError, match="empty"):
        actions.name_person(groups["first"][0], "   ")
    with pytest.raises(PeopleActionError, match="no longer exists"):
        actions.confirm(groups["loose"], 999)
    assert not actions.can_undo


def test_moving_faces_to_someone_else_records_them_as_not_the_old_person(library: Library, groups) -> None:
    actions = PeopleActions(library)
    first, moved = groups["first"][0], groups["first"][1:3]
    bob = actions.assign_new_name(moved, "Bob", instead_of=first)
    assert all(_assignments(library)[i] == (bob, AssignedBy.USER) for i in moved)
    with library.session() as session:
        refused = set(session.execute(select(TagDecision.instance_id, TagDecision.person_id)
                                      .where(TagDecision.state == DecisionState.REJECTED)).all())
    assert refused == {(i, first) for i in moved}
    actions.undo()
    with library.session() as session:
        assert session.scalar(select(func.count()).select_from(TagDecision)) == 0
    assert all(_assignments(library)[i] == (first, AssignedBy.MODEL) for i in moved)
