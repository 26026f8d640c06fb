"""Face detection and description speed, AlbumTag vs dlib (HOG + ResNet, as face_recognition
runs them), on the same photos in one run.

    python -m bench.faces DIR [--device cpu|cuda|auto] [--limit N]

Every photo below DIR is used (sorted). Each system runs in a process of its own; printed per
system: photos/s and faces/s for detection and for description, end-to-end photos/s
(decode included), photos with at least one face, and the peak RSS of its process tree; then
ours/dlib ratios. Goal: at least 2x dlib's end-to-end photos/s on 2 cores at equal or better
detection.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from albumtag.evaluation import reference_system
from albumtag.evaluation.isolated_run import measure
from albumtag.evaluation.photo_sets import LabelledPhoto
from albumtag.evaluation.run_result import SystemRun
from albumtag.io.scan import scan_folder


def speeds(run: SystemRun, photos: int) -> dict[str, float]:
    seconds = run.seconds
    return {
        "detect photos/s": photos / seconds["detect"],
        "describe faces/s": run.faces / seconds["describe"] if run.faces else 0.0,
        "describe photos/s": photos / seconds["describe"],
        "end-to-end photos/s": photos / seconds["total"],
        "photos with a face": float(run.found.mean()),
        "faces found": float(run.faces),
        "peak RSS MB": run.peak_rss_mb,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--limit", type=int, help="only the first N photos (sorted)")
    args = parser.parse_args()
    paths = sorted(args.folder / f.relpath for f in scan_folder(args.folder))[:args.limit]
    photos = [LabelledPhoto(path, path.parent.name) for path in paths]
    print(f"{len(photos)} photos in {args.folder}; {os.cpu_count()} cores; device {args.device}")
    with tempfile.TemporaryDirectory() as tmp:
        results = {"albumtag": speeds(measure("albumtag-faces", photos, Path(tmp), args.device), len(photos))}
        if (missing := reference_system.available()) is None:
            results["dlib"] = speeds(measure("reference", photos, Path(tmp)), len(photos))
        else:
            print(f"dlib skipped: {missing}")
    columns = list(results) + (["ratio"] if "dlib" in results else [])
    print(f"{'':<22}" + "".join(f"{c:>12}" for c in columns))
    for key in results["albumtag"]:
        row = [results[s][key] for s in results]
        if "dlib" in results:
            row.append(row[0] / row[1] if row[1] else float("nan"))
        print(f"{key:<22}" + "".join(f"{v:>12.2f}" for v in row))


if __name__ == "__main__":
    main()
