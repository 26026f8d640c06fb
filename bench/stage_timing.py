"""Cost of each import stage per photo (ms) on a folder, so the price of every stage is known:
decode + thumbnail, faces (detect, align, describe), bodies (person detector + pose), grouping.

    python bench/stage_timing.py DIR [--device cpu|cuda|auto] [--limit N]

The photos are imported into a temporary library by the real importer, in a process of its
own (peak RSS of that process tree printed too).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from albumtag.evaluation.photo_sets import LabelledPhoto  # noqa: E402
from albumtag.evaluation.run_system import measure  # noqa: E402
from albumtag.io.scan import scan_folder  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--limit", type=int)
    args = parser.parse_args()
    paths = sorted(args.folder / f.relpath for f in scan_folder(args.folder))[:args.limit]
    photos = [LabelledPhoto(path, None) for path in paths]
    with tempfile.TemporaryDirectory() as tmp:
        run = measure("albumtag", photos, Path(tmp), args.device)
    print(f"{len(photos)} photos, {run.faces} faces; {os.cpu_count()} cores; device {args.device}")
    for stage, seconds in run.seconds.items():
        print(f"{stage:<10}{1000 * seconds / len(photos):10.1f} ms/photo")
    print(f"peak RSS {run.peak_rss_mb:.0f} MB")


if __name__ == "__main__":
    main()
