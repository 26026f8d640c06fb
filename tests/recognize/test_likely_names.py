"""Which named person an unnamed group probably is: offered only when clearly the closest."""

from __future__ import annotations

import numpy as np

from albumtag.recognize.clustering import group_stats, members_by_label
from albumtag.recognize.likely_names import likely_people, stats_from_json, stats_to_json


def _stats(centres: dict[int, float], n: int = 8, dim: int = 16) -> dict:
    rng = np.random.default_rng(0)
    vectors, labels = [], []
    for label, x in centres.items():
        centre = np.zeros(dim)
        centre[0] = x
        vectors.append(centre + rng.normal(0, 0.01, (n, dim)))
        labels += [label] * n
    return group_stats(np.vstack(vectors), members_by_label(np.array(labels)))


def test_a_group_near_one_person_is_offered_that_person_only() -> None:
    stats = _stats({1: 0.0, 2: 2.0, 10: 0.5, 11: 1.0, 12: 5.0})
    named, unnamed = {1: stats[1], 2: stats[2]}, {10: stats[10], 11: stats[11], 12: stats[12]}
    found = likely_people(unnamed, named, radius=0.6, margin=0.05)
    assert set(found) == {10} and found[10][0] == 1 and 0.45 < found[10][1] < 0.6
    assert likely_people({11: stats[11]}, named, radius=1.1, margin=0.05) == {}, "halfway: nobody is offered"


def test_stats_survive_their_json() -> None:
    stats = _stats({1: 0.0, 2: 2.0})
    again = stats_from_json(stats_to_json(stats))
    assert set(again) == {1, 2} and again[2].size == 8
    assert np.allclose(again[2].mean, stats[2].mean, atol=1e-5) and abs(again[2].spread - stats[2].spread) < 1e-6
