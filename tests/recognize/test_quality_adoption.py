"""GroupingParams.adopt_quality_ratio (opt-in, off by default): a lone face of good quality
joins a group it lies a little outside the spread of; a poor one at the same place stays alone."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from albumtag.recognize.grouping import GroupingParams, Instances, group_labels
from albumtag.recognize.same_day import NO_DAY


def _group_and_edge_face(seed: int, edge_quality: float) -> Instances:
    """30 faces about 0.48 apart, and one face whose median distance to them is about 1.35
    times theirs (over adopt_ratio's 1.25, under 1.45) and whose nearest is about 0.6 away
    (no chinese-whispers edge, no stray join)."""
    rng = np.random.default_rng(seed)
    centre = rng.normal(0.0, 1.0, 128)
    centre *= 1.4 / np.linalg.norm(centre)
    away = rng.normal(0.0, 1.0, 128)
    away *= 0.56 / np.linalg.norm(away)
    vectors = np.vstack([centre + rng.normal(0.0, 0.03, (30, 128)), centre + away]).astype(np.float32)
    n = len(vectors)
    quality = np.full(n, 0.9)
    quality[-1] = edge_quality
    return Instances(instance_ids=np.arange(n), photo_ids=np.arange(n), vectors=vectors, quality=quality,
                     person_ids=np.full(n, -1), fixed=np.zeros(n, dtype=bool), days=np.full(n, NO_DAY),
                     bodies=np.full((n, 1), np.nan, dtype=np.float32))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_good_edge_face_joins_only_with_the_rule_on(seed: int) -> None:
    faces = _group_and_edge_face(seed, edge_quality=0.9)
    off = group_labels(faces, {}, GroupingParams())
    on = group_labels(faces, {}, dataclasses.replace(GroupingParams(), adopt_quality_ratio=1.45))
    assert len(set(off[:30].tolist())) == 1 and len(set(on[:30].tolist())) == 1
    assert off[-1] != off[0]
    assert on[-1] == on[0]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_poor_face_at_the_same_place_stays_alone(seed: int) -> None:
    faces = _group_and_edge_face(seed, edge_quality=0.5)
    labels = group_labels(faces, {}, dataclasses.replace(GroupingParams(), adopt_quality_ratio=1.45))
    assert labels[-1] != labels[0]
