"""Verification pairs (same person / different people) drawn reproducibly from labelled sets."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from albumtag.evaluation.splits import is_training_person


@dataclass(frozen=True)
class Pairs:
    photos: list[Path]  # every photo a pair uses, once
    first: np.ndarray  # index into photos
    second: np.ndarray
    same: np.ndarray  # bool


def _different_pair(people: list[list[Path]], rng: np.random.Generator) -> tuple[Path, Path]:
    x, y = rng.choice(len(people), 2, replace=False)
    a, b = people[x][rng.integers(len(people[x]))], people[y][rng.integers(len(people[y]))]
    return (a, b) if a <= b else (b, a)


def _draw(people: list[list[Path]], count: int, rng: np.random.Generator) -> list[tuple[Path, Path, bool]]:
    """``count`` distinct same-person pairs (a person drawn uniformly, then two of their
    photos, so prolific people do not dominate) and ``count`` different-person pairs,
    interleaved so every fold of the protocol gets both kinds."""
    multi = [p for p in people if len(p) > 1]
    same: set[tuple[Path, Path]] = set()
    different: set[tuple[Path, Path]] = set()
    while len(same) < count:
        photos = multi[rng.integers(len(multi))]
        a, b = rng.choice(len(photos), 2, replace=False)
        same.add(tuple(sorted((photos[a], photos[b]))))
    while len(different) < count:
        different.add(_different_pair(people, rng))
    ordered_same, ordered_different = sorted(same), sorted(different)
    rng.shuffle(ordered_same)
    rng.shuffle(ordered_different)
    return [pair for s, d in zip(ordered_same, ordered_different) for pair in ((*s, True), (*d, False))]


def _as_pairs(drawn: list[tuple[Path, Path, bool]]) -> Pairs:
    photos = sorted({p for a, b, _ in drawn for p in (a, b)})
    index = {p: k for k, p in enumerate(photos)}
    return Pairs(photos, np.array([index[a] for a, _, _ in drawn]), np.array([index[b] for _, b, _ in drawn]),
                 np.array([s for _, _, s in drawn]))


def lfw_pairs(lfw: Path, count: int = 3000, seed: int = 0) -> Pairs:
    """Pairs among the people the trainer never learns from (``splits``), as the LFW
    protocol would draw them: ``count`` same and ``count`` different."""
    people = [sorted(folder.glob("*.jpg")) for folder in sorted(lfw.iterdir())
              if folder.is_dir() and not is_training_person(folder.name)]
    return _as_pairs(_draw([p for p in people if p], count, np.random.default_rng(seed)))


PAIR_TABLES = ("master.csv", "face-recognition-pivot.csv")  # deepface's labelled pair tables


def _yes_pairs(folder: Path) -> list[tuple[str, str]]:
    """Every "Yes" (same person) pair of deepface's tables, by file name, once."""
    pairs = set()
    for table in PAIR_TABLES:
        with open(folder / table, newline="") as handle:
            for row in csv.DictReader(handle):
                decision = row.get("Decision") or row.get("decision")
                if decision == "Yes":
                    pairs.add(tuple(sorted((Path(row["file_x"]).name, Path(row["file_y"]).name))))
    return sorted(pairs)


def deepface_people(folder: Path) -> list[list[Path]]:
    """Identities as the connected components of the Yes pairs (deepface labels pairs, not
    people)."""
    yes = _yes_pairs(folder)
    names = sorted({n for pair in yes for n in pair})
    index = {n: k for k, n in enumerate(names)}
    graph = coo_matrix((np.ones(len(yes)), ([index[a] for a, _ in yes], [index[b] for _, b in yes])),
                       shape=(len(names), len(names)))
    _, component = connected_components(graph, directed=False)
    people: list[list[Path]] = [[] for _ in range(component.max() + 1)]
    for name, person in zip(names, component):
        people[person].append(folder / name)
    return people


def deepface_pairs(folder: Path, seed: int = 0) -> Pairs:
    """Every Yes pair of deepface's tables, plus as many different-person pairs drawn
    between the identities those pairs connect."""
    same = [(folder / a, folder / b) for a, b in _yes_pairs(folder)]
    people, rng = deepface_people(folder), np.random.default_rng(seed)
    different: set[tuple[Path, Path]] = set()
    while len(different) < len(same):
        different.add(_different_pair(people, rng))
    chosen = sorted(different)
    rng.shuffle(chosen)
    return _as_pairs([pair for s, d in zip(same, chosen) for pair in ((*s, True), (*d, False))])
