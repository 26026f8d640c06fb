"""Recognition on the shared face sets: clustering BCubed, k-shot identification and open-set
false accepts, AlbumTag beside the dlib approach, each set through ``albumtag-bench``.

    python -m bench.recognize [--shared ../shared/data] [--sets NAME ...] [--max-per-person N]
                              [--device cpu] [--out FILE]

Sets (folder-per-person; deepface's identities come from its labelled pairs):
- ``deepface``: faces-deepface, 13 people over 61 photos
- ``knn``: faces-knn train, 5 people
- ``bbt``: group-bbt face crops, 8 people x 5
- ``crops-dev``: faces-crops-dev, 12 people (first ``--max-per-person`` photos each)
- ``lfw``: faces-lfw held-out people with 10+ photos (first ``--max-per-person`` each), every
  other held-out person's first photo as distractors
Goals: BCubed F1 >= 0.95 on each small set and above dlib on lfw; 5-shot >= 99% on crops-dev and knn.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from albumtag.evaluation.cli import evaluate
from albumtag.evaluation.pairs import deepface_people
from albumtag.evaluation.splits import is_training_person

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
SHOWN = ("people", "photos", "detection_rate", "bcubed_precision", "bcubed_recall", "bcubed_f1", "clusters",
         "kshot_1", "kshot_5", "open_set_far", "photos_per_s")
Layout = tuple[Path, Path | None]  # person folders, distractor folder


def _link_people(people: dict[str, list[Path]], root: Path) -> Path:
    for name, photos in people.items():
        (root / name).mkdir(parents=True)
        for photo in photos:
            os.symlink(photo.resolve(), root / name / photo.name)
    return root


def deepface(shared: Path, work: Path) -> Layout:
    people = deepface_people(shared / "faces-deepface")
    return _link_people({f"person{k:02d}": photos for k, photos in enumerate(people)}, work / "deepface"), None


def lfw(shared: Path, work: Path) -> Layout:
    held_out = [f for f in sorted((shared / "faces-lfw").iterdir()) if f.is_dir() and not is_training_person(f.name)]
    photos = {f.name: sorted(f.glob("*.jpg")) for f in held_out}
    people = _link_people({n: p for n, p in photos.items() if len(p) >= 10}, work / "lfw" / "people")
    distractors = work / "lfw" / "distractors"
    distractors.mkdir()
    for p in photos.values():
        if len(p) < 10:
            os.symlink(p[0].resolve(), distractors / p[0].name)
    return people, distractors


SETS: dict[str, Callable[[Path, Path], Layout]] = {
    "deepface": deepface,
    "knn": lambda shared, _: (shared / "faces-knn" / "examples" / "knn_examples" / "train", None),
    "bbt": lambda shared, _: (shared / "group-bbt" / "examples" / "images", None),
    "crops-dev": lambda shared, _: (shared / "faces-crops-dev", None),
    "lfw": lfw,
}


def _row(name: str, system: str, figures: dict) -> str:
    cells = "".join(f"{'-' if figures.get(k) is None else round(figures[k], 3):>9}" for k in SHOWN)
    return f"{name:<10}{system:<10}{cells}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=SHARED)
    parser.add_argument("--sets", nargs="+", choices=list(SETS), default=list(SETS))
    parser.add_argument("--max-per-person", type=int, default=20)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    header = f"{'set':<10}{'system':<10}" + "".join(f"{k[:8]:>9}" for k in SHOWN)
    results = {}
    print(header, flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.sets:
            folder, distractors = SETS[name](args.shared, Path(tmp))
            results[name] = evaluate(folder, distractors, args.max_per_person, args.device)
            for system in ("albumtag", "reference"):
                if system in results[name]:
                    print(_row(name, system, results[name][system]), flush=True)
    if args.out:
        args.out.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
