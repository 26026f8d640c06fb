"""Grouping faces into people: the incremental run after new photos, and the full run."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sqlalchemy import select, update

from albumtag.app.grouping import update_groups
from albumtag.app.people import list_people
from albumtag.app.people_actions import PeopleActions
from albumtag.library.database import Library
from albumtag.library.model_versions import model_version_id
from albumtag.library.schema import Feature, PersonInstance
from bench.cluster_scale import add_faces, synthetic_faces, synthetic_people


def _people_of(library: Library) -> dict[int, int | None]:
    with library.session() as session:
        return dict(session.execute(select(PersonInstance.id, PersonInstance.person_id)).all())


def _partition(assignment: dict[int, int | None]) -> set[frozenset[int]]:
    groups: dict[int, set[int]] = {}
    for instance, person in assignment.items():
        if person is not None:
            groups.setdefault(person, set()).add(instance)
    return {frozenset(group) for group in groups.values()}


def _faces_of(rng: np.random.Generator, centres: np.ndarray, person: int, count: int) -> np.ndarray:
    return synthetic_faces(rng, count, centres[person:person + 1])


def test_new_faces_join_their_groups_and_settled_groups_keep_their_ids(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    centres = synthetic_people(rng, 4)
    library = Library.open(tmp_path / "lib.albumtag")
    add_faces(library, np.concatenate([_faces_of(rng, centres, p, 10) for p in range(3)]), 1)
    first = update_groups(library)
    assert first.groups == 3 and first.new_groups == 3
    before = _people_of(library)

    add_faces(library, np.concatenate([_faces_of(rng, centres, 0, 5), _faces_of(rng, centres, 3, 4)]), 31)
    summary = update_groups(library)
    after = _people_of(library)
    assert all(after[i] == before[i] for i in before), "settled faces keep their person"
    assert {after[i] for i in range(31, 36)} == {before[1]}, "person 0's new faces join its group"
    newcomer = {after[i] for i in range(36, 40)}
    assert len(newcomer) == 1 and newcomer.pop() not in set(before.values())
    assert summary.new_groups == 1 and summary.groups == 4

    assert update_groups(library).new_groups == 0, "nothing new: nothing moves"
    with library.session() as session:  # a new face model: every vector is from it now
        new_model = model_version_id(session, "face_descriptor", "retrained")
        session.execute(update(Feature).values(model_version_id=new_model))
        session.execute(update(PersonInstance).where(PersonInstance.id.in_(range(36, 40))).values(person_id=None))
    update_groups(library)
    regrouped = {_people_of(library)[i] for i in range(36, 40)}
    assert len(regrouped) == 1 and None not in regrouped, "a new face model groups every face again"
    update_groups(library, full=True)
    assert _partition(_people_of(library)) == _partition(after), "a full run agrees"


def test_a_lone_good_face_is_not_grouped_with_a_lone_poor_face(tmp_path: Path) -> None:
    """Two faces alone, one below the seed quality: each stays nobody's (no group of 2)."""
    rng = np.random.default_rng(1)
    centres = synthetic_people(rng, 3)
    library = Library.open(tmp_path / "lib.albumtag")
    add_faces(library, np.concatenate([_faces_of(rng, centres, 0, 1), _faces_of(rng, centres, 1, 1),
                                       _faces_of(rng, centres, 2, 6)]), 1)
    with library.session() as session:
        session.execute(update(PersonInstance).where(PersonInstance.id == 1).values(quality=0.05))
    update_groups(library)
    people = _people_of(library)
    assert people[1] is None and people[2] is None
    assert len({people[i] for i in range(3, 9)}) == 1 and people[3] is not None


def test_an_unnamed_group_close_to_a_named_person_is_offered_the_name(
        offered_library: tuple[Library, int, int, int]) -> None:
    """A second group of Ann's (other years, say) is too far face by face to join hers, close on
    average: it is offered her name, not merged; a stranger's group is offered nothing. Once
    the user says it is not Ann, the offer is gone, and back after undo."""
    library, ann_id, later_id, stranger_id = offered_library
    groups = {p.id: p for p in list_people(library)}
    assert later_id != ann_id and groups[later_id].name is None, "not merged"
    assert groups[later_id].likely_name == "Ann" and groups[later_id].likely_person_id == ann_id
    assert groups[later_id].label.endswith("Ann?")
    assert groups[stranger_id].likely_name is None and groups[ann_id].likely_name is None

    actions = PeopleActions(library)
    later_faces = [i for i, person in _people_of(library).items() if person == later_id]
    actions.reject(later_faces, ann_id)
    assert {p.id: p for p in list_people(library)}[later_id].likely_name is None
    actions.undo()
    assert {p.id: p for p in list_people(library)}[later_id].likely_name == "Ann"


def test_face_vectors_of_an_earlier_descriptor_are_left_out_until_described_again(tmp_path: Path) -> None:
    """A new face descriptor (another vector size) makes every photo be analysed again; an
    import stopped half way leaves vectors of both sizes, and grouping reads only the new."""
    rng = np.random.default_rng(4)
    centres = synthetic_people(rng, 2)
    library = Library.open(tmp_path / "lib.albumtag")
    add_faces(library, np.concatenate([_faces_of(rng, centres, 0, 6), _faces_of(rng, centres, 1, 6)]), 1)
    with library.session() as session:  # faces 7-12 still hold the earlier, 128-d descriptor
        for feature in session.scalars(select(Feature).where(Feature.instance_id > 6)):
            feature.vector = feature.vector[:128 * 4]
    summary = update_groups(library)
    people = _people_of(library)
    assert summary.faces == 6 and summary.groups == 1
    assert len({people[i] for i in range(1, 7)}) == 1 and people[1] is not None
    assert all(people[i] is None for i in range(7, 13))
