"""Cost of each import stage per photo (ms) on a folder, so the price of every stage is known:
decode + thumbnail, faces (detect, align, describe), bodies (person detector + pose, body and
part descriptors), grouping; then the bodies stage's own steps.

    python -m bench.stage_timing DIR [--device cpu|cuda|auto] [--limit N]

The photos are imported into a temporary library by the real importer, in a process of its
own (peak RSS of that process tree printed too). The bodies stage is then timed step by step
in this process, through its own ``locate`` (person detection, pose, matching with the faces
MTCNN finds), ``crops`` (the body box and the aligned crop of every poselet that fires) and
``describe`` (the body CNN and colour statistics over all of a photo's crops), after one
warm-up photo; decoding and face detection are not counted there.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections import Counter
from pathlib import Path

from albumtag.app.stages.bodies import BodyJob, BodyStage
from albumtag.evaluation.isolated_run import measure
from albumtag.evaluation.photo_sets import LabelledPhoto
from albumtag.io.photo_batches import decode_for_analysis
from albumtag.vision.mtcnn_detector import MtcnnDetector
from bench.import_throughput import photo_paths, print_ms_per_photo

BODY_STEPS = ("locate", "crops", "describe")


def body_steps(paths: list[Path], device: str) -> tuple[dict[str, float], Counter]:
    """Seconds per bodies-stage step summed over the photos (the first photo is run once
    more beforehand, to create the sessions), and how many crops of each kind were described."""
    stage, faces = BodyStage(device), MtcnnDetector(device)
    seconds, kinds = dict.fromkeys(BODY_STEPS, 0.0), Counter()
    for k, path in enumerate([paths[0], *paths]):
        decoded = decode_for_analysis(str(path))
        if isinstance(decoded, Exception):
            continue
        scale, image = decoded
        job = BodyJob(0, str(path), tuple((i, tuple(v * scale for v in face.box))
                                          for i, face in enumerate(faces.detect(image))))
        marks = [time.perf_counter()]
        sightings = stage.locate(job, scale, image)
        marks.append(time.perf_counter())
        crops = stage.crops(image, sightings)
        marks.append(time.perf_counter())
        stage.describe(crops)
        marks.append(time.perf_counter())
        if k:
            for step, start, end in zip(BODY_STEPS, marks, marks[1:]):
                seconds[step] += end - start
            kinds.update(kind.split(":")[0] for per_person in crops for kind in per_person)
    return seconds, kinds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--limit", type=int)
    args = parser.parse_args()
    paths = photo_paths(args.folder)[:args.limit]
    photos = [LabelledPhoto(path, None) for path in paths]
    with tempfile.TemporaryDirectory() as tmp:
        run = measure("albumtag", photos, Path(tmp), args.device)
    print(f"{len(photos)} photos, {run.faces} faces; {os.cpu_count()} cores; device {args.device}")
    print_ms_per_photo(run.seconds, len(photos), 10)
    print(f"peak RSS {run.peak_rss_mb:.0f} MB")
    seconds, kinds = body_steps(paths, args.device)
    print(f"bodies stage by step ({kinds['body']} body crops, {kinds['part']} part crops described):")
    print_ms_per_photo(seconds, len(photos), 8, indent="  ")


if __name__ == "__main__":
    main()
