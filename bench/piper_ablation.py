"""PIPER's ablation (face only, global only, parts only, all without sparsity filling, all) on a
composite set: each identity pairs one held-out ``faces-lfw`` person (10+ photos; never seen by
the trainer) with one ``bodies-cuhk03/val`` person (never seen by the body descriptor), and
0%, 50% and 90% of the faces are removed. The parts are the app's: the pose model runs on each
body crop (``albumtag.vision.crop_pose``), the shipped poselet types fire on it, and each fired
type's aligned crop is described like a body (CNN + colour), one part per type as the library
stores them (``part:<type>``).

    python -m bench.piper_ablation [--shared ../shared/data] [--seeds 5] [--device cpu]
                                   [--no-reference]

Part classifiers learn from 40% of each identity's instances, the fusion weights from 20%,
accuracy is top-1 on the remaining 40%, averaged over seeds (albumtag.evaluation.composite).
The face part is AlbumTag's face stage and, in the same run, dlib's (HOG + ResNet) for the
"face only" and "all" rows. Goal: "all" at least 10 points above "face only" at 50% removed,
and never below the best single part.
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

from albumtag.evaluation import reference_system
from albumtag.evaluation.composite import CompositeSet, FitCache, mean_ablation, pair_people
from albumtag.evaluation.composite_data import (
    composite_set,
    cuhk03_people,
    describe_bodies,
    face_run,
    lfw_people,
    pair_paths,
)

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
CACHE = Path(__file__).resolve().parents[1] / ".cache" / "bench"
REMOVED = (0.0, 0.5, 0.9)


def composite(shared: Path, device: str, systems: list[str]) -> dict[str, CompositeSet]:
    """One composite set per face system; bodies and labels are shared. Every CUHK03 val
    person (both halves of ``albumtag.evaluation.composite_data``): this bench learns its own
    weights on its own splits."""
    faces, bodies = lfw_people(shared, training=False), cuhk03_people(shared)
    pairs = pair_people({n: len(p) for n, p in faces.items()}, {n: len(p) for n, p in bodies.items()})
    face_photos, body_paths = pair_paths(pairs, faces, bodies)
    described = describe_bodies(body_paths, device, CACHE)
    print(f"composite: {len(pairs)} identities, {len(body_paths)} instances; poselet types fired "
          + ", ".join(f"{kind.split(':')[1]} {int(mask.sum())}" for kind, mask in described.fired.items()),
          flush=True)
    return {system: composite_set(pairs, faces, bodies, face_photos, face_run(system, face_photos, device, CACHE),
                                  described) for system in systems}


def table(results: dict[str, dict[float, dict[str, float]]]) -> str:
    lines = [f"{'face system':<12}{'row':<36}" + "".join(f"{f'{r:.0%} removed':>14}" for r in REMOVED)]
    for system, by_removed in results.items():
        for row in by_removed[REMOVED[0]]:
            cells = "".join(f"{by_removed[r][row]:>14.3f}" for r in REMOVED)
            lines.append(f"{system:<12}{row:<36}{cells}")
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
    fits: FitCache = {}  # body and poselet classifiers are the same for every row and face system
    results = {system: {r: mean_ablation(data, r, range(args.seeds), fits) for r in REMOVED}
               for system, data in sets.items()}
    print(table(results))
    ours = results["albumtag"][0.5]
    for removed, rows in results["albumtag"].items():
        best = max((name for name in rows if name.endswith(" only")), key=rows.get)
        print(f"{removed:.0%} removed: all (PIPER) {rows['all (PIPER)']:.3f} vs best single part "
              f"({best}) {rows[best]:.3f}: {rows['all (PIPER)'] - rows[best]:+.3f}")
    print(f"gain over face only at 50% removed {ours['all (PIPER)'] - ours['face only']:+.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
