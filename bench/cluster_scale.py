"""Grouping at scale: ``update_groups`` on a library of N faces (default 100,000), on the CPU.

    python -m bench.cluster_scale [--faces 100000] [--people 5000]

Face descriptors are synthetic (people as points on a sphere of dlib-like radius, faces
scattered around them at dlib-like same-person distances), stored in a real library through
the schema; the figure is the wall time of a full (first) grouping and of an incremental
re-grouping after 1% new faces, with the number of groups found.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from albumtag.app.grouping import update_groups
from albumtag.embed.face_descriptor import FACE_FEATURE
from albumtag.library.database import Library
from albumtag.library.model_versions import model_version_id
from albumtag.library.schema import Album, Feature, PersonInstance, Photo
from albumtag.library.vectors import to_blob

SPREAD = 0.022  # per-dimension noise: same-person distances around 0.35, as dlib's


def synthetic_people(rng: np.random.Generator, people: int) -> np.ndarray:
    centres = rng.normal(0, 1, (people, 128))
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
        ids = range(start, start + len(vectors))
        session.execute(insert(Photo), [{"id": i, "album_id": album_id, "relpath": f"{i}.jpg", "size": 1,
                                         "content_hash": f"{i:032x}",
                                         "mtime_ns": 0, "missing": False} for i in ids])
        session.execute(insert(PersonInstance), [{"id": i, "photo_id": i, "quality": 0.9, "face_x1": 0.0,
                                                  "face_y1": 0.0, "face_x2": 1.0, "face_y2": 1.0} for i in ids])
        session.execute(insert(Feature), [{"instance_id": i, "kind": FACE_FEATURE, "model_version_id": model,
                                           "vector": to_blob(v), "norm": float(np.linalg.norm(v))}
                                          for i, v in zip(ids, vectors)])


def _album(session) -> int:
    album = Album(name="synthetic", root="/synthetic")
    session.add(album)
    session.flush()
    return album.id


def timed(label: str, action) -> object:
    started = time.perf_counter()
    result = action()
    print(f"{label}: {time.perf_counter() - started:.1f} s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--faces", type=int, default=100_000)
    parser.add_argument("--people", type=int, default=5_000)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    people = synthetic_people(rng, args.people)
    with tempfile.TemporaryDirectory() as tmp:
        library = Library.open(Path(tmp) / "scale.albumtag")
        timed(f"store {args.faces} faces", lambda: add_faces(library, synthetic_faces(rng, args.faces, people), 1))
        first = timed("group all faces (first run)", lambda: update_groups(library))
        print(f"  {first.groups} groups for {args.people} people, {first.assigned} faces assigned")
        extra = args.faces // 100
        add_faces(library, synthetic_faces(rng, extra, people), args.faces + 1)
        again = timed(f"re-group after {extra} new faces (incremental)", lambda: update_groups(library))
        print(f"  {again.groups} groups, {again.new_groups} new (the new faces are of known people)")
        library.close()


if __name__ == "__main__":
    main()
