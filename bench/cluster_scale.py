"""Grouping at scale: ``update_groups`` on libraries of N faces, on the CPU: time and peak memory
per size, and a fitted curve to larger libraries.

    python -m bench.cluster_scale [--faces 10000 30000 100000] [--faces-per-person 20]
                                  [--estimate 1000000]

Face descriptors are synthetic (people as points on a sphere of dlib-like radius, faces
scattered around them at dlib-like same-person distances), stored in a real library through
the schema. Each size is stored by one process and grouped by a fresh one, so the grouping's
peak resident memory (``ru_maxrss``) is its own, not the storing's; ``above start`` is that
peak less the process's memory before grouping (Python, numpy, faiss and the library loaded).
Per size: the wall time (and the CPU time of the process, steadier when other work shares
the cores) of a full (first) grouping, that of an incremental re-grouping after 1% new faces,
and the groups found; then each run's steps (``GroupingSummary.seconds``: loading the faces,
grouping them, storing the groups, the People view's group stats). Then power laws
``seconds = a * N^b`` fitted to the first run's wall and CPU times (least squares in log-log)
and a line fitted to the peaks, both printed with their value at ``--estimate`` faces: an
estimate from the measured curve, not a measurement.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from albumtag.app.grouping import update_groups
from albumtag.embed.face_descriptor import FACE_FEATURE
from albumtag.embed.face_vector import FACE_VECTOR_SIZE
from albumtag.library.database import Library
from albumtag.library.model_versions import model_version_id
from albumtag.library.schema import Album, Feature, PersonInstance, Photo
from albumtag.library.vectors import to_blob

SPREAD = 0.0156  # per-dimension noise: same-person distances around 0.35, as the face vector's
INSERT_BATCH = 20_000  # rows per insert, so storing 300k faces does not hold them all as dicts


def synthetic_people(rng: np.random.Generator, people: int) -> np.ndarray:
    centres = rng.normal(0, 1, (people, FACE_VECTOR_SIZE))
    return centres * 0.6 / np.linalg.norm(centres, axis=1, keepdims=True)


def synthetic_faces(rng: np.random.Generator, faces: int, centres: np.ndarray) -> np.ndarray:
    chosen = centres[rng.integers(0, len(centres), faces)]
    return (chosen + rng.normal(0, SPREAD, (faces, centres.shape[1]))).astype(np.float32)


def add_faces(library: Library, vectors: np.ndarray, start: int) -> None:
    """One photo and one good face per vector, inserted in bulk."""
    from sqlalchemy import insert, select

    with library.session() as session:
        album_id = session.scalar(select(Album.id)) or _album(session)
        model = model_version_id(session, "face_descriptor", "synthetic")
        for first in range(0, len(vectors), INSERT_BATCH):
            ids = range(start + first, start + min(first + INSERT_BATCH, len(vectors)))
            session.execute(insert(Photo), [{"id": i, "album_id": album_id, "relpath": f"{i}.jpg", "size": 1,
                                             "content_hash": f"{i:032x}",
                                             "mtime_ns": 0, "missing": False} for i in ids])
            session.execute(insert(PersonInstance), [{"id": i, "photo_id": i, "quality": 0.9, "face_x1": 0.0,
                                                      "face_y1": 0.0, "face_x2": 1.0, "face_y2": 1.0} for i in ids])
            session.execute(insert(Feature), [{"instance_id": i, "kind": FACE_FEATURE, "model_version_id": model,
                                               "vector": to_blob(vectors[i - start]),
                                               "norm": float(np.linalg.norm(vectors[i - start]))} for i in ids])


def _album(session) -> int:
    album = Album(name="synthetic", root="/synthetic")
    session.add(album)
    session.flush()
    return album.id


def _rss_mb() -> float:
    """The process's resident memory now, in MB (Linux)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * resource.getpagesize() / 2**20


def _store(path: Path, faces: int, people: int) -> None:
    """The library of ``faces`` synthetic faces of ``people`` people, plus 1% more kept aside
    in ``path.npy`` for the incremental run."""
    rng = np.random.default_rng(0)
    centres = synthetic_people(rng, people)
    library = Library.open(path)
    add_faces(library, synthetic_faces(rng, faces, centres), 1)
    library.close()
    np.save(path.with_suffix(".npy"), synthetic_faces(rng, max(faces // 100, 1), centres))


def _group(path: Path, faces: int) -> dict:
    """Group the stored library (first run), add the 1% kept aside and group again."""
    library = Library.open(path)
    before = _rss_mb()
    started, cpu = time.perf_counter(), time.process_time()
    first = update_groups(library)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    extra = np.load(path.with_suffix(".npy"))
    add_faces(library, extra, faces + 1)
    started = time.perf_counter()
    again = update_groups(library)
    library.close()
    return {"faces": faces, "seconds": seconds, "cpu_seconds": cpu, "peak_mb": peak, "start_mb": before,
            "groups": first.groups, "incremental_seconds": time.perf_counter() - started, "new_faces": len(extra),
            "new_groups": again.new_groups, "steps": first.seconds, "incremental_steps": again.seconds}


def measure(faces: int, people: int) -> dict:
    """One size, stored and grouped each by a fresh process."""
    with tempfile.TemporaryDirectory(prefix="albumtag-cluster-scale-") as tmp:
        path = Path(tmp) / "scale.albumtag"
        command = [sys.executable, "-m", "bench.cluster_scale", "--library", str(path), "--faces", str(faces)]
        subprocess.run(command + ["--stage", "store", "--people", str(people)], check=True)
        grouped = subprocess.run(command + ["--stage", "group"], check=True, capture_output=True, text=True)
        return json.loads(grouped.stdout.strip().splitlines()[-1])


def fit(results: list[dict], estimate: int) -> None:
    """Power laws of wall and CPU time and a line of peak memory through the measured sizes."""
    n = np.array([r["faces"] for r in results], dtype=np.float64)
    for key, name in (("seconds", "seconds"), ("cpu_seconds", "CPU seconds")):
        exponent, log_a = np.polyfit(np.log(n), np.log([r[key] for r in results]), 1)
        print(f"fit: {name} = {np.exp(log_a):.3g} * N^{exponent:.2f}; at {estimate:,} faces about "
              f"{np.exp(log_a) * estimate ** exponent:,.0f} s (estimated)")
    slope, intercept = np.polyfit(n, [r["peak_mb"] for r in results], 1)
    print(f"fit: peak MB = {intercept:.0f} + {slope * 1000:.2f} per 1,000 faces; at {estimate:,} faces about "
          f"{intercept + slope * estimate:,.0f} MB (estimated)")


def _steps(seconds: dict[str, float]) -> str:
    return ", ".join(f"{step} {value:.1f}" for step, value in seconds.items())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--faces", type=int, nargs="+", default=[10_000, 30_000, 100_000])
    parser.add_argument("--faces-per-person", type=int, default=20)
    parser.add_argument("--people", type=int, help="(with --stage) the people of the stored library")
    parser.add_argument("--estimate", type=int, default=1_000_000)
    parser.add_argument("--stage", choices=("store", "group"), help=argparse.SUPPRESS)
    parser.add_argument("--library", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stage == "store":
        _store(args.library, args.faces[0], args.people)
        return
    if args.stage == "group":
        print(json.dumps(_group(args.library, args.faces[0])))
        return
    print("   faces  people  first run s (CPU s)  peak MB (above start)  groups  +1% faces s  new groups", flush=True)
    results = []
    for faces in args.faces:
        people = max(faces // args.faces_per_person, 1)
        r = measure(faces, people)
        results.append(r)
        print(f"{faces:8d} {people:7d} {r['seconds']:12.1f} ({r['cpu_seconds']:6.1f}) {r['peak_mb']:8.0f} "
              f"({r['peak_mb'] - r['start_mb']:5.0f})"
              f"        {r['groups']:7d} {r['incremental_seconds']:11.1f} {r['new_groups']:11d}", flush=True)
        print(f"{'':16}steps, s: first run {_steps(r['steps'])}; +1% {_steps(r['incremental_steps'])}", flush=True)
    if len(results) >= 2:
        fit(results, args.estimate)


if __name__ == "__main__":
    main()
