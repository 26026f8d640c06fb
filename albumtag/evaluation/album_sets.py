"""Album-shaped development and report sets for grouping, built from the shared data.

A real library holds a few people (family) with many photos each and a long tail of strangers
seen once; LFW, where grouping was first chosen, holds mostly people with 1-4 photos. These sets
are shaped like the library (``bench/album_grouping.py`` measures grouping on them):

- ``lfw-family-F-strangers-S`` from one half of LFW's fixed split (``splits.is_training_person``):
  the family is the ``F`` people of the half with the most photos (10+ each; ties by name), every
  photo of each; the strangers are the first photo (sorted file name) of ``S`` people of the half
  with fewer than 10 photos, taken in the order of the sha256 of their name. ``faces-lfw`` holds
  only people with 2+ photos, so a stranger is someone whose other photos are left out; a half
  holds about 750 such people, so ``S`` beyond that gives them all. The sets nest: a smaller
  family or fewer strangers is a prefix of the larger.
- ``lfw-family-F-acquaintances-A-strangers-S``: the same, plus every photo of ``A`` people with
  2-9 photos (labelled), the middle of a real library that the sets above lack: friends seen a
  handful of times. They are taken from the end of the same hash order and are never strangers
  too (the strangers skip them), so a rule that dissolves small loose groups to keep strangers
  out shows what it costs the people seen two to nine times.
- ``crops-dev``: every photo of ``faces-crops-dev`` (12 people).
- ``pins-dev-a`` / ``pins-dev-b``: ``faces-pins-dev`` split by the same hash rule as LFW's halves
  (A: the people ``is_training_person`` puts in the training half, 11 of 25; B the other 14),
  every photo. Choices may be made on A; B is for reporting. ``pins-dev``: both.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from albumtag.evaluation.photo_sets import LabelledPhoto, labelled_set
from albumtag.evaluation.splits import is_training_person

FAMILY_MIN_PHOTOS = 10
FAMILY_SIZES = (5, 15, 40)
STRANGER_COUNTS = (0, 300, 1000)
LFW = "faces-lfw"
CROPS = "faces-crops-dev"
PINS = "faces-pins-dev"
OTHER_SETS = ("crops-dev", "pins-dev-a", "pins-dev-b", "pins-dev")
_LFW_SET = re.compile(r"lfw-family-(\d+)(?:-acquaintances-(\d+))?-strangers-(\d+)")
ACQUAINTANCE_SETS = ("lfw-family-15-acquaintances-200-strangers-1000",
                     "lfw-family-40-acquaintances-200-strangers-300")


@dataclass(frozen=True)
class LfwSize:
    family: int
    strangers: int
    acquaintances: int = 0


def lfw_set_name(family: int, strangers: int, acquaintances: int = 0) -> str:
    middle = f"-acquaintances-{acquaintances}" if acquaintances else ""
    return f"lfw-family-{family}{middle}-strangers-{strangers}"


def default_lfw_sets() -> list[str]:
    return [lfw_set_name(f, s) for f in FAMILY_SIZES for s in STRANGER_COUNTS] + list(ACQUAINTANCE_SETS)


def parse_lfw_set(name: str) -> LfwSize | None:
    """The sizes of an ``lfw-family-F-strangers-S`` name; None for any other set."""
    match = _LFW_SET.fullmatch(name)
    return None if match is None else LfwSize(int(match[1]), int(match[3]), int(match[2] or 0))


def check_set_name(name: str) -> str:
    if parse_lfw_set(name) is None and name not in OTHER_SETS:
        raise ValueError(f"unknown set {name!r}: lfw-family-F-strangers-S or one of {', '.join(OTHER_SETS)}")
    return name


def lfw_half(lfw: Path, training: bool) -> dict[str, list[Path]]:
    """Every person of one half (``training``: the half the trainer may learn from) with their
    photos in sorted file-name order, by name."""
    folders = sorted(f for f in lfw.iterdir() if f.is_dir() and is_training_person(f.name) == training)
    return {f.name: sorted(f.glob("*.jpg")) for f in folders}


def family_people(people: dict[str, list[Path]], size: int) -> list[str]:
    """The ``size`` people with the most photos (10+ each), most first, ties by name."""
    eligible = [name for name, photos in people.items() if len(photos) >= FAMILY_MIN_PHOTOS]
    ranked = sorted(eligible, key=lambda name: (-len(people[name]), name))
    if size > len(ranked):
        raise ValueError(f"a family of {size} asked for; only {len(ranked)} people have {FAMILY_MIN_PHOTOS}+ photos")
    return ranked[:size]


def _hash_order(name: str) -> str:
    return hashlib.sha256(name.encode("utf-8")).hexdigest()


def _few_photo_people(people: dict[str, list[Path]]) -> list[str]:
    """The people with fewer than 10 photos, in the order of their name's sha256."""
    return sorted((name for name, photos in people.items() if 0 < len(photos) < FAMILY_MIN_PHOTOS), key=_hash_order)


def acquaintance_people(people: dict[str, list[Path]], count: int) -> list[str]:
    """Up to ``count`` people with 2-9 photos, from the end of the strangers' hash order."""
    return [name for name in reversed(_few_photo_people(people)) if len(people[name]) >= 2][:count]


def stranger_people(people: dict[str, list[Path]], count: int, acquaintances: int = 0) -> list[str]:
    """Up to ``count`` people with fewer than 10 photos, in the order of their name's sha256,
    skipping the first ``acquaintances`` acquaintances."""
    known = set(acquaintance_people(people, acquaintances))
    return [name for name in _few_photo_people(people) if name not in known][:count]


def lfw_album(people: dict[str, list[Path]], size: LfwSize) -> list[LabelledPhoto]:
    """The family's every photo (labelled), the acquaintances' every photo (labelled), then
    each stranger's first photo (label None)."""
    known = family_people(people, size.family) + acquaintance_people(people, size.acquaintances)
    labelled = [LabelledPhoto(p, name) for name in known for p in people[name]]
    strangers = [LabelledPhoto(people[name][0], None)
                 for name in stranger_people(people, size.strangers, size.acquaintances)]
    return labelled + strangers


def pins_half(name: str) -> str:
    """"a" or "b": the fixed half of ``faces-pins-dev`` a person belongs to."""
    return "a" if is_training_person(name) else "b"


def pins_album(pins: Path, half: str | None) -> list[LabelledPhoto]:
    """Every photo of the people of one half of ``faces-pins-dev`` ("a", "b"; None: everyone)."""
    return [p for p in labelled_set(pins) if half is None or pins_half(str(p.label)) == half]


def album(shared: Path, name: str, training: bool) -> list[LabelledPhoto]:
    """The photos of set ``name`` (``training`` picks LFW's half), in a fixed order."""
    size = parse_lfw_set(check_set_name(name))
    if size is not None:
        return lfw_album(lfw_half(shared / LFW, training), size)
    if name == "crops-dev":
        return labelled_set(shared / CROPS)
    return pins_album(shared / PINS, None if name == "pins-dev" else name.removeprefix("pins-dev-"))
