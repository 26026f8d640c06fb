"""Face maps z_x for the head: LFW photos -> the app's own face analysis
(``albumtag.embed.face_analysis``: MTCNN detection, the alignment template, ``face_chip``; on
LFW only the face nearest the centre, as ``bench/verification.py`` picks) -> our torch port of
dlib's ResNet, keeping the last residual block's output ``z_x`` ([256, 2, 2], before the
average pool and fc) and the plain 128-d descriptor (``fc(mean(z_x))``, the app's ONNX output
up to 4e-7).

Cached as ``.npz`` shards under ``CACHE/face-head/`` (one per split and 512 photos), keyed by
a hash of the photo list, so a killed extraction resumes at its last shard.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import torch

from albumtag.evaluation.run_result import pick_face
from albumtag.evaluation.splits import is_training_person
from albumtag.io.atomic import write_atomic
from albumtag.io.photo_batches import PhotoFile
from albumtag.vision.face_detection import FaceDetection

SHARD = 512
MAP_SHAPE = (256, 2, 2)
DESCRIPTOR_SIZE = 128


@dataclass
class FaceMaps:
    paths: list[str]  # relative to the LFW folder: PERSON/PHOTO.jpg
    labels: np.ndarray  # int [N]: index into people
    people: list[str]
    found: np.ndarray  # bool [N]
    maps: np.ndarray  # float32 [N, 256, 2, 2] (zeros where no face)
    descriptors: np.ndarray  # float32 [N, 128]

    def subset(self, keep: np.ndarray) -> FaceMaps:
        keep = np.asarray(keep)
        index = np.flatnonzero(keep) if keep.dtype == bool else keep
        return FaceMaps([self.paths[k] for k in index], self.labels[index], self.people,
                        self.found[index], self.maps[index], self.descriptors[index])


def lfw_people(lfw: Path, training: bool, max_people: int | None = None,
               max_per_person: int | None = None) -> list[tuple[str, list[Path]]]:
    """People of one half of the fixed split (``splits.is_training_person``), sorted by name,
    each with their photos sorted (the first ``max_per_person``; ``max_people``: the first
    people, for smoke runs)."""
    people = [(f.name, sorted(f.glob("*.jpg"))[:max_per_person]) for f in sorted(lfw.iterdir())
              if f.is_dir() and is_training_person(f.name) == training]
    people = [(name, photos) for name, photos in people if photos]
    return people[:max_people] if max_people else people


def load_descriptor_net() -> torch.nn.Module:
    from trainer.faces.build_descriptor import weights_path
    from trainer.faces.dlib_resnet import load_dlib_resnet

    return load_dlib_resnet(weights_path())


def maps_and_descriptors(net: torch.nn.Module, chips: np.ndarray, batch: int = 32) -> tuple[np.ndarray, np.ndarray]:
    """uint8 chips [N, 150, 150, 3] -> (z_x [N, 256, 2, 2], descriptor [N, 128])."""
    maps, vectors = [], []
    with torch.no_grad():
        for i in range(0, len(chips), batch):
            x = torch.from_numpy(chips[i:i + batch].astype(np.float32))
            x = (x.permute(0, 3, 1, 2) - net.mean) * (1.0 / 256.0)
            x = torch.nn.functional.max_pool2d(torch.relu(net.stem(x)), 3, 2)
            z = net.blocks(x)
            maps.append(z.numpy())
            vectors.append(net.fc(z.mean(dim=(2, 3))).numpy())
    return np.concatenate(maps), np.concatenate(vectors)


def central_chips(paths: list[Path], models_root: Path | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The app's detection + alignment on each photo; the chip of the face nearest the
    centre (found [N], chips [N, 150, 150, 3] uint8, zeros where no face)."""
    from albumtag.embed.face_analysis import FaceAnalysis

    analysis = FaceAnalysis("cpu", models_root, describe=False)
    found = np.zeros(len(paths), bool)
    chips = np.zeros((len(paths), 150, 150, 3), np.uint8)
    jobs = [PhotoFile(k, str(p)) for k, p in enumerate(paths)]
    for job, photo in analysis.analyse_files(jobs, keep=_central_face):
        if not isinstance(photo, Exception) and photo.faces:
            found[job.key], chips[job.key] = True, photo.faces[0].chip
    return found, chips


def _central_face(faces: list[FaceDetection], image: np.ndarray) -> list[int]:
    chosen = pick_face([d.box for d in faces], image.shape[1], image.shape[0], "central")
    return [] if chosen is None else [chosen]


def chips_version(models_root: Path | None = None) -> str:
    """What the cached chips depend on besides the photos: the app's detector and alignment
    template (a rebuilt detector or template cuts other chips)."""
    from albumtag.embed.face_analysis import FaceAnalysis

    return FaceAnalysis("cpu", models_root, describe=False).version


def _key(split: str, paths: list[str], version: str) -> str:
    return f"{split}-{hashlib.sha256(chr(10).join([version, *paths]).encode()).hexdigest()[:12]}"


def load_split(lfw: Path, cache: Path, training: bool, max_people: int | None = None,
               max_per_person: int | None = None, log=print) -> FaceMaps:
    """z_x and descriptors of one half of LFW, extracted once and cached in shards, keyed by
    the photos and ``chips_version``."""
    people = lfw_people(lfw, training, max_people, max_per_person)
    photos = [p for _, ps in people for p in ps]
    labels = np.array([k for k, (_, ps) in enumerate(people) for _ in ps], dtype=np.int64)
    relative = [p.relative_to(lfw).as_posix() for p in photos]
    split = "train" if training else "heldout"
    folder = cache / _key(split, relative, chips_version())
    folder.mkdir(parents=True, exist_ok=True)
    net = None
    parts = []
    for start in range(0, len(photos), SHARD):
        shard = folder / f"{start // SHARD:04d}.npz"
        if not shard.is_file():
            net = net or load_descriptor_net()
            clock = time.perf_counter()
            found, chips = central_chips(photos[start:start + SHARD])
            maps, vectors = maps_and_descriptors(net, chips)
            maps[~found], vectors[~found] = 0.0, 0.0
            arrays = {"found": found, "maps": maps.astype(np.float32), "descriptors": vectors.astype(np.float32)}
            write_atomic(shard, partial(np.savez, **arrays), durable=False)
            log(f"face-head data: {split} photos {start}-{start + len(found)} of {len(photos)} "
                f"({time.perf_counter() - clock:.1f} s, {int(found.sum())} faces)")
        with np.load(shard) as data:
            parts.append({k: data[k] for k in ("found", "maps", "descriptors")})
    return FaceMaps(relative, labels, [name for name, _ in people],
                    np.concatenate([p["found"] for p in parts]), np.concatenate([p["maps"] for p in parts]),
                    np.concatenate([p["descriptors"] for p in parts]))
