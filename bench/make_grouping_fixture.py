"""Real face descriptors for the grouping tests: a person with 300 photos, a person whose faces
lie unusually close together, and for each the one-photo strangers closest to them, written
to ``tests/data/grouping/big-person.npz``.

    python -m bench.make_grouping_fixture [--shared ../shared/data] [--device cpu]

No shared person has 300 photos: the person is faces-pins-dev's Logan Lerman (212 photos, in
the half choices may be made on), each photo plus, for the first 88, a second shot of it:
turned by 6 degrees and framed 10% closer, so the face is found, aligned and resampled anew
and gives another descriptor, as a second shot of the same moment would (a mirror image no
longer does: the descriptor averages each chip with its mirror image). The
strangers are the album sets' strangers of LFW's training half (the first photo of each
person with fewer than 10 photos), the ``--strangers`` whose largest face is nearest any of
his faces: the hardest to keep out. The tight person is Roh Moo-hyun, every photo (32) of LFW's
training half, with his nearest strangers: on dlib's descriptor faces of one ethnicity lie
close together, and before ``evict_far_faces`` 24 of these 40 joined his group. Faces are
found and described by the app's own stages, through ``bench.album_grouping`` and its cache;
each photo's largest face is kept, with its quality.
Rerun when the face detector or descriptor changes.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from albumtag.app.stages.faces import FaceStage
from albumtag.evaluation.album_sets import album
from bench.album_grouping import SHARED, Faces, import_faces, pool_faces, pools_for, stage_versions

PERSON = "Logan_Lerman"
TIGHT = "Roh_Moo-hyun"
LFW_SET = "lfw-family-40-strangers-1000"  # the training half's 40 most photographed and every stranger
PHOTOS = 300
SHOT_TURN = 6.0  # degrees
SHOT_CLOSER = 0.10  # of each side
OUT = Path(__file__).resolve().parents[1] / "tests" / "data" / "grouping" / "big-person.npz"


def largest_faces(faces: Faces, photos: list[Path] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The vector and quality of the largest face of each photo (of ``photos`` only, when
    given), photos without a face left out."""
    rows = faces.largest()
    if photos is not None:
        index = {path: k for k, path in enumerate(faces.paths)}
        rows = rows[[index[p] for p in photos]]
    rows = rows[rows >= 0]
    return faces.vectors[rows], faces.quality[rows]


def cached_set(name: str, shared: Path, versions: list[str], device: str) -> Faces:
    """The faces of an album set's pool, as ``bench.album_grouping`` caches them."""
    (pool, paths), = pools_for([name], shared, True, "dev").items()
    return pool_faces(pool, paths, shared, versions, device)


def second_shot(image: Image.Image) -> Image.Image:
    """The photo turned by 6 degrees and framed 10% closer (5% off each side)."""
    turned = image.rotate(SHOT_TURN, resample=Image.Resampling.BICUBIC)
    width, height = turned.size
    dx, dy = round(width * SHOT_CLOSER / 2), round(height * SHOT_CLOSER / 2)
    return turned.crop((dx, dy, width - dx, height - dy))


def second_shot_faces(photos: list[Path], device: str) -> Faces:
    with tempfile.TemporaryDirectory(prefix="albumtag-fixture-") as tmp:
        copies = []
        for photo in photos:
            copy = Path(tmp) / f"shot-{photo.name}"
            second_shot(ImageOps.exif_transpose(Image.open(photo)).convert("RGB")).save(copy, quality=95)
            copies.append(copy)
        return import_faces("second-shots", copies, device)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=SHARED)
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="cpu")
    parser.add_argument("--strangers", type=int, default=40)
    args = parser.parse_args()
    versions = stage_versions(FaceStage(args.device))
    photos = [p.path for p in album(args.shared, "pins-dev-a", True) if p.label == PERSON]
    person, quality = largest_faces(cached_set("pins-dev-a", args.shared, versions, args.device), photos)
    shots, shots_quality = largest_faces(second_shot_faces(photos[:PHOTOS - len(person)], args.device))
    person = np.concatenate([person, shots])[:PHOTOS]
    quality = np.concatenate([quality, shots_quality])[:PHOTOS]
    lfw_photos = album(args.shared, LFW_SET, True)
    lfw = cached_set(LFW_SET, args.shared, versions, args.device)
    strangers = largest_faces(lfw, [p.path for p in lfw_photos if p.label is None])
    tight, tight_quality = largest_faces(lfw, [p.path for p in lfw_photos if p.label == TIGHT])
    arrays = {"models": np.array(versions)}
    for name, (faces, qualities) in {"person": (person, quality), "tight": (tight, tight_quality)}.items():
        near, near_quality, distances = nearest(strangers, faces, args.strangers)
        arrays |= {name: faces, f"{name}_quality": qualities, f"{name}_strangers": near,
                   f"{name}_stranger_quality": near_quality}
        print(f"{name}: {len(faces)} faces, {len(near)} strangers at {distances.min():.3f} to {distances.max():.3f}")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT, **{k: a.astype(np.float32) if a.dtype.kind == "f" else a for k, a in arrays.items()})
    print(f"{OUT}; models {versions[2]}")


def nearest(strangers: tuple[np.ndarray, np.ndarray], faces: np.ndarray,
            count: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ``count`` strangers (vectors, qualities) nearest any of ``faces``, and how near."""
    vectors, qualities = strangers
    distances = np.min(np.linalg.norm(vectors[:, None, :] - faces[None, :, :], axis=2), axis=1)
    chosen = np.argsort(distances)[:count]
    return vectors[chosen], qualities[chosen], distances[chosen]


if __name__ == "__main__":
    main()
