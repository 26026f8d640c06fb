"""The real photos behind PIPER's composite sets (``albumtag.evaluation.composite``), shared by
``bench/piper_ablation.py`` and the trainer's ``fusion`` task so both build them one way.

Each identity pairs one ``faces-lfw`` person with one ``bodies-cuhk03/val`` person:

- faces: LFW people with ``MIN_FACE_PHOTOS`` or more photos, of one half of the fixed split
  (``albumtag.evaluation.splits``): the trainer takes the training half only, the benches
  the held-out half.
- bodies: CUHK03 val people (the body descriptor trains on ``train_resized`` only), all 100
  or one fixed half by the numeric person id: EVEN ids are the FUSION half (the trainer
  learns the shipped fusion weights on them), ODD ids the EVALUATION half (the trainer's
  held-out check of those weights). ``bench/piper_ablation.py`` uses all of them: it learns
  its own weights on its own splits and never reads the shipped ones.

Descriptors are the app's: a face system's centred face per photo (LFW's construction),
cached by photo list; per body crop, the body descriptor plus colour and one part per
poselet type that fires on it (``poselet_parts``), cached by crop list and model versions.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from albumtag.embed.body_descriptor import BodyDescriptor, describe_with_colour
from albumtag.embed.body_parts import part_feature
from albumtag.embed.face_analysis import FaceAnalysis
from albumtag.evaluation import face_system, reference_system
from albumtag.evaluation.composite import FACE, CompositeSet, pair_people
from albumtag.evaluation.photo_sets import LabelledPhoto
from albumtag.evaluation.run_result import SystemRun
from albumtag.evaluation.splits import is_training_person
from albumtag.vision.crop_pose import crop_detector, crop_pose
from albumtag.vision.poselets import crop_part, fire, load_poselets

MIN_FACE_PHOTOS = 10
CUHK03_VAL = "bodies-cuhk03/val"
FUSION_HALF, EVALUATION_HALF = "fusion", "evaluation"
Pair = tuple[str, str, int]  # face person, body person, instances (``composite.pair_people``)


def lfw_people(shared: Path, training: bool, min_photos: int = MIN_FACE_PHOTOS) -> dict[str, list[Path]]:
    """LFW people of one half of the fixed split (``training``: the half the trainer may
    learn from; else the held-out half) with at least ``min_photos`` photos, sorted."""
    folders = [f for f in sorted((shared / "faces-lfw").iterdir())
               if f.is_dir() and is_training_person(f.name) == training]
    found = {f.name: sorted(f.glob("*.jpg")) for f in folders}
    return {name: photos for name, photos in found.items() if len(photos) >= min_photos}


def cuhk03_half(person: str) -> str:
    """FUSION_HALF for an even numeric person id, EVALUATION_HALF for an odd one."""
    return FUSION_HALF if int(person) % 2 == 0 else EVALUATION_HALF


def cuhk03_people(shared: Path, half: str | None = None) -> dict[str, list[Path]]:
    """CUHK03 val crops by person (``PPPP_NN.jpg``), both cameras; only one half's people
    when ``half`` is FUSION_HALF or EVALUATION_HALF."""
    if half not in (None, FUSION_HALF, EVALUATION_HALF):
        raise ValueError(f"half must be {FUSION_HALF!r}, {EVALUATION_HALF!r} or None, got {half!r}")
    people: dict[str, list[Path]] = {}
    for path in sorted((shared / CUHK03_VAL).glob("*.jpg")):
        person = path.stem.split("_")[0]
        if half is None or cuhk03_half(person) == half:
            people.setdefault(person, []).append(path)
    return people


def load_rgb(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


def face_run(system: str, photos: Sequence[Path], device: str, cache: Path | None = None) -> SystemRun:
    """Face descriptors of the centred face per photo (LFW's construction) by ``system``
    ("albumtag" or the dlib reference), cached in ``cache`` by photo list and, for AlbumTag,
    the face analysis' version, the one the faces stage stores (a rebuilt descriptor must not
    meet old vectors)."""
    versions = [FaceAnalysis(device).version] if system == "albumtag" else []
    key = hashlib.sha256("\n".join([*versions, *map(str, photos)]).encode()).hexdigest()[:16]
    path = cache / f"composite-faces-{system}-{key}.npz" if cache is not None else None
    if path is not None and path.is_file():
        return SystemRun.load(path)
    labelled = [LabelledPhoto(p, None) for p in photos]
    if system == "albumtag":
        run = face_system.run(labelled, device, pick="central")
    else:
        run = reference_system.run(labelled, pick="central")
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        run.save(path)
    return run


def poselet_parts(model: BodyDescriptor, crops: list[np.ndarray], device: str
                  ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Per poselet type that fires on any crop: descriptors [N, D] (zeros where it did not
    fire) and the fired mask [N], as the bodies stage computes them for a detected person."""
    detector, poselets = crop_detector(device), load_poselets()
    by_type: dict[str, dict[int, np.ndarray]] = {}
    for row, crop in enumerate(crops):
        pose = crop_pose(detector, crop)
        for part in fire(poselets, pose, *crop.shape[:2]) if pose is not None else []:
            by_type.setdefault(part_feature(part.type.name), {})[row] = crop_part(crop, part)
    parts, fired = {}, {}
    for kind, found in sorted(by_type.items()):
        rows = sorted(found)
        vectors = describe_with_colour(model, [found[r] for r in rows])
        parts[kind] = np.zeros((len(crops), vectors.shape[1]), np.float32)
        parts[kind][rows] = vectors
        fired[kind] = np.isin(np.arange(len(crops)), rows)
    return parts, fired


@dataclass(frozen=True)
class BodyFeatures:
    """What the app stores for each body crop: ``body`` [N, D] and, per poselet type that
    fired on any of them, its descriptors [N, D] (zeros where it did not fire) and mask."""

    paths: list[Path]
    body: np.ndarray
    parts: dict[str, np.ndarray]
    fired: dict[str, np.ndarray]

    def rows(self, paths: Sequence[Path]) -> BodyFeatures:
        """These crops' rows, in this order; types that fire on none of them are left out.
        The same crops give this object itself, so sets built on them share its arrays."""
        if list(paths) == self.paths:
            return self
        index = {path: row for row, path in enumerate(self.paths)}
        rows = np.array([index[path] for path in paths], dtype=np.int64)
        kinds = [kind for kind in self.parts if self.fired[kind][rows].any()]
        return BodyFeatures(list(paths), self.body[rows], {k: self.parts[k][rows] for k in kinds},
                            {k: self.fired[k][rows] for k in kinds})


def describe_bodies(paths: Sequence[Path], device: str, cache: Path | None = None) -> BodyFeatures:
    """Body and poselet-part descriptors of these crops, cached in ``cache`` by crop list
    and the versions of the body descriptor, pose models and poselet types."""
    model = BodyDescriptor(device=device)
    versions = [model.version, crop_detector(device).version, load_poselets().version]
    key = hashlib.sha256(json.dumps([versions, [str(p) for p in paths]]).encode()).hexdigest()[:16]
    path = cache / f"composite-bodies-{key}.npz" if cache is not None else None
    if path is not None and path.is_file():
        with np.load(path) as data:
            kinds = json.loads(str(data["kinds"]))
            return BodyFeatures(list(paths), data["body"], {k: data[f"part_{i}"] for i, k in enumerate(kinds)},
                                {k: data[f"fired_{i}"] for i, k in enumerate(kinds)})
    crops = [load_rgb(p) for p in paths]
    body = describe_with_colour(model, crops)
    parts, fired = poselet_parts(model, crops, device)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        arrays = {f"part_{i}": parts[k] for i, k in enumerate(parts)}
        arrays.update({f"fired_{i}": fired[k] for i, k in enumerate(parts)})
        np.savez(path, body=body, kinds=json.dumps(list(parts)), **arrays)
    return BodyFeatures(list(paths), body, parts, fired)


def sample_pairs(faces: dict[str, list[Path]], bodies: dict[str, list[Path]], seed: int) -> list[Pair]:
    """A simulated album: as many face people as there are body people (or all of them when
    fewer), drawn at random, each paired with a random body person (``pair_people``)."""
    rng = np.random.default_rng(seed)
    names = sorted(faces)
    chosen = sorted(rng.choice(names, size=min(len(names), len(bodies)), replace=False).tolist())
    return pair_people({n: len(faces[n]) for n in chosen}, {n: len(p) for n, p in bodies.items()}, seed)


def pair_paths(pairs: Sequence[Pair], faces: dict[str, list[Path]], bodies: dict[str, list[Path]]
               ) -> tuple[list[Path], list[Path]]:
    """The face photos and body crops of the paired people, identity by identity: the first
    ``n`` (sorted) of each side, ``n`` the pair's instance count."""
    return ([p for f, _, n in pairs for p in faces[f][:n]], [p for _, b, n in pairs for p in bodies[b][:n]])


def composite_set(pairs: Sequence[Pair], faces: dict[str, list[Path]], bodies: dict[str, list[Path]],
                  face_photos: Sequence[Path], face: SystemRun, described: BodyFeatures) -> CompositeSet:
    """The composite set of ``pairs`` (identity k = pairs[k]), reading each face from ``face``
    (run on ``face_photos``) and each body from ``described`` (any superset of the crops)."""
    labels = np.concatenate([np.full(n, k) for k, (_, _, n) in enumerate(pairs)]).astype(np.int64)
    wanted_faces, wanted_bodies = pair_paths(pairs, faces, bodies)
    index = {path: row for row, path in enumerate(face_photos)}
    face_rows = np.array([index[p] for p in wanted_faces], dtype=np.int64)
    body = described.rows(wanted_bodies)
    return CompositeSet(labels, body.body, {FACE: face.vectors[face_rows], **body.parts},
                        {FACE: face.found[face_rows], **body.fired})
