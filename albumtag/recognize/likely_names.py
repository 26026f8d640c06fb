"""Which named person an unnamed group probably is: a question for the user, never a merge.

A child's group beside a parent's, or a person's second group (other years, other glasses),
is close to a named person on average without being close enough face by face for grouping to
join them. Merging them by size or closeness alone is how relatives get absorbed; asking costs
one key press. A group is offered a name when its root-mean-square distance to the person's
faces (sqrt(|m_a - m_b|^2 + s_a + s_b), from each side's mean face and spread, as
``group_repair.join_strays`` links a stray) is under the same-person distance and clearly below
the runner-up's.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Set

import numpy as np
from scipy.spatial.distance import cdist

from albumtag.recognize.clustering import GroupStats


def likely_people(unnamed: Mapping[int, GroupStats], named: Mapping[int, GroupStats], radius: float,
                  margin: float, excluded: Set[tuple[int, int]] = frozenset()) -> dict[int, tuple[int, float]]:
    """For each unnamed group, (named person, linkage) when the person is the closest by RMS
    linkage, under ``radius`` and at least ``margin`` closer than the next person. A (group,
    person) pair in ``excluded`` (the user said no) is never offered; the next person may be."""
    if not unnamed or not named:
        return {}
    groups, people = list(unnamed), list(named)
    squared = cdist(np.stack([unnamed[g].mean for g in groups]), np.stack([named[p].mean for p in people]),
                    "sqeuclidean")
    spreads = np.array([unnamed[g].spread for g in groups])[:, None] + np.array([named[p].spread for p in people])
    links = np.sqrt(squared + spreads)  # the RMS linkage of every pair at once
    row_of = {group: k for k, group in enumerate(groups)}
    column = {person: k for k, person in enumerate(people)}
    for group, person in excluded:
        if group in row_of and person in column:
            links[row_of[group], column[person]] = np.inf
    order = np.argsort(links, axis=1)[:, :2]
    found = {}
    for row, group in enumerate(groups):
        best = links[row, order[row, 0]]
        runner_up = links[row, order[row, 1]] if len(people) > 1 else np.inf
        if best < radius and runner_up - best >= margin:
            found[group] = (people[order[row, 0]], float(best))
    return found


def stats_to_json(stats: Mapping[int, GroupStats]) -> str:
    return json.dumps({str(k): [s.mean.round(5).tolist(), round(s.spread, 6), s.size] for k, s in stats.items()})


def stats_from_json(text: str) -> dict[int, GroupStats]:
    return {int(k): GroupStats(np.array(mean, dtype=np.float64), spread, size)
            for k, (mean, spread, size) in json.loads(text).items()}
