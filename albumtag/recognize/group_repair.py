"""Repairing chinese whispers' two failure modes with average linkage.

Chinese whispers links faces by single close pairs, so it errs both ways:
- chains: two people whose looks overlap at a few faces (on dlib's descriptor, often people
  of one ethnicity) end up in one group through those faces;
- strays: a face whose every single distance is just over the radius stays alone, although
  it is close to a group *on average*.
Average distances are steadier than single ones (the noise of one photo averages out), so
both repairs use them: a group is split where its members are on average farther apart than
``radius``, and a stray joins the group its faces are closest to on average, when that group
is clearly the closest. Measured on development data only (``bench/grouping_dev.py``).

The more photos a person has, the more likely a stranger seen once lies under the radius
from one of them, and chinese whispers lets it in through that single close face. A face
belongs to a group when it is about as close to the group as the members are to each other:
one whose median distance to the members is well over theirs leaves it, a test that scales
with each group's own spread (a tight group turns away at a shorter distance than a loose one)
and that the median keeps steady while strangers are still inside (``evict_far_faces``). The
same yardstick lets lone faces and pieces of a few faces that lie within a group's spread join
it (``join_pieces``).

A third failure is a look-alike relative (a child, a sibling) whose faces chain into someone's
group although every one of them is under the radius from some face there. Faces alone cannot
tell, but photos can: two people in one photo, or at one event in other clothes, are two
people (``albumtag.recognize.same_day.cannot_link_pairs``). A group holding several such pairs
is split in two where its faces part those pairs (``bench/grouping_same_day.py --lookalikes``).
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import cdist, pdist

from albumtag.recognize.clustering import first_fresh_label, group_stats, members_by_label
from albumtag.recognize.neighbours import knn

SPLIT_SAMPLE = 2000  # average linkage is O(n^2) in memory; bigger groups are split on a sample
CONFLICTS_SEPARATED = 0.8  # a split by cannot-link pairs must part this share of them ...
SPLIT_ROUNDS = 3  # ... and is tried again on the pieces this many times at most
JOIN_CANDIDATES = 10  # groups whose means are nearest a stray's, among which it chooses
# A doubtful face (evict_far_faces) leaves when this share of its nearest faces is outside its
# group (album sets of LFW's training half and pins-dev-a, bench/album_grouping.py --half dev:
# at 0.2 of 10 a member of lfw-family-40-strangers-0 left too, F1 0.9832 -> 0.9824).
EVICT_NEIGHBOURS = 10
MIXED_SHARE = 0.3
ADOPT_CANDIDATES = 3  # groups whose means are nearest a piece's (or lone face's), among which join_pieces chooses


def average_linkage_pieces(vectors: np.ndarray, radius: float | None = None, sample: int = SPLIT_SAMPLE,
                           count: int | None = None) -> np.ndarray:
    """A piece number per vector: average-linkage clustering cut at ``radius`` (or, with
    ``count``, into at most that many pieces). Past ``sample`` vectors an evenly spaced sample
    is clustered and the rest follow their nearest sampled vector."""
    if len(vectors) < 2:
        return np.ones(len(vectors), dtype=np.int64)
    if len(vectors) > sample:
        chosen = np.linspace(0, len(vectors) - 1, sample).astype(np.int64)
        _, nearest = knn(vectors[chosen], vectors, 1)
        return average_linkage_pieces(vectors[chosen], radius, sample, count)[nearest[:, 0]]
    tree = linkage(pdist(vectors.astype(np.float64)), "average")
    return fcluster(tree, count, "maxclust") if count else fcluster(tree, radius, "distance")


def split_loose_groups(vectors: np.ndarray, labels: np.ndarray, movable: np.ndarray, radius: float) -> np.ndarray:
    """Split each group holding movable faces into its average-linkage pieces at ``radius``.

    The piece with the most unmovable faces (then the largest) keeps the group's label; the
    movable faces of every other piece get a new label of their own, unmovable ones never move.
    New labels lie below both every label in use and -len(labels), so they cannot collide
    with the -(node + 1) a lone node is given."""
    result = labels.copy()
    fresh = first_fresh_label(labels)
    for group in members_by_label(labels).values():
        if len(group) < 3 or not movable[group].any():
            continue
        fresh = _apply_pieces(result, group, average_linkage_pieces(vectors[group], radius), movable, fresh)
    return result


def split_conflicting_groups(vectors: np.ndarray, labels: np.ndarray, movable: np.ndarray,
                             pairs: tuple[np.ndarray, np.ndarray], min_conflicts: int,
                             share: float = CONFLICTS_SEPARATED) -> np.ndarray:
    """Split each group holding at least ``min_conflicts`` cannot-link ``pairs`` (rows, cols)
    in two by average linkage, when the two pieces part at least ``share`` of those pairs:
    then the faces themselves fall into the two people the pairs say are there, and one
    noisy pair cannot split a person. Repeated while a split is made (pieces of three
    people split again)."""
    result = labels.copy()
    fresh = first_fresh_label(labels)
    for _ in range(SPLIT_ROUNDS):
        inside: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for a, b in zip(pairs[0].tolist(), pairs[1].tolist()):
            if result[a] == result[b]:
                inside[int(result[a])].append((a, b))
        split = False
        for label, group in members_by_label(result).items():
            if len(inside[label]) < min_conflicts or not movable[group].any():
                continue
            pieces = average_linkage_pieces(vectors[group], count=2)
            piece_of = dict(zip(group.tolist(), pieces.tolist()))
            if np.mean([piece_of[a] != piece_of[b] for a, b in inside[label]]) >= share:
                fresh = _apply_pieces(result, group, pieces, movable, fresh)
                split = True
        if not split:
            break
    return result


def _apply_pieces(result: np.ndarray, group: np.ndarray, pieces: np.ndarray, movable: np.ndarray,
                  fresh: int) -> int:
    """The piece with the most unmovable faces (then the largest) keeps the group's label; the
    movable faces of each other piece get a fresh label. Returns the next fresh label."""
    piece_ids = np.unique(pieces).tolist()
    kept = max(piece_ids, key=lambda p: (int(np.sum(~movable[group] & (pieces == p))), int(np.sum(pieces == p))))
    for piece in piece_ids:
        leaving = group[(pieces == piece) & movable[group]]
        if piece != kept and len(leaving):
            result[leaving] = fresh
            fresh -= 1
    return fresh


def _rms_linkage(mean_distance: float, spread_a: float, spread_b: float) -> float:
    """Root mean square distance over all pairs of two groups, from their means and spreads
    (mean squared distance to their own mean): |m_a - m_b|^2 + s_a + s_b."""
    return float(np.sqrt(mean_distance ** 2 + spread_a + spread_b))


def join_strays(vectors: np.ndarray, labels: np.ndarray, movable: np.ndarray, radius: float,
                margin: float, max_size: int) -> np.ndarray:
    """Each unnamed group (negative label) of at most ``max_size`` movable faces joins the
    larger group with the smallest root-mean-square distance to it, when that is under
    ``radius`` and at least ``margin`` below the next larger group's: a stray between two
    people stays alone (the user is asked, not guessed for)."""
    groups = members_by_label(labels)
    stats = group_stats(vectors, groups)
    names = list(groups)
    means = np.stack([stats[name].mean for name in names])
    spreads = np.array([stats[name].spread for name in names], dtype=vectors.dtype)
    sizes = np.array([stats[name].size for name in names])
    strays = [k for k, name in enumerate(names)
              if name < 0 and sizes[k] <= max_size and movable[groups[name]].all()]
    result = labels.copy()
    if not strays or len(names) < 2:
        return result
    distances, nearest = knn(means, means[strays], JOIN_CANDIDATES + 1)
    for row, stray in enumerate(strays):
        links = sorted((_rms_linkage(d, spreads[stray], spreads[g]), g)
                       for d, g in zip(distances[row].tolist(), nearest[row].tolist())
                       if g >= 0 and sizes[g] > sizes[stray])
        chosen = clearly_closest(links, radius, margin)
        if chosen is not None:
            result[groups[names[stray]]] = names[chosen[1]]
    return result


def merge_close_groups(vectors: np.ndarray, labels: np.ndarray, movable: np.ndarray, fixed: np.ndarray,
                       radius: float, ratio: float, min_size: int) -> np.ndarray:
    """Merge pairs of groups of ``min_size``+ faces whose means are closer than ``ratio`` times
    their pooled spread (root mean squared distance to their own means) and whose RMS linkage
    is under ``radius``: the pieces chinese whispers cuts one much-photographed person into lie
    far closer together than two people do, relative to how much each person's faces vary,
    and the estimate steadies as a group grows. A group holding a face someone confirmed is
    never merged (an unnamed group is asked about, ``likely_names``); of the two, a group of
    movable faces only joins the other (the smaller one when both are), so a group keeps its
    label. Closest pairs first; repeated on the merged groups."""
    result = labels.copy()
    for _ in range(SPLIT_ROUNDS):
        groups = {name: nodes for name, nodes in members_by_label(result).items()
                  if len(nodes) >= min_size and not fixed[nodes].any()}
        moves = _close_pairs(vectors, groups, movable, radius, ratio)
        if not moves:
            break
        for gone, kept in moves.items():
            result[groups[gone]] = kept
    return result


def _close_pairs(vectors: np.ndarray, groups: dict[int, np.ndarray], movable: np.ndarray, radius: float,
                 ratio: float) -> dict[int, int]:
    """``merge_close_groups``' merges of one round, label -> label; each group in one at most."""
    if len(groups) < 2:
        return {}
    stats = group_stats(vectors, groups)
    names = list(groups)
    means = np.stack([stats[name].mean for name in names])
    distances, nearest = knn(means, means, min(JOIN_CANDIDATES, len(names)))
    candidates = sorted((d, names[a], names[b]) for a in range(len(names))
                        for d, b in zip(distances[a].tolist(), nearest[a].tolist()) if b > a)
    moves: dict[int, int] = {}
    taken: set[int] = set()
    for distance, a, b in candidates:
        if a in taken or b in taken:
            continue
        one, other = stats[a], stats[b]
        pooled = np.sqrt((one.spread * one.size + other.spread * other.size) / (one.size + other.size))
        if distance >= ratio * pooled or _rms_linkage(distance, one.spread, other.spread) >= radius:
            continue
        leaving = [name for name in sorted((a, b), key=lambda n: stats[n].size) if movable[groups[name]].all()]
        if leaving:
            moves[leaving[0]] = b if leaving[0] == a else a
            taken.update((a, b))
    return moves


def evict_far_faces(vectors: np.ndarray, labels: np.ndarray, movable: np.ndarray, ratio: float,
                    mixed_ratio: float, min_size: int, sample: int = SPLIT_SAMPLE) -> np.ndarray:
    """Each movable face of a group of ``min_size``+ faces whose median distance to the other
    members is over ``ratio`` times the group's typical one (the median of those medians)
    leaves the group, alone; so does one over ``mixed_ratio`` times it whose own nearest faces
    (``EVICT_NEIGHBOURS`` of them, over every group) are ``MIXED_SHARE`` or more outside the
    group: a member far out on its person's edge still has its person around it, a stranger
    let in through one close face has other people around it.

    Medians, not means: strangers chained in together (dlib's descriptor puts faces of one
    ethnicity close, so a tight group can gather many) do not move the yardstick they are
    measured by while fewer than half. The far ones leave first and the test is repeated on
    the faces left, as the group tightens once its farthest strangers are gone. Past
    ``sample`` faces the medians are taken over an evenly spaced sample of members."""
    result = labels.copy()
    leaving, doubtful = [np.zeros(0, dtype=np.int64)], [np.zeros(0, dtype=np.int64)]
    for group in members_by_label(labels).values():
        if len(group) < min_size or not movable[group].any():
            continue
        ratios, kept = _distance_ratios(vectors[group], movable[group], ratio, sample)
        leaving.append(group[~kept])
        doubtful.append(group[kept & movable[group] & (ratios > mixed_ratio)])
    fresh = _leave_alone(result, np.concatenate(leaving), first_fresh_label(labels))
    doubtful_rows = np.concatenate(doubtful)
    # each doubtful face is a piece of its own, weighed against the group it is in
    shares = _outside_shares(vectors, result, list(doubtful_rows[:, None]), result[doubtful_rows])
    _leave_alone(result, doubtful_rows[shares >= MIXED_SHARE], fresh)
    return result


def tighten_small_groups(vectors: np.ndarray, labels: np.ndarray, movable: np.ndarray, radius: float,
                         max_size: int) -> np.ndarray:
    """In each group of 2 to ``max_size`` faces, a movable face leaves, alone, when its mean
    distance to the other members is over ``radius`` and some face outside the group is nearer
    to it than that: the farthest such face first, then the test again on the faces left.

    A group this small has no spread of its own to measure a face by (``evict_far_faces``
    needs ``evict_size``+ members), and the split radius that suits a person with hundreds of
    faces lets a stranger seen once sit beside someone seen a handful of times. The second test
    keeps a person's own loose faces where nothing else is near (a small library, a face
    unlike any other): the group is then still its best home."""
    result = labels.copy()
    small = [group for group in members_by_label(labels).values()
             if 2 <= len(group) <= max_size and movable[group].any()]
    if not small:
        return result
    rows = np.concatenate(small)
    # max_size + 1 nearest always reach past the face's own group
    near_distances, near_ids = knn(vectors, vectors[rows], max_size + 1)
    starts = np.cumsum([0] + [len(group) for group in small])
    leaving = [group[~_kept_in_small_group(vectors[group], movable[group], radius, group,
                                           near_distances[start:end], near_ids[start:end])]
               for group, start, end in zip(small, starts[:-1], starts[1:])]
    _leave_alone(result, np.concatenate(leaving), first_fresh_label(labels))
    return result


def _kept_in_small_group(vectors: np.ndarray, movable: np.ndarray, radius: float, group: np.ndarray,
                         near_distances: np.ndarray, near_ids: np.ndarray) -> np.ndarray:
    """``tighten_small_groups`` for one group: which of its faces stay."""
    distances = cdist(vectors.astype(np.float64), vectors.astype(np.float64))
    kept = np.ones(len(group), dtype=bool)
    while kept.sum() >= 2:
        means = distances[:, kept].sum(axis=1) / (kept.sum() - 1)
        outside = ~np.isin(near_ids, group[kept]) & (near_ids >= 0)
        nearest_outside = np.where(outside, near_distances, np.inf).min(axis=1)
        leaves = kept & movable & (means > radius) & (nearest_outside < means)
        if not leaves.any():
            break
        kept[int(np.argmax(np.where(leaves, means, -np.inf)))] = False
    return kept


def _distance_ratios(vectors: np.ndarray, movable: np.ndarray, ratio: float,
                     sample: int) -> tuple[np.ndarray, np.ndarray]:
    """``evict_far_faces`` for one group: each face's median distance to the members kept,
    over the typical one, and which are kept (those over ``ratio`` leave, repeatedly)."""
    distances, references = _reference_distances(vectors, sample)
    kept = np.ones(len(vectors), dtype=bool)
    for _ in range(SPLIT_ROUNDS):
        medians = np.nanmedian(distances[:, kept[references]], axis=1)
        ratios = medians / np.median(medians[kept])
        far = kept & movable & (ratios > ratio)
        if not far.any():
            break
        kept &= ~far
    return ratios, kept


def _reference_distances(vectors: np.ndarray, sample: int) -> tuple[np.ndarray, np.ndarray]:
    """The distances of a group's faces to its references (every face, or past ``sample`` an
    evenly spaced sample), NaN from a face to itself; and the references."""
    references = np.linspace(0, len(vectors) - 1, min(sample, len(vectors))).astype(np.int64)
    distances = cdist(vectors.astype(np.float64), vectors[references].astype(np.float64))
    distances[references, np.arange(len(references))] = np.nan  # a face is no reference for itself
    return distances, references


def join_pieces(vectors: np.ndarray, labels: np.ndarray, movable: np.ndarray, ratio: float, min_size: int,
                sizes: tuple[int, int], sample: int = SPLIT_SAMPLE) -> np.ndarray:
    """The counterpart of ``evict_far_faces``: each piece (a group of ``sizes`` = (smallest,
    largest) faces, all movable, largest under ``min_size``) joins, whole, a group of
    ``min_size``+ faces it lies within the spread of (the median distance from its faces to the
    members at most ``ratio`` times the group's typical one), when no other of the
    ``ADOPT_CANDIDATES`` groups whose means are nearest its mean is that close and, on average
    over its faces, fewer than ``MIXED_SHARE`` of their nearest faces, the piece's own aside,
    are outside the group. A piece of one face is a lone face, measured by its own distances.

    A much-photographed person's face whose single distances all missed chinese whispers'
    radius is still within their spread, which a fixed radius cannot see; and chinese whispers
    cuts a loosely spread person into one large group and pieces of a few faces, too small for
    ``merge_close_groups`` (their means and spreads are not steady), yet as close to the group
    as its own members are to each other. The yardstick is the group's own spread, so it
    scales with how much the person's faces vary."""
    members = members_by_label(labels)
    groups = {label: nodes for label, nodes in members.items() if len(nodes) >= min_size}
    pieces = [nodes for nodes in members.values() if sizes[0] <= len(nodes) <= sizes[1] and movable[nodes].all()]
    result = labels.copy()
    if not groups or not pieces:
        return result
    names = list(groups)
    means = np.stack([vectors[groups[name]].mean(axis=0) for name in names])
    _, nearest = knn(means, np.stack([vectors[piece].mean(axis=0) for piece in pieces]),
                     ADOPT_CANDIDATES)
    ratios = _piece_ratios(vectors, pieces, [groups[name] for name in names], nearest, sample)
    order = np.argsort(ratios, axis=1)
    ranked = np.take_along_axis(ratios, order, axis=1)
    second = ranked[:, 1] if ranked.shape[1] > 1 else np.full(len(pieces), np.inf)
    chosen = np.flatnonzero((ranked[:, 0] <= ratio) & (second > ratio)).tolist()
    targets = [names[int(nearest[k, order[k, 0]])] for k in chosen]
    shares = _outside_shares(vectors, labels, [pieces[k] for k in chosen], np.array(targets, dtype=labels.dtype))
    for k, target, share in zip(chosen, targets, shares.tolist()):
        if share < MIXED_SHARE:
            result[pieces[k]] = target
    return result


def _piece_ratios(vectors: np.ndarray, pieces: list[np.ndarray], groups: list[np.ndarray], nearest: np.ndarray,
                  sample: int) -> np.ndarray:
    """Per piece and candidate group (``nearest``, indices into ``groups``): the median
    distance from the piece's faces to the group's members over the group's typical one (the
    median of its members' median distances to each other); inf where no candidate. Only the
    groups some piece may join pay for their spread (an incremental run's few new faces come
    near few of a large library's groups), and the pieces of one size near a group are
    measured at once (a piece's distances are a row)."""
    ratios = np.full(nearest.shape, np.inf)
    lengths = np.array([len(piece) for piece in pieces])
    for candidate in np.unique(nearest[nearest >= 0]).tolist():
        group = groups[candidate]
        distances, references = _reference_distances(vectors[group], sample)
        typical = float(np.median(np.nanmedian(distances, axis=1)))
        others = vectors[group[references]].astype(np.float64)
        rows, slots = np.nonzero(nearest == candidate)
        for length in np.unique(lengths[rows]).tolist():
            alike = lengths[rows] == length
            faces = np.concatenate([pieces[row] for row in rows[alike].tolist()])
            to_members = cdist(vectors[faces].astype(np.float64), others).reshape(int(alike.sum()), -1)
            ratios[rows[alike], slots[alike]] = np.median(to_members, axis=1) / typical
    return ratios


def _outside_shares(vectors: np.ndarray, labels: np.ndarray, pieces: list[np.ndarray],
                    owners: np.ndarray) -> np.ndarray:
    """Per piece (faces that go together, or a face alone), the mean over its faces of the
    share of each one's nearest faces, the piece's own aside, whose label is not the piece's
    owner (``owners``, one label per piece). It counts as many faces as the owner's group
    could fill, the piece's own aside, ``EVICT_NEIGHBOURS`` at most: among a group of 6 a face
    has 5 other members, so of its 10 nearest at least 5 are outside however well it fits, and
    a fixed 10 would call every member of a small group mixed."""
    if not pieces:
        return np.zeros(0)
    rows = np.concatenate(pieces)
    piece_of = np.repeat(np.arange(len(pieces)), [len(piece) for piece in pieces])
    owner = owners[piece_of]
    own = np.full(len(labels), -1)
    own[rows] = piece_of
    values, counts = np.unique(labels, return_counts=True)
    inside = np.bincount(piece_of, weights=labels[rows] == owner).astype(np.int64)  # the piece's faces in its owner
    counted = np.clip(counts[np.searchsorted(values, owner)] - inside[piece_of], 1, EVICT_NEIGHBOURS)
    _, nearest = knn(vectors, vectors[rows], EVICT_NEIGHBOURS + max(map(len, pieces)))
    found = np.maximum(nearest, 0)
    others = (nearest >= 0) & (own[found] != piece_of[:, None])
    others &= np.cumsum(others, axis=1) <= counted[:, None]
    outside = others & (labels[found] != owner[:, None])
    shares = outside.sum(axis=1) / np.maximum(others.sum(axis=1), 1)
    return np.bincount(piece_of, weights=shares) / np.bincount(piece_of)


def _leave_alone(result: np.ndarray, rows: np.ndarray, fresh: int) -> int:
    """Each of ``rows`` gets a fresh label of its own. Returns the next fresh label."""
    result[rows] = np.arange(fresh, fresh - len(rows), -1)
    return fresh - len(rows)


def clearly_closest(ranked: list[tuple[float, int]], radius: float, margin: float) -> tuple[float, int] | None:
    """The first of ``ranked`` (distance, label) pairs, sorted by distance, when it is under
    ``radius`` and at least ``margin`` closer than the second: between two it is no one's."""
    if ranked and ranked[0][0] < radius and (len(ranked) == 1 or ranked[1][0] - ranked[0][0] >= margin):
        return ranked[0]
    return None
