"""Choosing how grouping weighs graph edges, on development data only: the LFW people the
trainer may learn from (never the held-out half the other benches report on).

    python bench/grouping_dev.py [--shared ../shared/data] [--per-person 20] [--distractors 500]

People of the training half with 10+ photos (first ``--per-person`` each) are to be grouped;
the first photo of other training-half people are distractors. Faces come from AlbumTag's
face stage; chinese whispers then runs over the same radius graph with each edge weighting,
and BCubed (distractors lowering precision) and the number of groups are printed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from albumtag.app.grouping import GroupingParams  # noqa: E402
from albumtag.evaluation import face_system  # noqa: E402
from albumtag.evaluation.metrics import bcubed, singletons_for_missing  # noqa: E402
from albumtag.evaluation.photo_sets import LabelledPhoto  # noqa: E402
from albumtag.evaluation.splits import is_training_person  # noqa: E402
from albumtag.recognize.clustering import chinese_whispers, edge_weights  # noqa: E402
from albumtag.recognize.neighbours import radius_graph  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
WEIGHTINGS = {
    "uniform (app)": edge_weights,
    "linear": lambda d, r: 1.0 - d / r,
    "squared": lambda d, r: (1.0 - d / r) ** 2,
}


def development_photos(lfw: Path, per_person: int, distractors: int) -> list[LabelledPhoto]:
    folders = [f for f in sorted(lfw.iterdir()) if f.is_dir() and is_training_person(f.name)]
    photos = {f.name: sorted(f.glob("*.jpg")) for f in folders}
    people = [LabelledPhoto(p, name) for name, ps in photos.items() if len(ps) >= 10 for p in ps[:per_person]]
    others = [LabelledPhoto(ps[0], None) for ps in photos.values() if len(ps) < 10][:distractors]
    return people + others


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=SHARED)
    parser.add_argument("--per-person", type=int, default=20)
    parser.add_argument("--distractors", type=int, default=500)
    args = parser.parse_args()
    photos = development_photos(args.shared / "faces-lfw", args.per_person, args.distractors)
    run = face_system.run(photos, "cpu")
    labels = [p.label for p in photos]
    found = np.flatnonzero(run.found)
    print(f"{len({y for y in labels if y})} people, {sum(y is not None for y in labels)} photos, "
          f"{sum(y is None for y in labels)} distractors; faces in {len(found)} photos")
    params = GroupingParams()
    for radius in (0.45, params.cluster_radius, 0.55):
        rows, cols, distances = radius_graph(run.vectors[found], params.neighbours, radius)
        for name, weigh in WEIGHTINGS.items():
            cw = chinese_whispers(len(found), rows, cols, weigh(distances, radius))
            clusters: list[int | None] = [None] * len(photos)
            for k, label in zip(found.tolist(), cw.tolist()):
                clusters[k] = label
            score = bcubed(labels, singletons_for_missing(clusters))
            groups = len(set(cw.tolist()))
            print(f"radius {radius:.2f} {name:<15} precision {score.precision:.3f} recall {score.recall:.3f} "
                  f"F1 {score.f1:.3f} groups {groups}")


if __name__ == "__main__":
    main()
