"""Verification pairs: reproducible, balanced, and drawn only from held-out people."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from albumtag.evaluation.pairs import deepface_pairs, deepface_people, lfw_pairs
from albumtag.evaluation.splits import is_training_person


def test_lfw_pairs_are_reproducible_balanced_and_held_out(shared_data: Path) -> None:
    pairs = lfw_pairs(shared_data / "faces-lfw", count=200, seed=3)
    again = lfw_pairs(shared_data / "faces-lfw", count=200, seed=3)
    assert np.array_equal(pairs.first, again.first) and pairs.photos == again.photos
    assert pairs.same.sum() == 200 and (~pairs.same).sum() == 200
    assert pairs.same[::2].all() and not pairs.same[1::2].any()  # every fold gets both kinds
    assert not any(is_training_person(p.parent.name) for p in pairs.photos)
    people_a = np.array([pairs.photos[i].parent.name for i in pairs.first])
    people_b = np.array([pairs.photos[i].parent.name for i in pairs.second])
    assert np.array_equal(people_a == people_b, pairs.same)
    assert len({(a, b) for a, b in zip(pairs.first, pairs.second)}) == 400


def test_deepface_identities_and_pairs(shared_data: Path) -> None:
    people = deepface_people(shared_data / "faces-deepface")
    assert (len(people), sum(map(len, people))) == (13, 61)  # as the shared data's README says
    pairs = deepface_pairs(shared_data / "faces-deepface")
    person = {photo: k for k, photos in enumerate(people) for photo in photos}
    same_person = np.array([person[pairs.photos[a]] == person[pairs.photos[b]]
                            for a, b in zip(pairs.first, pairs.second)])
    assert np.array_equal(same_person, pairs.same) and pairs.same.sum() == (~pairs.same).sum()
