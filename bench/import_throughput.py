"""Import throughput: scan + hash + decode + thumbnail + database, against decode-only.

    python bench/import_throughput.py DIR [--workers N]

Prints photos/s for a full import of DIR into a fresh temporary library (the real
pipeline's decode stage) and, in the same run and with the same number of worker processes,
photos/s for decoding every photo at full resolution and nothing else (the baseline), their
time ratio (goal <= 1.5), and peak RSS of the main process and of the largest worker.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from albumtag.app.importer import import_folders  # noqa: E402
from albumtag.app.progress import CancelToken  # noqa: E402
from albumtag.app.stages.decode import DecodeStage  # noqa: E402
from albumtag.app.worker_pool import IsolatingPool, default_workers  # noqa: E402
from albumtag.io.decode import decode_file  # noqa: E402
from albumtag.io.scan import scan_folder  # noqa: E402
from albumtag.library.database import Library  # noqa: E402


def full_decode(path: str) -> tuple[int, int]:
    """The baseline's unit of work: every pixel of the photo, nothing else."""
    return decode_file(Path(path))[1].size


def warm_page_cache(paths: list[Path]) -> None:
    """Read every file once so neither measurement pays for the first disk read."""
    for path in paths:
        path.read_bytes()


def decode_only(paths: list[Path], workers: int) -> float:
    started = time.perf_counter()
    pool = IsolatingPool(full_decode, workers)
    failures = sum(isinstance(r, Exception) for _, r in pool.map_unordered(map(str, paths), CancelToken()))
    if failures:
        print(f"  ({failures} photos failed to decode)")
    return time.perf_counter() - started


def full_import(folder: Path, workers: int) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as tmp:
        library = Library.open(Path(tmp) / "bench.albumtag")
        started = time.perf_counter()
        report = import_folders(library, [folder], stages=[DecodeStage(library.thumbnails_dir, workers)])
        elapsed = time.perf_counter() - started
        library.close()
    return elapsed, report.run.stages["decode"].failed


def peak_rss_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # Linux reports KiB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--workers", type=int, default=default_workers())
    args = parser.parse_args()
    paths = [args.folder / f.relpath for f in scan_folder(args.folder)]
    print(f"photos: {len(paths)} in {args.folder}; {args.workers} worker processes, "
          f"{os.cpu_count()} cores")
    warm_page_cache(paths)
    baseline = decode_only(paths, args.workers)
    print(f"decode-only (full resolution): {len(paths) / baseline:8.1f} photos/s  ({baseline:.1f} s)")
    imported, failed = full_import(args.folder, args.workers)
    print(f"import (scan+hash+decode+thumbnail+db): {len(paths) / imported:8.1f} photos/s  "
          f"({imported:.1f} s, {failed} failed)")
    print(f"ratio import/decode-only time: {imported / baseline:.2f}  (goal <= 1.5)")
    print(f"peak RSS: main {peak_rss_mb(resource.RUSAGE_SELF):.0f} MB, "
          f"largest worker {peak_rss_mb(resource.RUSAGE_CHILDREN):.0f} MB")


if __name__ == "__main__":
    main()
