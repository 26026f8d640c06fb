"""Import throughput: the decode stage against decode-only, or (``--full``) the whole import
against the dlib pipeline most people use today.

    python -m bench.import_throughput DIR [--workers N]
    python -m bench.import_throughput DIR --full [--device cpu|cuda|auto] [--reference-photos N]

Default mode (the original job): photos/s for an import of DIR into a fresh temporary library
that runs only the pipeline's decode stage (scan + hash + decode + thumbnail + database) and,
in the same run and with the same number of worker processes, photos/s for decoding every photo
at full resolution and nothing else (the baseline), their time ratio (goal <= 1.5), and the
peak memory of the import (main process and workers together, sampled from /proc).

``--full``: what a user's import of a real folder costs, and what the alternative would.
  * AlbumTag: DIR imported end to end by the real importer with every default stage (decode,
    faces, bodies, ...) and then grouping, into a temporary library, in a process of its own
    (``albumtag.evaluation.isolated_run``, as ``albumtag-bench`` and ``bench.stage_timing`` run
    it), so the peak RSS printed is that of the import's own process tree (goal <= 500 MB), not
    of this script. Printed: photos/s end to end, then ms/photo and photos/s for every stage
    (``scan`` is the time outside the stages: scanning, hashing, the database).
  * Reference: dlib as ``face_recognition`` runs it with its defaults (HOG upsampled once,
    5-point landmarks, ResNet with one jitter; ``albumtag.evaluation.reference_system``), in a
    process of its own too, on the first N photos of the same folder (sorted by path). On a
    12 MP phone photo the upsampled HOG detector alone takes tens of seconds, so a whole folder
    would take hours: the subset gives its rate, and the output says how many photos it ran
    on. Printed: photos/s overall and per step (decode, detect, describe, group), faces found
    and peak RSS; then how many of those N photos each system found a face in, and the ratio
    AlbumTag photos/s / reference photos/s. ``--reference-photos 0`` skips it; it is skipped
    with the reason when dlib is not installed (the ``bench`` extra).

Imports of albumtag happen inside functions: worker processes re-import this script, and
they should carry only what the app's own workers carry.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from albumtag.evaluation.run_result import SystemRun

REFERENCE_DEFAULTS = "dlib HOG upsampled once, 5-point landmarks, ResNet 1 jitter"


def full_decode(path: str) -> tuple[int, int]:
    """The baseline's unit of work: every pixel of the photo, nothing else."""
    from albumtag.io.decode import decode_file

    return decode_file(Path(path))[1].size


def decode_only(paths: list[Path], workers: int) -> float:
    from albumtag.app.worker_pool import IsolatingPool

    started = time.perf_counter()
    outcomes = IsolatingPool(full_decode, workers).map_unordered(map(str, paths))
    failures = sum(isinstance(result, Exception) for _, result in outcomes)
    if failures:
        print(f"  ({failures} photos failed to decode)")
    return time.perf_counter() - started


def full_import(folder: Path, workers: int) -> tuple[float, int, float]:
    """Seconds, failures and peak MB (all processes) of a real import, decode stage only."""
    from albumtag.app.importer import import_folders
    from albumtag.app.stages.decode import DecodeStage
    from albumtag.evaluation.process_memory import TreePeakRss
    from albumtag.library.database import Library

    with tempfile.TemporaryDirectory() as tmp, TreePeakRss() as peak:
        library = Library.open(Path(tmp) / "bench.albumtag")
        started = time.perf_counter()
        report = import_folders(library, [folder], stages=[DecodeStage(library.thumbnails_dir, workers)])
        elapsed = time.perf_counter() - started
        library.close()
    return elapsed, report.run.stages["decode"].failed, peak.mb


def photo_paths(folder: Path) -> list[Path]:
    """Every photo below ``folder``, sorted, so "the first N" is the same set on every run
    (``bench.stage_timing``'s ``--limit`` too)."""
    from albumtag.io.scan import scan_folder

    return sorted(folder / f.relpath for f in scan_folder(folder))


def warm_page_cache(paths: list[Path]) -> None:
    """Read every file once so no measurement pays (or is spared) the first disk read."""
    for path in paths:
        path.read_bytes()


def decode_mode(folder: Path, paths: list[Path], workers: int) -> None:
    """The original comparison: decode-stage import against decode-only."""
    print(f"photos: {len(paths)} in {folder}; {workers} worker processes, {os.cpu_count()} cores")
    warm_page_cache(paths)
    baseline = decode_only(paths, workers)
    print(f"decode-only (full resolution): {len(paths) / baseline:8.1f} photos/s  ({baseline:.1f} s)")
    imported, failed, peak_mb = full_import(folder, workers)
    print(f"import (scan+hash+decode+thumbnail+db): {len(paths) / imported:8.1f} photos/s  "
          f"({imported:.1f} s, {failed} failed)")
    print(f"ratio import/decode-only time: {imported / baseline:.2f}  (goal <= 1.5)")
    print(f"peak RSS of the import, main process and workers together: {peak_mb:.0f} MB  (goal < 500)")


def print_ms_per_photo(seconds: dict[str, float], photos: int, width: int, indent: str = "",
                       rates: bool = False) -> None:
    """One line per step, in order: its name, its ms/photo (``width`` wide) and, with ``rates``,
    its photos/s ("-" for no time). One function because this script's runs and
    ``bench.stage_timing``'s stages and bodies-stage steps print the same figures, each in its
    own layout (kept)."""
    for step, total in seconds.items():
        line = f"{indent}{step:<10}{1000 * total / photos:{width}.1f} ms/photo"
        if rates:
            line += (f"{photos / total:10.2f}" if total > 0 else f"{'-':>10}") + " photos/s"
        print(line)


def print_steps(run: SystemRun, photos: int) -> None:
    """ms/photo and photos/s of every timed step (stage) of a run, in the order it ran them."""
    steps = {step: seconds for step, seconds in run.seconds.items() if step != "total"}
    print_ms_per_photo(steps, photos, 12, indent="  ", rates=True)


def print_run(title: str, run: SystemRun, photos: int) -> float:
    """A system's headline line and its steps; returns its photos/s end to end."""
    total = run.seconds["total"]
    rate = photos / total
    print(f"{title}: {rate:.3f} photos/s end to end ({total:.1f} s for {photos} photos), "
          f"{run.faces} faces, peak RSS {run.peak_rss_mb:.0f} MB")
    print_steps(run, photos)
    return rate


def reference_skip_reason(count: int) -> str | None:
    """Why the reference will not run (None: it will)."""
    from albumtag.evaluation.reference_system import available

    return "--reference-photos 0" if count <= 0 else available()


def full_mode(folder: Path, paths: list[Path], device: str, reference_photos: int) -> None:
    """AlbumTag's whole import of the folder, then dlib on its first photos, each in a
    process of its own (``isolated_run.measure``) so each peak RSS is its own."""
    from albumtag.evaluation.isolated_run import measure
    from albumtag.evaluation.photo_sets import LabelledPhoto

    photos = [LabelledPhoto(path, None) for path in paths]
    subset = photos[:reference_photos]
    skipped = reference_skip_reason(len(subset))
    print(f"photos: {len(photos)} in {folder}; device {device}; {os.cpu_count()} cores")
    warm_page_cache(paths)
    with tempfile.TemporaryDirectory(prefix="import-throughput-") as tmp:
        ours = measure("albumtag", photos, Path(tmp), device)
        theirs = None if skipped else measure("reference", subset, Path(tmp))
    our_rate = print_run("albumtag (whole import, every default stage, then grouping)", ours, len(photos))
    print(f"  peak RSS of the import's process tree: {ours.peak_rss_mb:.0f} MB  (goal <= 500)")
    if theirs is None:
        print(f"reference skipped: {skipped}")
        return
    their_rate = print_run(f"reference ({REFERENCE_DEFAULTS}) on the first {len(subset)} of {len(photos)} photos",
                           theirs, len(subset))
    print(f"photos with a face among those {len(subset)}: albumtag {int(ours.found[:len(subset)].sum())}, "
          f"reference {int(theirs.found.sum())}")
    print(f"ratio albumtag/reference photos/s: {our_rate / their_rate:.2f}")


def main(argv: list[str] | None = None) -> None:
    from albumtag.app.worker_pool import default_workers

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--workers", type=int, default=default_workers(), help="decode mode only")
    parser.add_argument("--full", action="store_true", help="the whole import, and the dlib reference")
    parser.add_argument("--device", choices=("cpu", "cuda", "auto"), default="auto", help="--full only")
    parser.add_argument("--reference-photos", type=int, default=20,
                        help="--full only: dlib runs on this many of the folder's first photos (0: skip)")
    args = parser.parse_args(argv)
    paths = photo_paths(args.folder)
    if args.full:
        full_mode(args.folder, paths, args.device, args.reference_photos)
    else:
        decode_mode(args.folder, paths, args.workers)


if __name__ == "__main__":
    main()
