"""The average-linkage repairs of chinese whispers' groups, on cases whose answer is known."""

from __future__ import annotations

import numpy as np

from albumtag.recognize.group_repair import (
    average_linkage_pieces,
    evict_far_faces,
    join_pieces,
    join_strays,
    merge_close_groups,
    split_conflicting_groups,
    split_loose_groups,
    tighten_small_groups,
)

LONE, PIECES = (1, 1), (2, 4)  # join_pieces' sizes: single faces, pieces under min_size 5


def _blob(rng: np.random.Generator, centre: np.ndarray, n: int, spread: float = 0.02) -> np.ndarray:
    return (centre + rng.normal(0.0, spread, (n, len(centre)))).astype(np.float32)


def _centres(distance: float, dim: int = 16) -> tuple[np.ndarray, np.ndarray]:
    a = np.zeros(dim)
    b = a.copy()
    b[0] = distance
    return a, b


def test_a_chained_group_splits_into_its_two_people() -> None:
    rng = np.random.default_rng(0)
    a, b = _centres(1.0)
    vectors = np.vstack([_blob(rng, a, 10), _blob(rng, b, 8)])
    labels = np.full(18, 5)  # chinese whispers chained both into one group
    result = split_loose_groups(vectors, labels, np.ones(18, bool), radius=0.6)
    assert set(result[:10].tolist()) == {5}, "the larger piece keeps the group"
    assert len(set(result[10:].tolist())) == 1 and result[10] not in (5, *range(-18, 0)), \
        "the other piece gets a fresh label that no lone face can be given"


def test_a_tight_group_stays_whole_and_confirmed_faces_keep_theirs() -> None:
    rng = np.random.default_rng(1)
    a, b = _centres(1.0)
    vectors = np.vstack([_blob(rng, a, 12), _blob(rng, b, 4)])
    labels = np.array([3] * 12 + [7] * 4)
    assert np.array_equal(split_loose_groups(vectors, labels, np.ones(16, bool), 0.6), labels)
    chained = np.full(16, 3)
    movable = np.ones(16, bool)
    movable[12:] = False  # the small piece is the confirmed one: it keeps the label
    result = split_loose_groups(vectors, chained, movable, 0.6)
    assert set(result[12:].tolist()) == {3} and len(set(result[:12].tolist())) == 1 and result[0] != 3


def test_a_group_larger_than_the_sample_is_split_like_a_small_one() -> None:
    rng = np.random.default_rng(2)
    a, b = _centres(1.0)
    vectors = np.vstack([_blob(rng, a, 60), _blob(rng, b, 40)])
    full = average_linkage_pieces(vectors, 0.6)
    sampled = average_linkage_pieces(vectors, 0.6, sample=25)
    assert len(set(full.tolist())) == 2
    assert all(len(set(sampled[full == p].tolist())) == 1 for p in set(full.tolist()))
    assert len(set(sampled.tolist())) == 2


def test_a_stray_joins_the_group_it_is_clearly_closest_to_on_average() -> None:
    rng = np.random.default_rng(3)
    a, b = _centres(2.0)
    stray = a.copy()
    stray[1] = 0.45  # every member 0.45 away: out of chinese whispers' radius in this test's terms
    vectors = np.vstack([_blob(rng, a, 10), _blob(rng, b, 10), stray[None].astype(np.float32)])
    labels = np.array([0] * 10 + [-11] * 10 + [-21])
    result = join_strays(vectors, labels, np.ones(21, bool), radius=0.6, margin=0.05, max_size=2)
    assert result[20] == 0 and np.array_equal(result[:20], labels[:20])
    assert join_strays(vectors, labels, np.ones(21, bool), radius=0.4, margin=0.05, max_size=2)[20] == -21
    movable = np.ones(21, bool)
    movable[20] = False
    assert join_strays(vectors, labels, movable, 0.6, 0.05, 2)[20] == -21, "an unmovable stray stays"


def test_a_stray_between_two_groups_stays_alone() -> None:
    rng = np.random.default_rng(4)
    a, b = _centres(0.8)
    middle = (a + b) / 2
    vectors = np.vstack([_blob(rng, a, 10), _blob(rng, b, 10), middle[None].astype(np.float32)])
    labels = np.array([0] * 10 + [1] * 10 + [-21])
    assert join_strays(vectors, labels, np.ones(21, bool), radius=0.6, margin=0.05, max_size=2)[20] == -21


def _lookalikes(rng: np.random.Generator) -> np.ndarray:
    """Two people 0.45 apart: close enough that average linkage at 0.6 keeps them as one."""
    a, b = _centres(0.45)
    return np.vstack([_blob(rng, a, 10), _blob(rng, b, 6)])


def test_a_group_whose_cannot_link_pairs_its_faces_part_splits_in_two() -> None:
    vectors = _lookalikes(np.random.default_rng(5))
    labels = np.full(16, 4)
    assert np.array_equal(split_loose_groups(vectors, labels, np.ones(16, bool), 0.6), labels), "faces alone: one"
    pairs = (np.array([0, 1, 2]), np.array([10, 11, 12]))  # seen together, or in other clothes on one day
    result = split_conflicting_groups(vectors, labels, np.ones(16, bool), pairs, min_conflicts=2)
    assert set(result[:10].tolist()) == {4} and len(set(result[10:].tolist())) == 1 and result[10] < -16
    assert np.array_equal(split_conflicting_groups(vectors, labels, np.ones(16, bool), (pairs[0][:1], pairs[1][:1]),
                                                   min_conflicts=2), labels), "one pair is not enough"


def test_cannot_link_pairs_the_faces_do_not_part_split_nothing() -> None:
    rng = np.random.default_rng(6)
    a, _ = _centres(0.45)
    vectors = _blob(rng, a, 16)  # one person: any two-way cut is arbitrary
    labels = np.full(16, 4)
    pieces = average_linkage_pieces(vectors, count=2)
    together = [k for k in range(16) if pieces[k] == pieces[0]][:3]  # pairs inside one piece
    pairs = (np.array(together[:2]), np.array(together[1:3]))
    assert np.array_equal(split_conflicting_groups(vectors, labels, np.ones(16, bool), pairs, 2), labels)


def _two_pieces(rng: np.random.Generator, gap: float, spread: float = 0.1) -> np.ndarray:
    """Two groups of 20 in 32 dimensions, means ``gap`` apart, each face ~``spread`` * sqrt(32)
    from its mean (like one person's faces, about 0.5 on dlib's descriptor)."""
    a, b = _centres(gap, 32)
    return np.vstack([_blob(rng, a, 20, spread), _blob(rng, b, 20, spread)])


def test_two_pieces_of_one_person_merge_into_the_larger_and_two_people_do_not() -> None:
    rng = np.random.default_rng(5)
    labels = np.array([-1] * 20 + [-30] * 20)
    pieces = _two_pieces(rng, gap=0.3)  # means 0.3 apart, faces 0.57 from their means: one person
    merged = merge_close_groups(pieces, labels, np.ones(40, bool), np.zeros(40, bool), 0.9, 1.0, 5)
    assert len(set(merged.tolist())) == 1
    people = _two_pieces(rng, gap=0.8)  # means farther apart than faces from their own means
    assert np.array_equal(merge_close_groups(people, labels, np.ones(40, bool), np.zeros(40, bool), 0.9, 1.0, 5),
                          labels)


def test_a_group_with_a_confirmed_face_is_never_merged() -> None:
    rng = np.random.default_rng(6)
    vectors = _two_pieces(rng, gap=0.3)
    labels = np.array([4] * 20 + [-30] * 20)
    fixed = np.zeros(40, bool)
    fixed[0] = True  # someone confirmed one face of group 4: the other piece is asked about
    assert np.array_equal(merge_close_groups(vectors, labels, ~fixed, fixed, 0.9, 1.0, 5), labels)
    new = np.zeros(40, bool)
    new[20:] = True  # an incremental run, nothing confirmed: only the new piece may move, it joins group 4
    assert set(merge_close_groups(vectors, labels, new, np.zeros(40, bool), 0.9, 1.0, 5).tolist()) == {4}


def test_a_face_far_from_a_tight_group_leaves_it_unless_confirmed_and_a_close_lone_face_joins() -> None:
    """The tests scale with the group's own spread: 0.3 from a group whose faces lie about 0.11
    apart is far, though well inside chinese whispers' 0.5."""
    rng = np.random.default_rng(5)
    a, _ = _centres(1.0)
    off = a.copy()
    off[1] = 0.3
    vectors = np.vstack([_blob(rng, a, 30), off, off + 0.01, _blob(rng, a, 1), off - 0.01]).astype(np.float32)
    labels = np.array([4] * 32 + [-33, -34])
    movable = np.ones(34, dtype=bool)
    movable[31] = False  # confirmed: never moves
    evicted = evict_far_faces(vectors, labels, movable, ratio=1.45, mixed_ratio=1.3, min_size=5)
    assert np.all(evicted[:30] == 4) and evicted[31] == 4, "the members and the confirmed face stay"
    assert evicted[30] < 0 and evicted[30] not in evicted[np.arange(34) != 30], "the far face is alone"
    joined = join_pieces(vectors, evicted, movable, ratio=1.25, min_size=5, sizes=LONE)
    assert joined[32] == 4, "a lone face within the group's spread joins it"
    assert joined[33] == evicted[33] and joined[30] == evicted[30], "faces far from it stay alone"


def _small_group_with_an_edge_face(rng: np.random.Generator, neighbour_at: float) -> tuple[np.ndarray, np.ndarray]:
    """Five tight faces and one on their edge, its median distance to them about 1.4 times
    theirs to each other (over evict_mixed_ratio, under evict_ratio), as one group of 6; and
    another person's 10 faces ``neighbour_at`` from the edge face, in a group of their own."""
    a, _ = _centres(1.0)
    edge = a.copy()
    edge[1] = 0.16
    other = edge.copy()
    other[2] = neighbour_at
    vectors = np.vstack([_blob(rng, a, 5), edge, _blob(rng, other, 10)]).astype(np.float32)
    return vectors, np.array([4] * 6 + [7] * 10)


def test_an_edge_face_of_a_small_group_stays_when_its_nearest_faces_are_its_members() -> None:
    """A group of 6 has 5 other members, so of any face's 10 nearest at least 5 lie outside:
    the mixed-neighbours test counts only as many nearest faces as the group could fill (a
    person's 1990s portrait beside five recent ones is still theirs)."""
    vectors, labels = _small_group_with_an_edge_face(np.random.default_rng(8), neighbour_at=1.0)
    movable = np.ones(len(labels), dtype=bool)
    assert np.array_equal(evict_far_faces(vectors, labels, movable, ratio=1.45, mixed_ratio=1.3, min_size=5),
                          labels)
    vectors, labels = _small_group_with_an_edge_face(np.random.default_rng(8), neighbour_at=0.12)
    evicted = evict_far_faces(vectors, labels, movable, ratio=1.45, mixed_ratio=1.3, min_size=5)
    assert evicted[5] < 0, "with another person nearer than its members, the edge face leaves"
    assert np.array_equal(evicted[np.arange(16) != 5], labels[np.arange(16) != 5]), "the rest stay"


def _loose_person_with_pieces(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A loosely photographed person: 60 faces about 0.57 apart (spread 0.1 in 16 dimensions)
    in group 4, and 3 more of theirs cut off as a piece (chinese whispers' single distances);
    a piece of 3 tight faces 0.9 from the person's centre (about 1.6 times the person's typical
    distance: someone else); a piece of 2 other people's faces, far away."""
    a, far = _centres(3.0)
    outside = a.copy()
    outside[1] = 0.9
    vectors = np.vstack([_blob(rng, a, 60, spread=0.1), _blob(rng, a, 3, spread=0.1),
                         _blob(rng, outside, 3), _blob(rng, far, 2)]).astype(np.float32)
    return vectors, np.array([4] * 60 + [-61] * 3 + [-64] * 3 + [-67] * 2)


def test_a_piece_within_a_loose_groups_spread_joins_it_and_one_outside_stays_apart() -> None:
    """Too small to merge by means and spreads, too many for a lone face's test: the piece
    joins by the same test as a lone face (median distance to the members within 1.25 times
    their own), which scales with the group's spread: the piece lies farther than the person's
    own faces from each other would be asked to be by a fixed radius (0.5), yet joins."""
    vectors, labels = _loose_person_with_pieces(np.random.default_rng(11))
    movable = np.ones(len(labels), dtype=bool)
    joined = join_pieces(vectors, labels, movable, ratio=1.25, min_size=5, sizes=PIECES)
    assert np.all(joined[:63] == 4), "the person's piece joins their group, whole"
    assert np.array_equal(joined[63:], labels[63:]), "the piece outside the spread and the far one stay apart"
    assert np.array_equal(join_pieces(vectors, labels, movable, ratio=1.25, min_size=5, sizes=LONE), labels), \
        "the lone-face test alone leaves every piece apart"
    movable[61] = False  # a confirmed face: its piece never moves
    assert np.array_equal(join_pieces(vectors, labels, movable, ratio=1.25, min_size=5, sizes=PIECES), labels)


def test_a_piece_within_two_groups_spreads_or_among_another_persons_faces_stays_apart() -> None:
    """Between two people the piece is no one's (the user is asked); and a piece whose nearest
    faces, its own aside, are someone else's does not join a group whose spread it lies in."""
    rng = np.random.default_rng(12)
    a, b = _centres(0.3)
    middle = (a + b) / 2
    vectors = np.vstack([_blob(rng, a, 40, spread=0.1), _blob(rng, b, 40, spread=0.1),
                         _blob(rng, middle, 3)]).astype(np.float32)
    labels = np.array([4] * 40 + [7] * 40 + [-81] * 3)
    movable = np.ones(len(labels), dtype=bool)
    assert np.array_equal(join_pieces(vectors, labels, movable, ratio=1.25, min_size=5, sizes=PIECES), labels)
    a, far = _centres(3.0)
    vectors = np.vstack([_blob(rng, a, 40, spread=0.1), _blob(rng, a, 3), _blob(rng, a, 12, spread=0.005),
                         _blob(rng, far, 40, spread=0.1)]).astype(np.float32)
    labels = np.array([4] * 40 + [-41] * 3 + [9] * 12 + [7] * 40)  # group 9: 12 faces of someone else, tight
    assert np.array_equal(join_pieces(vectors, labels, np.ones(len(labels), bool), ratio=1.25, min_size=5,
                                      sizes=PIECES), labels)



def test_a_stranger_beside_a_small_group_leaves_it_and_a_close_small_group_stays() -> None:
    """A group of a few faces has no spread of its own, so a face whose mean distance to the
    others is over the radius leaves (the farthest first, then the test again) when a face
    outside the group is nearer to it than that; members within the radius, a far face with
    nothing else near it, confirmed faces and groups over ``max_size`` stay."""
    rng = np.random.default_rng(11)
    a, b = _centres(3.0)
    stranger, near = a.copy(), b.copy()
    stranger[1] = 0.6
    near[1] = 0.35
    other = stranger.copy()
    other[2] = 0.4  # someone else, alone, 0.4 from the stranger: nearer than the group's 0.6
    friend = _blob(rng, a, 3)  # a person seen three times, faces about 0.08 apart
    vectors = np.vstack([friend, stranger, _blob(rng, b, 2), near, _blob(rng, a + 1.0, 12), other])
    labels = np.array([4] * 4 + [5] * 3 + [6] * 12 + [-20])
    vectors[-2, 1] += 0.6  # far from its 11 fellows, but a group of 12 is measured by its own spread
    movable = np.ones(len(labels), dtype=bool)
    tightened = tighten_small_groups(vectors, labels, movable, radius=0.53, max_size=10)
    assert np.all(tightened[:3] == 4) and tightened[3] < 0, "the stranger leaves, alone; the three stay"
    assert tightened[3] not in np.delete(tightened, 3)
    assert np.array_equal(tightened[4:], labels[4:]), "0.35 from two faces is within the radius; 12 is not small"
    assert np.array_equal(tighten_small_groups(vectors[:-1], labels[:-1], movable[:-1], radius=0.53, max_size=10),
                          labels[:-1]), "with no other face nearer, the group is still the stranger's best home"
    movable[3] = False
    assert np.array_equal(tighten_small_groups(vectors, labels, movable, radius=0.53, max_size=10), labels), \
        "a confirmed face never moves"
