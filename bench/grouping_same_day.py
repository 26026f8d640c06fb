"""Same-day body evidence in grouping (``albumtag.recognize.same_day``) on simulated days.

No shared set has labelled people over several dated days, so days are composed from real
photos, as PIPER's composite sets are (``albumtag.evaluation.composite_data``): a pool of
``faces-lfw`` people with 10+ photos; each day some of them are present, each wearing the
clothes of a ``bodies-cuhk03/val`` person used for that day only (CUHK03's two camera views
of one person are one day's shots in the same clothes); shot ``s`` of a day is one photo
holding the ``s``-th instance of everyone present. Each instance is a real LFW face and a
real CUHK03 crop; a share of faces is hidden (seen from behind).

    python bench/grouping_same_day.py [--half held-out|dev] [--seeds 5] [--device cpu]

The app's ``group_labels`` groups every instance with faces only, then with same-day bodies
at the shipped body calibration (``same_day_body_radius``). Printed: BCubed F1 (precision /
recall) over all instances, and of the faceless instances the share that joined their own
person's group and the share that joined someone else's. ``held-out`` (the figures to quote)
takes LFW's held-out half and CUHK03's odd ids (EVALUATION half, never seen by the body
calibration); ``dev`` takes LFW's training half and the even ids. Nothing here is tuned.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from albumtag.app.grouping import Faces, GroupingParams, group_labels, same_day_body_radius  # noqa: E402
from albumtag.evaluation.composite_data import (  # noqa: E402
    EVALUATION_HALF,
    FUSION_HALF,
    cuhk03_people,
    describe_bodies,
    face_run,
    lfw_people,
)
from albumtag.evaluation.metrics import bcubed  # noqa: E402
from albumtag.evaluation.system_run import SystemRun  # noqa: E402

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


def simulate(faces: dict[str, list[Path]], bodies: dict[str, list[Path]], seed: int, pool: int,
             present: int, shots: int) -> Days:
    """Days until the body people run out: each day ``present`` of ``pool`` face people, each in
    a fresh body person's clothes, ``shots`` photos a day (fewer when a side runs out)."""
    rng = np.random.default_rng(seed)
    names = sorted(rng.choice(sorted(faces), size=pool, replace=False).tolist())
    unused_faces = {name: list(rng.permutation(faces[name])) for name in names}
    clothes = [bodies[b] for b in rng.permutation(sorted(bodies)).tolist()]
    people, face_paths, body_paths, days, photos = [], [], [], [], []
    for day in range(len(clothes) // present):
        for person in rng.choice(names, size=present, replace=False).tolist():
            crops = clothes.pop()
            for shot in range(min(shots, len(crops), len(unused_faces[person]))):
                people.append(person)
                face_paths.append(unused_faces[person].pop())
                body_paths.append(crops[shot])
                days.append(day)
                photos.append(day * shots + shot)
    return Days(people, face_paths, body_paths, np.array(days), np.array(photos))


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


def instances(series: Days, described: Described, hidden: float, seed: int) -> Faces:
    """The app's grouping input for the series, with ``hidden`` of the faces removed."""
    face_rows = np.array([described.face_rows[p] for p in series.faces])
    vectors = described.face.vectors[face_rows].astype(np.float32)
    body = described.body[[described.body_rows[p] for p in series.bodies]]
    seen = described.face.found[face_rows] & (np.random.default_rng([seed, 1]).random(len(vectors)) >= hidden)
    vectors[~seen] = np.nan
    n = len(vectors)
    return Faces(instance_ids=np.arange(n), photo_ids=series.photos, vectors=vectors, quality=np.ones(n),
                 person_ids=np.full(n, -1), fixed=np.zeros(n, bool), days=series.days,
                 bodies=body.astype(np.float32))


def score(series: Days, faces: Faces, labels: np.ndarray) -> tuple[float, float, float, float, float]:
    """BCubed F1, precision, recall; of the faceless instances, the shares in a group whose
    majority is their own person, and in someone else's."""
    result = bcubed(series.people, labels.tolist())
    majority = {}
    for label in np.unique(labels[faces.has_face]).tolist():
        members = [series.people[k] for k in np.flatnonzero((labels == label) & faces.has_face)]
        majority[label] = max(set(members), key=members.count)
    faceless = np.flatnonzero(~faces.has_face)
    joined = [k for k in faceless if int(labels[k]) in majority]
    right = sum(majority[int(labels[k])] == series.people[k] for k in joined)
    share = max(len(faceless), 1)
    return result.f1, result.precision, result.recall, right / share, (len(joined) - right) / share


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=SHARED)
    parser.add_argument("--half", choices=("held-out", "dev"), default="held-out")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--pool", type=int, default=12, help="face people in the series")
    parser.add_argument("--present", type=int, default=5, help="of them present each day")
    parser.add_argument("--shots", type=int, default=3, help="photos a day")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    held_out = args.half == "held-out"
    faces = lfw_people(args.shared, training=not held_out)
    bodies = cuhk03_people(args.shared, EVALUATION_HALF if held_out else FUSION_HALF)
    params = GroupingParams()
    radius = same_day_body_radius(params)
    if radius is None:
        sys.exit("the models in use carry no body calibration (python -m trainer fusion)")
    print(f"{args.half}: {len(faces)} LFW people, {len(bodies)} CUHK03 people; pool {args.pool}, "
          f"{args.present} a day, {args.shots} shots; body match under {radius:.3f}")
    described = Described.of(faces, bodies, args.device)
    print("hidden  grouping     F1 (P / R)              faceless: own group / other group")
    for hidden in HIDDEN:
        rows = {"faces only": [], "same-day bodies": []}
        for seed in range(args.seeds):
            series = simulate(faces, bodies, seed, args.pool, args.present, args.shots)
            grouped = instances(series, described, hidden, seed)
            rows["faces only"].append(score(series, grouped, group_labels(grouped, {}, params)))
            rows["same-day bodies"].append(score(series, grouped, group_labels(grouped, {}, params, body_radius=radius)))
        for name, scores in rows.items():
            f1, p, r, right, wrong = np.mean(scores, axis=0)
            print(f"{hidden:5.0%}   {name:15s} {f1:.4f} ({p:.3f} / {r:.3f})   {right:.3f} / {wrong:.3f}")


if __name__ == "__main__":
    main()
