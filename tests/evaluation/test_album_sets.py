"""The album-shaped grouping sets (``albumtag.evaluation.album_sets``): who is family, who is a
stranger, the fixed pins halves; built from folder listings only, no face is described."""

from __future__ import annotations

from dataclasses import astuple
from pathlib import Path

import numpy as np
import pytest

from albumtag.evaluation.album_sets import (
    LfwSize,
    acquaintance_people,
    album,
    check_set_name,
    default_lfw_sets,
    family_people,
    lfw_album,
    lfw_half,
    lfw_set_name,
    parse_lfw_set,
    pins_album,
    pins_half,
    stranger_people,
)
from albumtag.evaluation.splits import is_training_person


def _person(root: Path, name: str, photos: int) -> None:
    folder = root / name
    folder.mkdir(parents=True)
    for k in range(photos, 0, -1):  # written in reverse: the order must come from sorting
        (folder / f"{name}_{k:04d}.jpg").write_bytes(b"")


@pytest.fixture
def lfw(tmp_path: Path) -> Path:
    root = tmp_path / "faces-lfw"
    counts = {"Big_A": 30, "Big_B": 30, "Big_C": 12, "Big_D": 10, "Nine": 9}
    counts |= {f"Small_{k:02d}": 2 + k % 5 for k in range(40)}
    for name, n in counts.items():
        _person(root, name, n)
    return root


def test_set_names() -> None:
    assert len(default_lfw_sets()) == 11
    assert parse_lfw_set("lfw-family-15-strangers-300") == LfwSize(15, 300)
    assert parse_lfw_set("lfw-family-15-acquaintances-20-strangers-300") == LfwSize(15, 300, 20)
    assert all(lfw_set_name(*astuple(parse_lfw_set(name))) == name for name in default_lfw_sets())
    assert parse_lfw_set("pins-dev-a") is None
    assert check_set_name("pins-dev-b") == "pins-dev-b"
    with pytest.raises(ValueError):
        check_set_name("lfw-family-x")


def test_family_is_the_most_photographed_ten_plus_people(lfw: Path) -> None:
    people = {**lfw_half(lfw, True), **lfw_half(lfw, False)}  # both halves: every fixture person
    assert family_people(people, 3) == ["Big_A", "Big_B", "Big_C"]  # ties by name
    assert family_people(people, 4) == ["Big_A", "Big_B", "Big_C", "Big_D"]
    with pytest.raises(ValueError):
        family_people(people, 5)  # "Nine" has fewer than 10 photos


def test_strangers_are_one_photo_each_of_fewer_than_ten_photo_people(lfw: Path) -> None:
    people = {**lfw_half(lfw, True), **lfw_half(lfw, False)}
    photos = lfw_album(people, LfwSize(2, 20))
    family = [p for p in photos if p.label is not None]
    strangers = [p for p in photos if p.label is None]
    assert {p.label for p in family} == {"Big_A", "Big_B"} and len(family) == 60
    assert len(strangers) == 20
    names = [p.path.parent.name for p in strangers]
    assert len(set(names)) == 20 and not any(n.startswith("Big_") for n in names)
    assert all(p.path.name.endswith("_0001.jpg") for p in strangers)  # each one's first photo
    assert stranger_people(people, 10) == stranger_people(people, 20)[:10]  # nested, fixed order
    assert len(stranger_people(people, 1000)) == 41  # capped at those there are ("Nine" included)


def test_acquaintances_are_every_photo_of_two_to_nine_photo_people_and_never_strangers(lfw: Path) -> None:
    people = {**lfw_half(lfw, True), **lfw_half(lfw, False)}
    photos = lfw_album(people, LfwSize(2, 1000, 5))
    friends = acquaintance_people(people, 5)
    assert len(friends) == 5 and all(2 <= len(people[name]) <= 9 for name in friends)
    assert acquaintance_people(people, 3) == friends[:3]  # nested, fixed order
    labelled = {name for name in (p.label for p in photos) if name is not None}
    assert labelled == {"Big_A", "Big_B", *friends}
    assert sum(p.label in friends for p in photos) == sum(len(people[name]) for name in friends)
    strangers = [p.path.parent.name for p in photos if p.label is None]
    assert len(strangers) == 41 - 5 and not set(strangers) & set(friends)
    # without acquaintances the strangers are exactly as before; with them, the same order less them
    assert stranger_people(people, 1000, 5) == [n for n in stranger_people(people, 1000) if n not in friends]


def test_lfw_sets_take_one_half_only(lfw: Path) -> None:
    for training in (True, False):
        photos = lfw_album(lfw_half(lfw, training), LfwSize(0, 1000))
        assert photos and all(is_training_person(p.path.parent.name) == training for p in photos)


def test_pins_halves_are_fixed_and_disjoint(tmp_path: Path) -> None:
    root = tmp_path / "faces-pins-dev"
    names = [f"Person_{k}" for k in range(12)]
    for name in names:
        _person(root, name, 3)
    a, b = pins_album(root, "a"), pins_album(root, "b")
    people_a, people_b = {p.label for p in a}, {p.label for p in b}
    assert people_a and people_b and not people_a & people_b
    assert people_a | people_b == set(names) and len(a) + len(b) == 36
    assert len(pins_album(root, None)) == 36
    assert all(pins_half(n) == ("a" if is_training_person(n) else "b") for n in names)
    assert [p.path for p in album(tmp_path, "pins-dev-a", True)] == [p.path for p in a]


def test_shared_pins_halves(shared_data: Path) -> None:
    pins = shared_data / "faces-pins-dev"
    if not pins.is_dir():
        pytest.skip("no faces-pins-dev")
    people = sorted(p.name for p in pins.iterdir() if p.is_dir())
    half_a = [n for n in people if pins_half(n) == "a"]
    assert len(people) == 25 and len(half_a) == 11
    assert "Zendaya" in half_a and "Adriana_Lima" not in half_a
    assert np.all([pins_half(n) == "b" for n in set(people) - set(half_a)])
