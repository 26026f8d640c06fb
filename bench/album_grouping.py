"""Grouping at album scale: one group per person when each has many photos, strangers left alone.

    python -m bench.album_grouping [--half dev|held-out] [--sets SET ...] [--device cpu]
                                   [--variant NAME ...] [--params key=value ...]

The sets (``albumtag.evaluation.album_sets``): ``lfw-family-F-strangers-S`` and
``lfw-family-F-acquaintances-A-strangers-S`` (plus every photo of A people seen 2-9 times) from
LFW's chosen half (``dev``: the training half, where grouping may be chosen; ``held-out``: the
other, to report on), ``crops-dev``, ``pins-dev-a`` (choices may be made here), ``pins-dev-b``
(report) and ``pins-dev`` (both). Default sets: every LFW size (family 5, 15, 40 x strangers 0,
300, 1000), two with 200 acquaintances (family 15 with every other stranger, family 40 with
300), then ``pins-dev-a`` for ``dev``; ``crops-dev`` and ``pins-dev-b`` for ``held-out``.

The photos are imported once through the app's own stages (decode, faces, regions) into a
temporary library, as ``bench/grouping_dev.py`` does, and every face row the grouping reads
(vector, quality, photo, day, box) is cached in ``.cache/bench/album_grouping/`` keyed by the
stages' model versions and the photo list; the LFW sets of one half share one cache (every
photo of the 40 most-photographed family candidates and every stranger) and a second one (the
acquaintances' other photos), being subsets of them. The groups the import makes are dropped:
each grouping starts from no one assigned, as the first import of a new library does.

Each photo's largest face stands for it (as in ``albumtag-bench``); a photo without a face is
a singleton miss. The grouping runs over every detected face of the set's photos. Printed per
set: people, photos, strangers, photos with a face, and ``nn-same``: of the family photos with
a face, the share whose nearest other photo's face is the same person. Then per grouping:
BCubed precision / recall / F1 over the labelled photos (family and acquaintances; strangers
count inside the clusters they join); ``groups``: clusters of the set's photos holding 2+
photos, ``single``: those holding one (faceless photos included); ``str>fam``: the share of
strangers whose cluster holds a labelled photo (the issue asks for at most 1%); ``str-grp``:
the share of strangers in any cluster of 2+ photos; seconds. The groupings are the app's
``group_labels`` with ``GroupingParams()`` (``app``), any ``--variant`` and ``--params``, and
``yardstick``: the best single average-linkage threshold (euclidean, 0.30 to 0.70 by 0.01) over
the same faces, picked by F1 with the answers in hand, so only a yardstick, never a choice.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from sqlalchemy import select

from albumtag.app.grouping import load_instances
from albumtag.app.importer import import_folders
from albumtag.app.progress import Progress
from albumtag.app.settings import EngineSettings
from albumtag.app.stages.decode import DecodeStage
from albumtag.app.stages.faces import FaceStage
from albumtag.app.stages.regions import RegionStage
from albumtag.evaluation.album_sets import (
    LfwSize,
    acquaintance_people,
    album,
    check_set_name,
    default_lfw_sets,
    lfw_album,
    lfw_half,
    parse_lfw_set,
)
from albumtag.evaluation.metrics import bcubed
from albumtag.evaluation.photo_sets import LabelledPhoto, staged_album
from albumtag.evaluation.run_result import pick_face
from albumtag.library.database import Library
from albumtag.library.schema import PersonInstance, Photo
from albumtag.recognize.grouping import GroupingParams, Instances, group_labels
from albumtag.runtime.providers import Device

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
CACHE = Path(__file__).resolve().parents[1] / ".cache" / "bench" / "album_grouping"
CACHE_FORMAT = 1
LFW_POOL = LfwSize(40, 1000)  # the LFW photos cached per half: every default set is a subset
THRESHOLDS = np.round(np.arange(0.30, 0.7001, 0.01), 2)
APP = GroupingParams()
VARIANTS = {
    "app": APP,
    "cw-only": dataclasses.replace(APP, split_radius=np.inf, join_radius=0.0, min_conflicts=0),
    "no-cannot-link": dataclasses.replace(APP, min_conflicts=0),
    # the rules as at 209dece, before evict_far_faces and join_pieces (lone faces and pieces)
    "no-evict": dataclasses.replace(APP, evict_ratio=0.0, adopt_ratio=0.0, piece_ratio=0.0),
    # without join_pieces for pieces of 2-4 faces (GroupingParams.piece_ratio): they stay apart
    "no-pieces": dataclasses.replace(APP, piece_ratio=0.0),
}


@dataclass(frozen=True)
class Faces:
    """Every detected face of some photos, as the grouping reads it, with its photo."""

    paths: list[Path]  # the photos, absolute
    photo: np.ndarray  # [N] the face's photo, an index into paths
    vectors: np.ndarray  # [N, 128]
    quality: np.ndarray
    days: np.ndarray
    boxes: np.ndarray  # [N, 4] x1 y1 x2 y2

    def largest(self) -> np.ndarray:
        """Per photo, the row of its largest face, -1 where none was found."""
        found: dict[int, list[int]] = {}
        for row, photo in enumerate(self.photo.tolist()):
            found.setdefault(photo, []).append(row)
        result = np.full(len(self.paths), -1, dtype=np.int64)
        for photo, rows in found.items():
            result[photo] = rows[pick_face([tuple(b) for b in self.boxes[rows]], 0, 0, "largest")]
        return result

    @staticmethod
    def join(parts: Sequence[Faces]) -> Faces:
        offsets = np.cumsum([0] + [len(p.paths) for p in parts])
        return Faces([path for p in parts for path in p.paths],
                     np.concatenate([p.photo + o for p, o in zip(parts, offsets)]),
                     *(np.concatenate([getattr(p, f) for p in parts]) for f in ("vectors", "quality", "days", "boxes")))


def stage_versions(face_stage: FaceStage) -> list[str]:
    return [str(CACHE_FORMAT), DecodeStage(Path(".")).version, face_stage.version, RegionStage().version]


def cache_path(pool: str, paths: Sequence[Path], shared: Path, versions: list[str]) -> Path:
    names = [str(p.relative_to(shared)) if p.is_relative_to(shared) else str(p) for p in paths]
    key = hashlib.sha256(json.dumps([versions, names]).encode()).hexdigest()[:16]
    return CACHE / f"{pool}-{key}.npz"


def _progress(name: str):
    last = [0.0]

    def report(p: Progress) -> None:
        now = time.monotonic()
        if p.total and (now - last[0] > 30 or p.done == p.total):
            last[0] = now
            print(f"  {name}: {p.label} {p.done}/{p.total} ({p.elapsed_s:.0f} s)", file=sys.stderr, flush=True)
    return report


def import_faces(name: str, paths: list[Path], device: str) -> Faces:
    """Every face of the photos, found and described through the app's own stages."""
    with tempfile.TemporaryDirectory(prefix="albumtag-album-grouping-") as tmp:
        work = Path(tmp)
        folder = work / "album"
        folder.mkdir()
        relpaths = staged_album([LabelledPhoto(p, None) for p in paths], folder)
        library = Library.open(work / "bench.albumtag")
        stages = [DecodeStage(library.thumbnails_dir), FaceStage(device), RegionStage()]
        import_folders(library, [folder], progress=_progress(name), stages=stages,
                       settings=EngineSettings(device=Device(device)))
        with library.session() as session:
            faces = load_instances(session)
            rows = session.execute(select(PersonInstance.id, Photo.relpath, PersonInstance.face_x1,
                                          PersonInstance.face_y1, PersonInstance.face_x2, PersonInstance.face_y2)
                                   .join(Photo, Photo.id == PersonInstance.photo_id)).all()
        library.close()
    photo_of = {relpath: k for k, relpath in enumerate(relpaths)}
    where = {int(i): (photo_of[relpath], box) for i, relpath, *box in rows}
    keep = np.flatnonzero(faces.has_face)
    return Faces(list(paths), np.array([where[int(faces.instance_ids[k])][0] for k in keep], dtype=np.int64),
                 faces.vectors[keep].astype(np.float32), faces.quality[keep].astype(np.float64),
                 faces.days[keep].astype(np.int64),
                 np.array([where[int(faces.instance_ids[k])][1] for k in keep], dtype=np.float64).reshape(-1, 4))


def pool_faces(pool: str, paths: list[Path], shared: Path, versions: list[str], device: str) -> Faces:
    """The pool's faces from the cache, or imported (and cached) when the cache lacks them."""
    path = cache_path(pool, paths, shared, versions)
    if path.is_file():
        with np.load(path) as data:
            return Faces(list(paths), data["photo"], data["vectors"], data["quality"], data["days"], data["boxes"])
    print(f"{pool}: importing {len(paths)} photos (cached in {path})", file=sys.stderr, flush=True)
    start = time.perf_counter()
    faces = import_faces(pool, paths, device)
    print(f"{pool}: {len(faces.photo)} faces in {time.perf_counter() - start:.0f} s", file=sys.stderr, flush=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, photo=faces.photo, vectors=faces.vectors, quality=faces.quality, days=faces.days,
                        boxes=faces.boxes)
    return faces


def pools_for(sets: Sequence[str], shared: Path, training: bool, half: str) -> dict[str, list[Path]]:
    """The photo pools the sets are taken from, each imported (and cached) as one."""
    pools: dict[str, list[Path]] = {}
    sizes = [s for s in map(parse_lfw_set, sets) if s is not None]
    if sizes:
        people = lfw_half(shared / "faces-lfw", training)
        size = LfwSize(max([LFW_POOL.family] + [s.family for s in sizes]),
                       max([LFW_POOL.strangers] + [s.strangers for s in sizes]))
        pools[f"lfw-{half}"] = [p.path for p in lfw_album(people, size)]
        acquaintances = max(s.acquaintances for s in sizes)
        if acquaintances:  # their other photos: the first is in the pool above, as a stranger's
            pooled = set(pools[f"lfw-{half}"])
            pools[f"lfw-{half}-acquaintances"] = [p for name in acquaintance_people(people, acquaintances)
                                                  for p in people[name] if p not in pooled]
    for name in sets:
        for pool in (["pins-dev-a", "pins-dev-b"] if name == "pins-dev" else [name]):
            if parse_lfw_set(pool) is None and pool not in pools:
                pools[pool] = [p.path for p in album(shared, pool, training)]
    return pools


@dataclass(frozen=True)
class AlbumSet:
    """One set's grouping input and answers."""

    instances: Instances  # every face of the set's photos
    labels: list[Hashable | None]  # per photo: the person, None for a stranger
    face: np.ndarray  # per photo: its largest face's row in instances, -1 where none


def take(faces: Faces, largest: np.ndarray, photos: Sequence[LabelledPhoto]) -> AlbumSet:
    index = {path: k for k, path in enumerate(faces.paths)}
    chosen = np.array([index[p.path] for p in photos], dtype=np.int64)
    rows = np.flatnonzero(np.isin(faces.photo, chosen))
    position = np.full(len(faces.photo), -1, dtype=np.int64)
    position[rows] = np.arange(len(rows))
    reps = largest[chosen]
    face = np.where(reps >= 0, position[np.maximum(reps, 0)], -1)
    n = len(rows)
    instances = Instances(instance_ids=np.arange(n, dtype=np.int64), photo_ids=faces.photo[rows],
                          vectors=faces.vectors[rows], quality=faces.quality[rows],
                          person_ids=np.full(n, -1, dtype=np.int64), fixed=np.zeros(n, dtype=bool),
                          days=faces.days[rows], bodies=np.full((n, 1), np.nan, dtype=np.float32))
    return AlbumSet(instances, [p.label for p in photos], face)


def photo_clusters(face_labels: np.ndarray, face: np.ndarray) -> list[Hashable]:
    """Per photo, its largest face's cluster; a photo without a face is alone."""
    return [("alone", k) if row < 0 else int(face_labels[row]) for k, row in enumerate(face.tolist())]


@dataclass(frozen=True)
class Scored:
    precision: float
    recall: float
    f1: float
    groups: int  # clusters of 2+ photos
    singles: int  # clusters of one photo
    strangers_in_family: float
    strangers_grouped: float


def score(labels: Sequence[Hashable | None], clusters: Sequence[Hashable]) -> Scored:
    result = bcubed(labels, clusters)
    sizes = Counter(clusters)
    family_clusters = {c for c, y in zip(clusters, labels) if y is not None}
    strangers = [c for c, y in zip(clusters, labels) if y is None]
    share = max(len(strangers), 1)
    return Scored(result.precision, result.recall, result.f1, sum(n >= 2 for n in sizes.values()),
                  sum(n == 1 for n in sizes.values()), sum(c in family_clusters for c in strangers) / share,
                  sum(sizes[c] >= 2 for c in strangers) / share)


def nearest_same(album_set: AlbumSet) -> float:
    """Of the family photos with a face, the share whose nearest other photo's face (the face
    standing for it) is the same person."""
    with_face = np.flatnonzero(album_set.face >= 0)
    vectors = album_set.instances.vectors[album_set.face[with_face]].astype(np.float64)
    labels = [album_set.labels[k] for k in with_face]
    family = [k for k, y in enumerate(labels) if y is not None]
    if not family or len(with_face) < 2:
        return float("nan")
    squares = (vectors ** 2).sum(axis=1)
    right = 0
    for start in range(0, len(family), 512):
        block = np.array(family[start:start + 512])
        d2 = squares[block, None] + squares[None, :] - 2 * vectors[block] @ vectors.T
        d2[np.arange(len(block)), block] = np.inf
        nearest = np.argmin(d2, axis=1)
        right += sum(labels[n] == labels[q] for q, n in zip(block.tolist(), nearest.tolist()))
    return right / len(family)


def yardstick(album_set: AlbumSet) -> tuple[float, Scored, float]:
    """The best single average-linkage threshold by F1 over every face of the set, its
    scores, and the seconds the linkage took."""
    instances = album_set.instances
    start = time.perf_counter()
    tree = linkage(instances.vectors.astype(np.float64), method="average", metric="euclidean") \
        if len(instances.vectors) >= 2 else None
    seconds = time.perf_counter() - start
    best: tuple[float, Scored] | None = None
    for threshold in THRESHOLDS:
        face_labels = (fcluster(tree, threshold, criterion="distance") if tree is not None
                       else np.arange(len(instances.vectors)))
        scored = score(album_set.labels, photo_clusters(face_labels, album_set.face))
        if best is None or scored.f1 > best[1].f1:
            best = (float(threshold), scored)
    assert best is not None
    return best[0], best[1], seconds


def parse_params(items: Sequence[str]) -> GroupingParams:
    """``GroupingParams()`` with ``key=value`` fields replaced (values as the field's type)."""
    types = {f.name: type(getattr(APP, f.name)) for f in dataclasses.fields(APP)}
    changes = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or key not in types:
            raise SystemExit(f"--params wants key=value with key one of {', '.join(types)}; got {item!r}")
        changes[key] = types[key](float(value)) if types[key] is int else types[key](value)
    return dataclasses.replace(APP, **changes)


def row(name: str, s: Scored, seconds: float) -> str:
    return (f"  {name:<18} {s.precision:6.4f} {s.recall:6.4f} {s.f1:6.4f} {s.groups:6d} {s.singles:6d} "
            f"{100 * s.strangers_in_family:7.2f}% {100 * s.strangers_grouped:7.2f}% {seconds:7.2f}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=SHARED)
    parser.add_argument("--half", choices=("dev", "held-out"), default="dev")
    parser.add_argument("--sets", nargs="+", type=check_set_name,
                        help="default: every LFW size, then pins-dev-a (dev) or crops-dev and pins-dev-b (held-out)")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    parser.add_argument("--variant", nargs="+", default=[], choices=sorted(VARIANTS),
                        help="GroupingParams variants to print beside the app's")
    parser.add_argument("--params", nargs="+", default=[], metavar="KEY=VALUE",
                        help="one more variant: GroupingParams() with these fields replaced")
    args = parser.parse_args(argv)
    training = args.half == "dev"
    sets = args.sets or default_lfw_sets() + (["pins-dev-a"] if training else ["crops-dev", "pins-dev-b"])
    variants = {"app": APP} | {name: VARIANTS[name] for name in args.variant}
    if args.params:
        variants[" ".join(args.params)] = parse_params(args.params)

    versions = stage_versions(FaceStage(args.device))
    start = time.perf_counter()
    pools = pools_for(sets, args.shared, training, args.half)
    faces = Faces.join([pool_faces(name, paths, args.shared, versions, args.device) for name, paths in pools.items()])
    largest = faces.largest()
    print(f"LFW half: {args.half}; faces of {len(faces.paths)} photos ready in {time.perf_counter() - start:.1f} s;"
          f" models {versions[2]}")
    print("  grouping                P      R     F1 groups single  str>fam str-grp seconds")
    for name in sets:
        photos = album(args.shared, name, training)
        album_set = take(faces, largest, photos)
        people = len({y for y in album_set.labels if y is not None})
        strangers = sum(y is None for y in album_set.labels)
        print(f"{name}: {people} people, {len(photos)} photos, {strangers} strangers; a face in "
              f"{int((album_set.face >= 0).sum())} photos, {len(album_set.instances.vectors)} faces; "
              f"nn-same {nearest_same(album_set):.4f}")
        for variant, params in variants.items():
            began = time.perf_counter()
            face_labels = group_labels(album_set.instances, {}, params)
            seconds = time.perf_counter() - began
            print(row(variant, score(album_set.labels, photo_clusters(face_labels, album_set.face)), seconds))
        threshold, scored, seconds = yardstick(album_set)
        print(row(f"yardstick @{threshold:.2f}", scored, seconds), flush=True)


if __name__ == "__main__":
    main()
