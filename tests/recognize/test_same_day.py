"""Same-day body evidence: which pairs count, and when a faceless instance joins a group."""

from __future__ import annotations

import numpy as np

from albumtag.recognize.same_day import NO_DAY, cannot_link_pairs, face_links, join_faceless, same_day_pairs

RADIUS, MARGIN = 0.9, 0.05


def _body(x: float, dim: int = 8) -> np.ndarray:
    vector = np.zeros(dim, np.float32)
    vector[0] = x
    return vector


def test_only_bodies_of_one_day_and_different_photos_pair() -> None:
    bodies = np.stack([_body(0.0), _body(0.1), _body(0.2), _body(0.0), _body(5.0), _body(0.05)])
    days = np.array([1, 1, 1, 2, 1, NO_DAY])
    photos = np.array([10, 11, 10, 12, 13, 14])  # rows 0 and 2: one photo, so two people
    bodies[1, 1] = np.nan  # without row 1's body, nothing pairs
    rows, _, _ = same_day_pairs(days, photos, bodies, RADIUS)
    assert len(rows) == 0, "0-2 share a photo, 3 is another day, 4 is too far, 5 is undated"
    bodies[1, 1] = 0.0
    rows, cols, distances = same_day_pairs(days, photos, bodies, RADIUS)
    assert sorted(zip(rows.tolist(), cols.tolist())) == [(0, 1), (1, 2)]
    assert np.allclose(sorted(distances.tolist()), [0.1, 0.1])


def test_face_links_keep_pairs_the_face_graph_lacks_and_the_faces_allow() -> None:
    faces = np.zeros((4, 2), np.float32)
    faces[1, 0], faces[2, 0] = 0.55, 0.9  # 0-1: 0.55 apart, 0-2: too far, 0-3: already linked
    faces[3, 0] = 0.3
    rows, cols = face_links(faces, np.array([0, 0, 0]), np.array([1, 2, 3]), low=0.5, high=0.6)
    assert (rows.tolist(), cols.tolist()) == ([0], [1])
    faces[1] = np.nan  # a faceless side is never a face link
    assert len(face_links(faces, np.array([0]), np.array([1]), 0.5, 0.6)[0]) == 0


def _scene(bodies: list[float], labels: list[int], photos: list[int], days: list[int], grouped: list[bool]
           ) -> tuple[np.ndarray, ...]:
    return (np.array(labels), np.array(photos), np.array(days), np.stack([_body(b) for b in bodies]),
            np.array(grouped))


def test_a_faceless_instance_joins_the_group_whose_body_it_matches() -> None:
    # rows 0-1: group 7 (bodies near 0), row 2: group 8 (body at 3), row 3: faceless, body 0.2
    labels, photos, days, bodies, grouped = _scene([0.0, 0.1, 3.0, 0.2], [7, 7, 8, -4], [1, 2, 2, 3],
                                                   [5, 5, 5, 5], [True, True, True, False])
    result = join_faceless(labels, photos, days, bodies, np.ones(4, bool), grouped, RADIUS, MARGIN)
    assert result.tolist() == [7, 7, 8, 7]
    assert join_faceless(labels, photos, np.array([5, 5, 5, 6]), bodies, np.ones(4, bool), grouped,
                         RADIUS, MARGIN)[3] == -4, "another day: clothes say nothing"
    assert join_faceless(labels, photos, days, bodies, np.array([True, True, True, False]), grouped,
                         RADIUS, MARGIN)[3] == -4, "an instance that may not move stays"


def test_a_body_between_two_groups_or_in_a_taken_photo_stays_alone() -> None:
    # faceless row 3 (body 0.5) is 0.5 from group 7 and 0.52 from group 8: no clear winner
    labels, photos, days, bodies, grouped = _scene([0.0, 1.02, 3.0, 0.5], [7, 8, 9, -4], [1, 2, 2, 3],
                                                   [5, 5, 5, 5], [True, True, True, False])
    assert join_faceless(labels, photos, days, bodies, np.ones(4, bool), grouped, RADIUS, MARGIN)[3] == -4
    # group 7 is already in the faceless instance's photo: it is someone else
    labels, photos, days, bodies, grouped = _scene([0.0, 0.1, 0.2], [7, 7, -3], [1, 2, 2], [5, 5, 5],
                                                   [True, True, False])
    assert join_faceless(labels, photos, days, bodies, np.ones(3, bool), grouped, RADIUS, MARGIN)[2] == -3


def test_two_faceless_in_one_photo_never_both_join_one_group() -> None:
    labels, photos, days, bodies, grouped = _scene([0.0, 0.3, 0.1], [7, -2, -3], [1, 2, 2], [5, 5, 5],
                                                   [True, False, False])
    result = join_faceless(labels, photos, days, bodies, np.ones(3, bool), grouped, RADIUS, MARGIN)
    assert result.tolist() == [7, -2, 7], "the closer body joins, the other stays alone"


def test_cannot_link_pairs_are_one_photo_or_one_day_in_other_clothes_inside_a_group() -> None:
    bodies = np.stack([_body(0.0), _body(2.0), _body(0.1), _body(2.0), _body(0.0)])
    labels = np.array([1, 1, 1, 1, 2])
    photos = np.array([10, 11, 10, 12, 11])  # 0 and 2 in one photo; 4 is in 1's photo, another group
    days = np.array([5, 5, 5, 6, 5])
    rows, cols = cannot_link_pairs(labels, days, photos, bodies, limit=1.5)
    assert sorted(zip(rows.tolist(), cols.tolist())) == [(0, 1), (0, 2), (1, 2)]
    rows, cols = cannot_link_pairs(labels, days, photos, bodies, limit=None)
    assert sorted(zip(rows.tolist(), cols.tolist())) == [(0, 2)], "undated or without bodies: one photo only"
