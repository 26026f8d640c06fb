"""Strangers seen once stay alone beside people seen hundreds of times, on real descriptors
(``tests/data/grouping/big-person.npz``, made by ``python -m bench.make_grouping_fixture``):
a person with 300 photos, a person whose faces lie unusually close together, and for each
the 40 one-photo LFW strangers nearest them."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from albumtag.recognize.grouping import GroupingParams, Instances, group_labels
from albumtag.recognize.same_day import NO_DAY

FIXTURE = Path(__file__).resolve().parents[1] / "data" / "grouping" / "big-person.npz"
PERSON_ID = 7


@pytest.fixture(scope="module")
def fixture() -> dict[str, np.ndarray]:
    with np.load(FIXTURE) as data:
        return dict(data)


def _instances(vectors: np.ndarray, quality: np.ndarray, person_ids: np.ndarray | None = None,
               fixed: np.ndarray | None = None) -> Instances:
    """One face per photo, undated, no body."""
    n = len(vectors)
    return Instances(instance_ids=np.arange(n), photo_ids=np.arange(n), vectors=vectors,
                     quality=quality.astype(np.float64),
                     person_ids=np.full(n, -1) if person_ids is None else person_ids,
                     fixed=np.zeros(n, dtype=bool) if fixed is None else fixed,
                     days=np.full(n, NO_DAY), bodies=np.full((n, 1), np.nan, dtype=np.float32))


def _person_and_strangers(fixture: dict[str, np.ndarray], person: str) -> tuple[np.ndarray, np.ndarray, int]:
    vectors = np.concatenate([fixture[person], fixture[f"{person}_strangers"]])
    quality = np.concatenate([fixture[f"{person}_quality"], fixture[f"{person}_stranger_quality"]])
    return vectors, quality, len(fixture[person])


@pytest.mark.parametrize("person", ["person", "tight"])
def test_strangers_seen_once_stay_out_of_a_much_photographed_person(fixture: dict[str, np.ndarray],
                                                                   person: str) -> None:
    """300 photos of one person (or 32 very alike), and their 40 nearest strangers: before
    the group-relative eviction, 24 of the tight person's strangers joined him."""
    vectors, quality, count = _person_and_strangers(fixture, person)
    labels = group_labels(_instances(vectors, quality), {}, GroupingParams())
    group, size = Counter(labels[:count].tolist()).most_common(1)[0]
    assert size >= 0.95 * count, "the person stays one group"
    assert not np.any(labels[count:] == group), "no stranger joins the person"


def test_a_second_import_extends_the_person_and_leaves_the_strangers_alone(fixture: dict[str, np.ndarray]) -> None:
    """The 300-photo person grouped with 200 photos, 50 of them confirmed; the other 100 and
    the 40 strangers arrive in a second import: his new faces join him, the strangers do
    not, and the confirmed faces keep their person."""
    vectors, quality, count = _person_and_strangers(fixture, "person")
    first = 200
    person_ids = np.full(len(vectors), -1)
    person_ids[:first] = PERSON_ID
    fixed = np.zeros(len(vectors), dtype=bool)
    fixed[:50] = True
    new = np.arange(len(vectors)) >= first
    labels = group_labels(_instances(vectors, quality, person_ids, fixed), {}, GroupingParams(), new)
    assert np.all(labels[:first] == PERSON_ID), "the faces grouped before, confirmed or not, stay"
    assert np.mean(labels[first:count] == PERSON_ID) >= 0.95, "the second import extends the person"
    assert not np.any(labels[count:] == PERSON_ID), "no stranger joins the person"
