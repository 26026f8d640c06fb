"""Import throughput: scan + hash + decode + thumbnail + database, against decode-only.

    python -m bench.import_throughput DIR [--workers N]

Prints photos/s for a full import of DIR into a fresh temporary library (the real
pipeline's decode stage) and, in the same run and with the same number of worker processes,
photos/s for decoding every photo at full resolution and nothing else (the baseline), their
time ratio (goal <= 1.5), and the peak memory of the import (main process and workers
together, sampled from /proc).

Imports of albumtag happen inside functions: worker processes re-import this script, and
they should carry only what the app's own workers carry.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path


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


def main() -> None:
    from albumtag.app.worker_pool import default_workers
    from albumtag.io.scan import scan_folder

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--workers", type=int, default=default_workers())
    args = parser.parse_args()
    paths = [args.folder / f.relpath for f in scan_folder(args.folder)]
    print(f"photos: {len(paths)} in {args.folder}; {args.workers} worker processes, "
          f"{os.cpu_count()} cores")
    for path in paths:  # warm the page cache so neither measurement pays the first disk read
        path.read_bytes()
    baseline = decode_only(paths, args.workers)
    print(f"decode-only (full resolution): {len(paths) / baseline:8.1f} photos/s  ({baseline:.1f} s)")
    imported, failed, peak_mb = full_import(args.folder, args.workers)
    print(f"import (scan+hash+decode+thumbnail+db): {len(paths) / imported:8.1f} photos/s  "
          f"({imported:.1f} s, {failed} failed)")
    print(f"ratio import/decode-only time: {imported / baseline:.2f}  (goal <= 1.5)")
    print(f"peak RSS of the import, main process and workers together: {peak_mb:.0f} MB  (goal < 500)")


if __name__ == "__main__":
    main()
