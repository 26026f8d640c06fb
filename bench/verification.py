"""Face verification accuracy, AlbumTag vs dlib's own pipeline, on the same pairs.

    python -m bench.verification [--shared ../shared/data] [--pairs 3000] [--seed 0] [--device cpu]

Sets: ``faces-lfw`` (``--pairs`` same-person + ``--pairs`` different-person pairs, fixed seed,
drawn only among the people the trainer never learns from) and ``faces-deepface`` (every
labelled Yes pair + as many generated different-person pairs). On LFW the face nearest the
photo's centre is used (LFW's construction: the named person is centred), on deepface the
largest; a photo where a system finds no face makes its pairs read "different". Printed per set
and system: 10-fold accuracy (threshold chosen on the other nine folds, the LFW protocol),
accuracy at the shipped threshold 0.6, and faces missed; then ours minus dlib in points.
Goal on LFW: >= 98.5% and within 0.3 points of dlib.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np

from albumtag.evaluation import reference_system
from albumtag.evaluation.isolated_run import measure
from albumtag.evaluation.metrics import verification_accuracy
from albumtag.evaluation.pairs import Pairs, deepface_pairs, lfw_pairs
from albumtag.evaluation.photo_sets import LabelledPhoto
from albumtag.evaluation.run_result import SystemRun

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def pair_distances(pairs: Pairs, run: SystemRun) -> np.ndarray:
    a, b = run.vectors[pairs.first], run.vectors[pairs.second]
    distances = np.linalg.norm(a - b, axis=1)
    distances[~(run.found[pairs.first] & run.found[pairs.second])] = np.inf
    return distances


def scores(pairs: Pairs, run: SystemRun) -> dict[str, float]:
    distances = pair_distances(pairs, run)
    return {"10-fold accuracy %": 100 * verification_accuracy(distances, pairs.same),
            "accuracy at 0.6 %": 100 * float(np.mean((distances < run.threshold) == pairs.same)),
            "photos without a face": float((~run.found).sum())}


def evaluate(name: str, pairs: Pairs, device: str, workdir: Path, pick: str) -> None:
    photos = [LabelledPhoto(path, None) for path in pairs.photos]
    print(f"\n{name}: {int(pairs.same.sum())} same + {int((~pairs.same).sum())} different pairs, "
          f"{len(photos)} photos")
    results = {"albumtag": scores(pairs, measure("albumtag-faces", photos, workdir, device, pick))}
    if (missing := reference_system.available()) is None:
        results["dlib"] = scores(pairs, measure("reference", photos, workdir, pick=pick))
    else:
        print(f"dlib skipped: {missing}")
    print(f"{'':<24}" + "".join(f"{s:>10}" for s in results) + ("  ours-dlib" if "dlib" in results else ""))
    for key in results["albumtag"]:
        row = [results[s][key] for s in results]
        diff = f"{row[0] - row[1]:>+10.2f}" if len(row) == 2 else ""
        print(f"{key:<24}" + "".join(f"{v:>10.2f}" for v in row) + diff)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=SHARED)
    parser.add_argument("--pairs", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--sets", nargs="+", default=["lfw", "deepface"], choices=["lfw", "deepface"])
    args = parser.parse_args()
    makers = {"lfw": (lambda: lfw_pairs(args.shared / "faces-lfw", args.pairs, args.seed), "central"),
              "deepface": (lambda: deepface_pairs(args.shared / "faces-deepface", args.seed), "largest")}
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.sets:
            make, pick = makers[name]
            evaluate(name, make(), args.device, Path(tmp), pick)


if __name__ == "__main__":
    main()
