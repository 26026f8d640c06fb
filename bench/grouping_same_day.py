"""Same-day body evidence in grouping (``albumtag.recognize.same_day``) on simulated days.

No shared set has labelled people over several dated days, so days are composed from real
photos, as PIPER's composite sets are (``albumtag.evaluation.composite_data``): a pool of
``faces-lfw`` people with 10+ photos; each day some of them are present, each wearing the
clothes of a ``bodies-cuhk03/val`` person used for that day only (CUHK03's two camera views
of one person are one day's shots in the same clothes); shot ``s`` of a day is one photo
holding the ``s``-th instance of everyone present. Each instance is a real LFW face and a
real CUHK03 crop; a share of faces is hidden (seen from behind).

    python -m bench.grouping_same_day [--half held-out|dev] [--seeds 5] [--device cpu] [--lookalikes]

The app's ``group_labels`` groups every instance with faces only (as before same-day
evidence), with same-day bodies linking and placing (at the shipped body calibration,
``same_day_body_limits``), and as the app does, with groups also split by cannot-link pairs
(two people in one photo, or in different clothes on one day). Printed: BCubed F1 (precision
/ recall) over all instances, and of the faceless instances the share that joined their own
person's group and the share that joined someone else's.

``--lookalikes``: the people come in pairs of look-alikes (the closest mean faces of the
half; the held-out half's closest are two sisters, Serena and Venus Williams), who are always
at the same events, in their own clothes, each photographed alone: the relative whose faces
chain into someone's group.
Printed as well: the share of pairs merged (most of both in one group).

``held-out`` (the figures to quote) takes LFW's held-out half and CUHK03's odd ids
(EVALUATION half, never seen by the body calibration); ``dev`` takes LFW's training half and
the even ids. Nothing here is tuned.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from albumtag.evaluation.composite_data import (
    EVALUATION_HALF,
    FUSION_HALF,
    cuhk03_people,
    describe_bodies,
    face_run,
    lfw_people,
)
from albumtag.evaluation.metrics import bcubed
from albumtag.evaluation.run_result import SystemRun
from albumtag.recognize.grouping import GroupingParams, Instances, group_labels, same_day_body_limits

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
CACHE = Path(__file__).resolve().parents[1] / ".cache" / "bench"
HIDDEN = (0.0, 0.3, 0.6)


@dataclass(frozen=True)
class Days:
    """One simulated series of days, an instance per row."""

    people: list[str]  # the LFW person of each instance
    faces: list[Path]  # its face photo
    bodies: list[Path]  # its body crop
    days: np.ndarray
    photos: np.ndarray


def simulate(faces: dict[str, list[Path]], bodies: dict[str, list[Path]], seed: int, teams: list[tuple[str, ...]],
             present: int, shots: int, solo: bool) -> Days:
    """Days until the body people run out: each day ``present`` of the ``teams`` (a person, or
    look-alikes who come together), everyone in a fresh body person's clothes, ``shots``
    photos a day (fewer when a side runs out), each holding everyone present (``solo``: one
    person each)."""
    rng = np.random.default_rng([seed, 2])
    unused_faces = {name: list(rng.permutation(faces[name])) for team in teams for name in team}
    clothes = [bodies[b] for b in rng.permutation(sorted(bodies)).tolist()]
    people, face_paths, body_paths, days, photos = [], [], [], [], []
    for day in range(len(clothes) // (present * len(teams[0]))):
        for team in rng.choice(len(teams), size=present, replace=False).tolist():
            for person in teams[team]:
                crops = clothes.pop()
                for shot in range(min(shots, len(crops), len(unused_faces[person]))):
                    people.append(person)
                    face_paths.append(unused_faces[person].pop())
                    body_paths.append(crops[shot])
                    days.append(day)
                    photos.append(len(photos) if solo else day * shots + shot)
    return Days(people, face_paths, body_paths, np.array(days), np.array(photos))


def random_people(faces: dict[str, list[Path]], seed: int, pool: int) -> list[tuple[str, ...]]:
    rng = np.random.default_rng(seed)
    return [(name,) for name in sorted(rng.choice(sorted(faces), size=pool, replace=False).tolist())]


def lookalike_pairs(faces: dict[str, list[Path]], described: Described, pairs: int) -> list[tuple[str, ...]]:
    """``pairs`` pairs of look-alikes: the two people of the half with the closest mean faces,
    then the closest two of the rest, and so on (held-out: Serena and Venus Williams first)."""
    names = sorted(faces)
    means = np.stack([described.mean_face(faces[name]) for name in names])
    distances = np.linalg.norm(means[:, None] - means[None], axis=2) + np.diag(np.full(len(names), np.inf))
    chosen: list[tuple[str, ...]] = []
    while len(chosen) < pairs:
        a, b = np.unravel_index(np.argmin(distances), distances.shape)
        chosen.append((names[a], names[b]))
        distances[[a, b], :] = np.inf
        distances[:, [a, b]] = np.inf
    return chosen


@dataclass(frozen=True)
class Described:
    """Every face photo's and body crop's descriptor, described once (and cached)."""

    face_rows: dict[Path, int]
    face: SystemRun
    body_rows: dict[Path, int]
    body: np.ndarray

    @classmethod
    def of(cls, faces: dict[str, list[Path]], bodies: dict[str, list[Path]], device: str) -> Described:
        face_paths = [p for name in sorted(faces) for p in faces[name]]
        body_paths = [p for name in sorted(bodies) for p in bodies[name]]
        return cls({p: k for k, p in enumerate(face_paths)}, face_run("albumtag", face_paths, device, CACHE),
                   {p: k for k, p in enumerate(body_paths)}, describe_bodies(body_paths, device, CACHE).body)

    def mean_face(self, photos: list[Path]) -> np.ndarray:
        rows = np.array([self.face_rows[p] for p in photos])
        return self.face.vectors[rows[self.face.found[rows]]].mean(axis=0)


def instances(series: Days, described: Described, hidden: float, seed: int) -> Instances:
    """The app's grouping input for the series, with ``hidden`` of the faces removed."""
    face_rows = np.array([described.face_rows[p] for p in series.faces])
    vectors = described.face.vectors[face_rows].astype(np.float32)
    body = described.body[[described.body_rows[p] for p in series.bodies]]
    seen = described.face.found[face_rows] & (np.random.default_rng([seed, 1]).random(len(vectors)) >= hidden)
    vectors[~seen] = np.nan
    n = len(vectors)
    return Instances(instance_ids=np.arange(n), photo_ids=series.photos, vectors=vectors, quality=np.ones(n),
                     person_ids=np.full(n, -1), fixed=np.zeros(n, bool), days=series.days,
                     bodies=body.astype(np.float32))


def score(series: Days, grouped: Instances, labels: np.ndarray, teams: list[tuple[str, ...]]) -> list[float]:
    """BCubed F1, precision, recall; of the faceless instances, the shares in a group whose
    majority is their own person, and in someone else's; of the teams of two, the share
    merged (each one's most frequent group the same)."""
    result = bcubed(series.people, labels.tolist())
    majority = {}
    for label in np.unique(labels[grouped.has_face]).tolist():
        members = [series.people[k] for k in np.flatnonzero((labels == label) & grouped.has_face)]
        majority[label] = max(set(members), key=members.count)
    faceless = np.flatnonzero(~grouped.has_face)
    joined = [k for k in faceless if int(labels[k]) in majority]
    right = sum(majority[int(labels[k])] == series.people[k] for k in joined)
    share = max(len(faceless), 1)
    people = np.array(series.people)

    def usual_group(name: str) -> int:
        values, counts = np.unique(labels[people == name], return_counts=True)
        return int(values[np.argmax(counts)])

    pairs = [team for team in teams if len(team) == 2 and all((people == name).any() for name in team)]
    merged = sum(usual_group(a) == usual_group(b) for a, b in pairs) / max(len(pairs), 1)
    return [result.f1, result.precision, result.recall, right / share, (len(joined) - right) / share, merged]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=SHARED)
    parser.add_argument("--half", choices=("held-out", "dev"), default="held-out")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--pool", type=int, default=12, help="face people in the series")
    parser.add_argument("--present", type=int, default=5, help="of them present each day")
    parser.add_argument("--shots", type=int, default=3, help="photos a day")
    parser.add_argument("--lookalikes", action="store_true", help="pairs of look-alikes at the same events")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    held_out = args.half == "held-out"
    faces = lfw_people(args.shared, training=not held_out)
    bodies = cuhk03_people(args.shared, EVALUATION_HALF if held_out else FUSION_HALF)
    app = GroupingParams()
    limits = same_day_body_limits(app)
    if limits is None:
        sys.exit("the models in use carry no body calibration (python -m trainer fusion)")
    variants = {"faces only": (replace(app, min_conflicts=0), None),
                "same-day bodies": (replace(app, min_conflicts=0), limits),
                "+ cannot-link (app)": (app, limits)}
    present = args.present // 2 if args.lookalikes else args.present
    cast = f"{args.pool // 2} look-alike pairs, {present} pairs" if args.lookalikes else f"pool {args.pool}, {present}"
    print(f"{args.half}: {len(faces)} LFW people, {len(bodies)} CUHK03 people; {cast}"
          f" a day, {args.shots} shots; bodies match under {limits.match:.3f}, differ over {limits.differ:.3f}")
    described = Described.of(faces, bodies, args.device)
    print("hidden  grouping             F1 (P / R)              faceless: own / other group   pairs merged")
    for hidden in HIDDEN:
        rows: dict[str, list[list[float]]] = {name: [] for name in variants}
        for seed in range(args.seeds):
            teams = (lookalike_pairs(faces, described, args.pool // 2) if args.lookalikes
                     else random_people(faces, seed, args.pool))
            series = simulate(faces, bodies, seed, teams, present, args.shots, solo=args.lookalikes)
            grouped = instances(series, described, hidden, seed)
            for name, (params, day_limits) in variants.items():
                rows[name].append(score(series, grouped, group_labels(grouped, {}, params, limits=day_limits), teams))
        for name, scores in rows.items():
            f1, p, r, right, wrong, merged = np.mean(scores, axis=0)
            print(f"{hidden:5.0%}   {name:20s} {f1:.4f} ({p:.3f} / {r:.3f})   {right:.3f} / {wrong:.3f}"
                  f"{f'               {merged:.3f}' if args.lookalikes else ''}")


if __name__ == "__main__":
    main()
