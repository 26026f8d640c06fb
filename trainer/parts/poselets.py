"""Poselet types: cluster the pose configurations of training crops into part types and ship
them as ``poselets/types_v1.json`` (read by ``albumtag.vision.poselets``).

PIPER's poselets are clusters of keypoint configurations; here the keypoints are the ones
the app's own person detector and pose model (``PersonDetector``) find, so the types match
what the app will see. Data: the training crops of the body descriptor only
(``bodies-cuhk03/train_resized`` and ``bodies-reid/data/train``; never the val folders, which
``bench/reid.py`` evaluates on, nor the group photos, which the tests count people on). Each
crop's pose is the best person ``albumtag.vision.crop_pose`` finds on it, in the crop's own
pixels.

For each region of the config (a fixed subset of BlazePose's keypoints) the poses whose
region keypoints are all visible and inside the crop are normalised (``normalise``: centred,
unit RMS radius) and clustered with KMeans. A type's name says its view, read off its
centre: frontal when the person's left shoulder (or hip) lies to the image's right of the
right one, back when the reverse, profile when their gap is below ``profile_ratio`` of the
region's widest type's. A type fires at run time when a configuration is no farther from its
centre than ``max_distance``: the ``fire_quantile`` of the training members' distances.

    python -m trainer.parts.poselets [--set out=DIR]   (or: python -m trainer parts --set only=poselets)

The pose models are the bundled ones (``resources/models``); ``out`` is where the types go.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.cluster import KMeans

from albumtag.vision.crop_pose import crop_detector, crop_pose
from albumtag.vision.person_detector import PersonDetector
from albumtag.vision.person_ops import POSE_LANDMARKS
from albumtag.vision.poselets import POSELETS_MODEL, normalise, seen
from trainer.config import load_config, resolve
from trainer.manifest import update_manifest
from trainer.parts.reid_data import CUHK03_TRAIN, REID_TRAIN, load_rgb, training_crops
from trainer.progress import ProgressReporter

OUTPUT = Path("poselets") / "types_v1.json"
LEFT_RIGHT = (("left_shoulder", "right_shoulder"), ("left_hip", "right_hip"))
LICENCE = ("derived geometry (cluster centres of keypoint configurations) measured on CUHK03 "
           "train (non-commercial research only) and bodies-reid train (no stated terms); "
           "non-commercial research use")


@dataclass(frozen=True)
class Poses:
    """Keypoints ``[n, 33, 3]`` (crop pixels, visibility) of the crops where a person was
    found, with each crop's ``[n, 2]`` height and width."""

    keypoints: np.ndarray
    sizes: np.ndarray
    crops: int  # crops looked at, found or not


@dataclass(frozen=True)
class Region:
    """One region of the config: its keypoints (indices), number of types, crop geometry."""

    name: str
    keypoints: tuple[int, ...]
    types: int
    crop_size: tuple[int, int]  # width, height
    frame: tuple[float, float, float, float]  # where the keypoints' box goes, in crop fractions


def regions_of(config: dict[str, Any]) -> list[Region]:
    return [Region(name, tuple(POSE_LANDMARKS.index(k) for k in spec["keypoints"]), int(spec["types"]),
                   (int(spec["crop"][0]), int(spec["crop"][1])), tuple(float(v) for v in spec["frame"]))
            for name, spec in config["regions"].items()]


def collect_poses(paths: list[Path], detector: PersonDetector, fraction: float) -> Poses:
    """Every crop's best pose (crops without a person are left out)."""
    progress = ProgressReporter(len(paths))
    keypoints, sizes = [], []
    for step, path in enumerate(paths, 1):
        crop = load_rgb(path)
        pose = crop_pose(detector, crop, fraction)
        if pose is not None:
            keypoints.append(pose)
            sizes.append(crop.shape[:2])
        if step % 500 == 0 or step == len(paths):
            progress.report(step, f"poses: {len(keypoints)} people in {step} crops")
    return Poses(np.asarray(keypoints, dtype=np.float32).reshape(-1, len(POSE_LANDMARKS), 3),
                 np.asarray(sizes, dtype=np.int32).reshape(-1, 2), len(paths))


def training_paths(shared: Path, every: int = 1) -> list[Path]:
    """The body descriptor's training crops (every ``every``-th, for quick runs)."""
    return [crop.path for crop in training_crops(shared)][::every]


def cached_poses(config: dict[str, Any], settings: dict[str, Any]) -> Poses:
    """``collect_poses`` over the training crops, kept in the cache folder: the poses only
    change with the pose models, the padding and the crops taken."""
    shared = resolve(config, "shared_data")
    detector = crop_detector(config["device"])
    paths = training_paths(shared, int(settings["every"]))
    key = json.dumps([detector.version, settings["pad"], [str(p.relative_to(shared)) for p in paths]])
    cache = resolve(config, "cache") / "parts" / f"poselet-poses-{hashlib.sha256(key.encode()).hexdigest()[:12]}.npz"
    if cache.is_file():
        with np.load(cache) as data:
            return Poses(data["keypoints"], data["sizes"], int(data["crops"]))
    poses = collect_poses(paths, detector, float(settings["pad"]))
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.savez(cache, keypoints=poses.keypoints, sizes=poses.sizes, crops=poses.crops)
    return poses


def region_shapes(poses: Poses, region: Region, min_visibility: float) -> np.ndarray:
    """Normalised configurations ``[m, k, 2]`` of the poses that show the whole region."""
    shapes = [normalise(pose[list(region.keypoints), :2]) for pose, (height, width) in zip(poses.keypoints, poses.sizes)
              if seen(pose, region.keypoints, min_visibility, int(height), int(width))]
    return np.asarray(shapes, dtype=np.float64).reshape(-1, len(region.keypoints), 2)


def cluster(shapes: np.ndarray, types: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """KMeans on the flattened shapes: centres ``[types, k, 2]``, each shape's label and its
    distance to its centre."""
    flat = shapes.reshape(len(shapes), -1)
    kmeans = KMeans(n_clusters=types, n_init=10, random_state=seed).fit(flat)
    distances = np.linalg.norm(flat - kmeans.cluster_centers_[kmeans.labels_], axis=1)
    return kmeans.cluster_centers_.reshape(types, *shapes.shape[1:]), kmeans.labels_, distances


def left_right_gap(centre: np.ndarray, region: Region) -> float:
    """x of the person's left shoulder (or hip) minus the right one's in a type's centre:
    positive when the person faces the camera (left and right are the person's own)."""
    names = [POSE_LANDMARKS[k] for k in region.keypoints]
    left, right = next(pair for pair in LEFT_RIGHT if set(pair) <= set(names))
    return float(centre[names.index(left), 0] - centre[names.index(right), 0])


def view(gap: float, widest: float, profile_ratio: float) -> str:
    """frontal, back or profile: profile when the left/right gap is below ``profile_ratio``
    of the region's widest type's (the scale differs by region: hips are narrow beside
    legs, shoulders wide beside a head)."""
    if abs(gap) < profile_ratio * widest:
        return "profile"
    return "frontal" if gap > 0 else "back"


def type_names(region: Region, views: list[str]) -> list[str]:
    """``region_view``, numbered where a region has several types of one view."""
    names = []
    for k, seen_view in enumerate(views):
        repeats = views.count(seen_view)
        suffix = f"_{views[:k].count(seen_view) + 1}" if repeats > 1 else ""
        names.append(f"{region.name}_{seen_view}{suffix}")
    return names


def canonical(centre: np.ndarray, crop_size: tuple[int, int], frame: tuple[float, float, float, float]) -> np.ndarray:
    """A type's keypoints in its crop: the centre's box, scaled uniformly to fit the
    ``frame`` rectangle (fractions of the crop: left, top, right, bottom) and centred in it."""
    width, height = crop_size
    box_min, box_max = centre.min(axis=0), centre.max(axis=0)
    frame_min = np.array([frame[0] * width, frame[1] * height])
    frame_size = np.array([(frame[2] - frame[0]) * width, (frame[3] - frame[1]) * height])
    scale = float(np.min(frame_size / np.maximum(box_max - box_min, 1e-6)))
    return (centre - (box_min + box_max) / 2) * scale + frame_min + frame_size / 2


def region_types(poses: Poses, region: Region, settings: dict[str, Any], seed: int) -> tuple[list[dict], dict]:
    """The JSON entries of one region's types, and what the clustering saw."""
    shapes = region_shapes(poses, region, float(settings["min_visibility"]))
    centres, labels, distances = cluster(shapes, region.types, seed)
    order = np.argsort(-np.bincount(labels, minlength=region.types), kind="stable")  # largest first
    gaps = [left_right_gap(centres[k], region) for k in order]
    views = [view(gap, max(map(abs, gaps)), float(settings["profile_ratio"])) for gap in gaps]
    entries, members = [], {}
    for name, k in zip(type_names(region, views), order):
        inside = distances[labels == k]
        entries.append({
            "name": name, "region": region.name, "keypoints": list(region.keypoints),
            "keypoint_names": [POSE_LANDMARKS[i] for i in region.keypoints],
            "centre": np.round(centres[k], 5).tolist(),
            "canonical": np.round(canonical(centres[k], region.crop_size, region.frame), 3).tolist(),
            "crop_size": list(region.crop_size),
            "max_distance": round(float(np.quantile(inside, float(settings["fire_quantile"]))), 5),
        })
        members[name] = len(inside)
    return entries, {"poses_showing_region": len(shapes), "members": members}


def build(config: dict[str, Any]) -> dict[str, Any]:
    """Collect the poses, cluster every region, write the JSON and its manifest entry."""
    settings = config["poselets"]
    models_root = resolve(config, "out")
    poses = cached_poses(config, settings)
    types, seen_by_region = [], {}
    for region in regions_of(settings):
        entries, seen_by_region[region.name] = region_types(poses, region, settings, int(config["seed"]))
        types += entries
    document = {
        "min_visibility": float(settings["min_visibility"]),
        "meaning": "a region's type fires when all its keypoints have visibility >= min_visibility, lie in "
                   "the photo and their normalised configuration (centred, unit RMS radius) lies within "
                   "max_distance of the type's centre; canonical = keypoint positions in the crop (pixels)",
        "types": types,
    }
    path = models_root / OUTPUT
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    metrics = {"crops": poses.crops, "people_found": len(poses.keypoints), "regions": seen_by_region}
    print(f"{POSELETS_MODEL}: {len(types)} types; {json.dumps(metrics)}", flush=True)
    return update_manifest(
        models_root, POSELETS_MODEL, path,
        version="poselets-v1-" + hashlib.sha256(path.read_bytes()).hexdigest()[:12],
        source={"trained_by": "python -m trainer.parts.poselets (trainer/configs/parts.yaml, poselets:)",
                "data": [CUHK03_TRAIN, REID_TRAIN],
                "never_trained_on": ["bodies-cuhk03/val", "bodies-reid/data/val", "group photos"],
                "pose_model": "person_detector.blazepose + pose.landmarks_full (albumtag PersonDetector)",
                "method": f"KMeans (scikit-learn, seed {config['seed']}) per region on normalised keypoints"},
        licence=LICENCE,
        inputs={"keypoints": "[33, 3] BlazePose x, y (photo pixels), visibility, as PersonDetector gives them"},
        metrics=metrics,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m trainer.parts.poselets", description=__doc__.splitlines()[0])
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override one top-level config value of parts.yaml")
    build(load_config("parts", overrides=parser.parse_args(argv).set))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
