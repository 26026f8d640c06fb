"""A named person's suggestions are scored against the nearer of their template (the mean of
their confirmed faces) and their nearest confirmed face, on real descriptors: faces-johns' five
similar-looking Johns."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import update

from albumtag.app.browse import person_faces, suggestion_score
from albumtag.app.open_set import acceptance_distance
from albumtag.app.people_actions import PeopleActions
from albumtag.library.database import Library
from albumtag.library.schema import AssignedBy, PersonInstance
from albumtag.recognize.adaptation import person_templates
from bench.cluster_scale import add_faces

CONFIRMED = 3


def test_suggestions_rank_the_person_above_a_look_alike(tmp_path: Path, johns_faces) -> None:
    """John 0 named from 3 faces; the grouping (here: by hand) also gave him his other 8 faces
    and all 11 of John 1. His own faces come first, and each score is the distance to the
    nearer of the confirmed three's mean and the nearest of them, on the acceptance scale."""
    vectors, people = johns_faces
    library = Library.open(tmp_path / "johns.albumtag")
    try:
        add_faces(library, vectors, 1)
        ids = np.arange(1, len(vectors) + 1)
        mine, look_alike = ids[people == 0], ids[people == 1]
        person = PeopleActions(library).assign_new_name(mine[:CONFIRMED].tolist(), "John")
        with library.session() as session:
            session.execute(update(PersonInstance).where(PersonInstance.id.in_([*mine[CONFIRMED:].tolist(),
                                                                                *look_alike.tolist()]))
                            .values(person_id=person, assigned_by=AssignedBy.MODEL))
        shown = [tile for tile in person_faces(library, person, []) if not tile.confirmed]
        accept = acceptance_distance(library)
    finally:
        library.close()
    assert {t.instance_id for t in shown[:len(mine) - CONFIRMED]} == set(mine[CONFIRMED:].tolist())
    three = vectors[mine[:CONFIRMED] - 1]
    for tile in shown:
        face = vectors[tile.instance_id - 1]
        template = person_templates(three, np.zeros(CONFIRMED, np.int64))[0]
        distance = min(np.linalg.norm(template - face), np.linalg.norm(three - face, axis=1).min())
        expected = suggestion_score(float(distance), accept)
        assert tile.score == pytest.approx(expected, abs=1e-6)
