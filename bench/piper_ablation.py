"""PIPER's ablation (face only, global only, parts only, all without sparsity filling, all) on a
composite set: each identity pairs one held-out ``faces-lfw`` person (10+ photos; never seen by
the trainer) with one ``bodies-cuhk03/val`` person (never seen by the body descriptor), and
0%, 50% and 90% of the faces are removed.

    python bench/piper_ablation.py [--shared ../shared/data] [--seeds 5] [--device cpu]
                                   [--no-reference]

Part classifiers learn from 40% of each identity's instances, the fusion weights from 20%,
accuracy is top-1 on the remaining 40%, averaged over seeds (albumtag.evaluation.composite).
The face part is AlbumTag's face stage and, in the same run, dlib's (HOG + ResNet) for the
"face only" and "all" rows. Goal: "all" at least 10 points above "face only" at 50% removed,
and never below the best single part.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import warnings
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from albumtag.embed.body_descriptor import BodyDescriptor, describe_with_colour  # noqa: E402
from albumtag.evaluation import face_system, reference_system  # noqa: E402
from albumtag.evaluation.composite import FACE, CompositeSet, mean_ablation, pair_people  # noqa: E402
from albumtag.evaluation.photo_sets import LabelledPhoto  # noqa: E402
from albumtag.evaluation.splits import is_training_person  # noqa: E402
from albumtag.evaluation.system_run import SystemRun  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
CACHE = Path(__file__).resolve().parents[1] / ".cache" / "bench"
MIN_FACE_PHOTOS = 10
REMOVED = (0.0, 0.5, 0.9)


def lfw_people(shared: Path) -> dict[str, list[Path]]:
    """Held-out LFW people with at least MIN_FACE_PHOTOS photos."""
    folders = [f for f in sorted((shared / "faces-lfw").iterdir()) if f.is_dir() and not is_training_person(f.name)]
    found = {f.name: sorted(f.glob("*.jpg")) for f in folders}
    return {name: photos for name, photos in found.items() if len(photos) >= MIN_FACE_PHOTOS}


def cuhk03_people(shared: Path) -> dict[str, list[Path]]:
    """CUHK03 val crops by person (``PPPP_NN.jpg``), both cameras."""
    people: dict[str, list[Path]] = {}
    for path in sorted((shared / "bodies-cuhk03" / "val").glob("*.jpg")):
        people.setdefault(path.stem.split("_")[0], []).append(path)
    return people


def face_run(system: str, photos: list[Path], device: str) -> SystemRun:
    """Face descriptors of the centred face per photo (LFW's construction), cached by photo list."""
    key = hashlib.sha256("\n".join(map(str, photos)).encode()).hexdigest()[:16]
    path = CACHE / f"composite-faces-{system}-{key}.npz"
    if path.is_file():
        return SystemRun.load(path)
    labelled = [LabelledPhoto(p, None) for p in photos]
    if system == "albumtag":
        run = face_system.run(labelled, device, pick="central")
    else:
        run = reference_system.run(labelled, pick="central")
    path.parent.mkdir(parents=True, exist_ok=True)
    run.save(path)
    return run


def load_rgb(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


def composite(shared: Path, device: str, systems: list[str]) -> dict[str, CompositeSet]:
    """One composite set per face system; bodies and labels are shared."""
    faces, bodies = lfw_people(shared), cuhk03_people(shared)
    pairs = pair_people({n: len(p) for n, p in faces.items()}, {n: len(p) for n, p in bodies.items()})
    labels = np.concatenate([np.full(n, k) for k, (_, _, n) in enumerate(pairs)])
    face_photos = [p for f, _, n in pairs for p in faces[f][:n]]
    body_crops = [load_rgb(p) for _, b, n in pairs for p in bodies[b][:n]]
    body = describe_with_colour(BodyDescriptor(device=device), body_crops)
    print(f"composite: {len(pairs)} identities, {len(labels)} instances", flush=True)
    sets = {}
    for system in systems:
        run = face_run(system, face_photos, device)
        sets[system] = CompositeSet(labels, body, {FACE: run.vectors}, {FACE: run.found})
    return sets


def table(results: dict[str, dict[float, dict[str, float]]]) -> str:
    lines = [f"{'face system':<12}{'row':<28}" + "".join(f"{f'{r:.0%} removed':>14}" for r in REMOVED)]
    for system, by_removed in results.items():
        for row in by_removed[REMOVED[0]]:
            cells = "".join(f"{by_removed[r][row]:>14.3f}" for r in REMOVED)
            lines.append(f"{system:<12}{row:<28}{cells}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=SHARED)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda", "auto"])
    parser.add_argument("--no-reference", action="store_true", help="skip dlib's face descriptor")
    args = parser.parse_args(argv)
    # With 90% of faces removed, the face classifier sees about one photo per person; sklearn
    # warns that this looks like regression. It is not, and the warning buries the table.
    warnings.filterwarnings("ignore", message="The number of unique classes is greater than 50%")
    systems = ["albumtag"]
    if not args.no_reference and reference_system.available() is None:
        systems.append("dlib")
    sets = composite(args.shared, args.device, systems)
    results = {system: {r: mean_ablation(data, r, range(args.seeds)) for r in REMOVED} for system, data in sets.items()}
    print(table(results))
    ours = results["albumtag"][0.5]
    print(f"gain over face only at 50% removed {ours['all (PIPER)'] - ours['face only']:+.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
