"""Body re-identification: rank-1 (CMC) and mAP of the body descriptor, of the colour
statistics alone and of both combined, on two val sets no model was trained on.

    python -m bench.reid [--shared ../shared/data] [--models resources/models] [--device cpu]

- ``bodies-reid/data/val/all_imgs/<id>/*.png``: 12 people x 16 crops, all-vs-all (each crop a
  query against the 191 others). Each person's crops are two short sequences (``01_*`` and
  ``02_*``), so near-duplicates make this easy; ``bodies-reid cross-seq`` also reports the
  harder protocol where queries from one sequence search only the other's crops.
- ``bodies-cuhk03/val/PPPP_NN.jpg``: 100 people; ``NN`` 00-04 (camera A) are the queries,
  05-09 (camera B) the gallery, as in CUHK03's single-shot protocol.

Part rows (``--part REGION``, repeatable, default upper_body): the app's pose model runs on
every val crop (``albumtag.vision.crop_pose``), the shipped poselet types fire on it, and the
region's aligned crop is described like a body (CNN + colour). They are measured on the crops
where the part fired, query and gallery alike, beside the whole-body descriptor on those same
crops and the two joined (equal weight: squared distances averaged); how many crops fire
each type is printed first.

Only the app side is used (albumtag.embed, albumtag.vision, onnxruntime). The last line printed is
``rank-1 <value>``: bodies-reid all-vs-all with what the app stores (learned + colour at
COLOUR_WEIGHT).
"""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from albumtag.embed.body_colour import colour_stats_batch
from albumtag.embed.body_descriptor import (
    COLOUR_WEIGHT,
    BodyDescriptor,
    combine,
    describe_with_colour,
)
from albumtag.evaluation.composite_data import load_rgb
from albumtag.vision.crop_pose import crop_detector, crop_pose
from albumtag.vision.person_detector import PersonDetector
from albumtag.vision.poselets import FiredPart, Poselets, crop_part, fire, load_poselets

REID_VAL = "bodies-reid/data/val/all_imgs"
CUHK03_VAL = "bodies-cuhk03/val"
COLOUR_WEIGHTS = (0.25, COLOUR_WEIGHT, 1.0)  # the only settings compared on val (reported, not tuned)


@dataclass(frozen=True)
class Retrieval:
    """Who is in each query and gallery crop, and which query-gallery pairs count at all."""

    query: np.ndarray
    gallery: np.ndarray
    valid: np.ndarray  # [Q, G] bool: False for the query itself (all-vs-all) or excluded pairs


def retrieval_metrics(distances: np.ndarray, setup: Retrieval) -> dict[str, float]:
    """Rank-1 (is the nearest valid gallery crop the same person?) and mAP (mean over
    queries of the average precision of the ranked gallery), ignoring queries with no valid
    same-person crop."""
    rank1, aps = [], []
    for row, person, valid in zip(distances, setup.query, setup.valid):
        order = np.argsort(row[valid], kind="stable")
        hits = (setup.gallery[valid] == person)[order]
        if not hits.any():
            continue
        rank1.append(float(hits[0]))
        ranks = np.flatnonzero(hits) + 1
        aps.append(float(np.mean(np.arange(1, len(ranks) + 1) / ranks)))
    return {"rank1": float(np.mean(rank1)), "mAP": float(np.mean(aps)), "queries": len(aps)}


def pairwise(queries: np.ndarray, gallery: np.ndarray) -> np.ndarray:
    """Euclidean distances between unit rows (ranks as cosine distance does)."""
    return np.sqrt(np.maximum(2.0 - 2.0 * queries @ gallery.T, 0.0))


@dataclass(frozen=True)
class ValSet:
    name: str
    crops: list[np.ndarray]
    query: np.ndarray  # indices into crops
    gallery: np.ndarray
    setup: Retrieval


def reid_val(shared: Path, cross_sequence: bool = False) -> ValSet:
    paths = sorted((shared / REID_VAL).glob("*/*.png"))
    people = np.array([path.parent.name for path in paths])
    sequence = np.array([path.stem.split("_")[0] for path in paths])
    everyone = np.arange(len(paths))
    valid = everyone[:, None] != everyone[None, :]
    if cross_sequence:
        valid &= sequence[:, None] != sequence[None, :]
    name = "bodies-reid cross-seq" if cross_sequence else "bodies-reid"
    return ValSet(name, [load_rgb(path) for path in paths], everyone, everyone,
                  Retrieval(people, people, valid))


def cuhk03_val(shared: Path) -> ValSet:
    paths = sorted((shared / CUHK03_VAL).glob("*.jpg"))
    people = np.array([path.stem.split("_")[0] for path in paths])
    camera_b = np.array([int(path.stem.split("_")[1]) >= 5 for path in paths])
    query, gallery = np.flatnonzero(~camera_b), np.flatnonzero(camera_b)
    valid = np.ones((len(query), len(gallery)), dtype=bool)
    return ValSet("cuhk03", [load_rgb(path) for path in paths], query, gallery,
                  Retrieval(people[query], people[gallery], valid))


def methods(embeddings: np.ndarray, colours: np.ndarray) -> dict[str, np.ndarray]:
    """Every compared descriptor of the same crops."""
    found = {"learned": embeddings, "colour": colours}
    for weight in COLOUR_WEIGHTS:
        found[f"combined w={weight:g}"] = combine(embeddings, colours, weight)
    return found


def evaluate(val: ValSet, describe: Callable[[list[np.ndarray]], np.ndarray]) -> dict[str, dict[str, float]]:
    vectors = methods(describe(val.crops), colour_stats_batch(val.crops))
    return {name: retrieval_metrics(pairwise(v[val.query], v[val.gallery]), val.setup)
            for name, v in vectors.items()}


def run_all(shared: Path, models: Path | None = None, device: str = "cpu") -> dict[str, dict[str, dict[str, float]]]:
    """Metrics per val set per method."""
    model = BodyDescriptor(device=device, models_root=models)
    sets = (reid_val(shared), reid_val(shared, cross_sequence=True), cuhk03_val(shared))
    return {val.name: evaluate(val, model.describe) for val in sets}


def fired_parts(val: ValSet, detector: PersonDetector, poselets: Poselets) -> list[list[FiredPart] | None]:
    """The poselets that fire on each crop's pose; None where no person is found."""
    poses = [crop_pose(detector, crop) for crop in val.crops]
    return [None if pose is None else fire(poselets, pose, *crop.shape[:2]) for crop, pose in zip(val.crops, poses)]


def subset(val: ValSet, keep: np.ndarray) -> ValSet:
    """The same retrieval restricted to the crops where ``keep`` holds, query and gallery."""
    in_query, in_gallery = keep[val.query], keep[val.gallery]
    setup = Retrieval(val.setup.query[in_query], val.setup.gallery[in_gallery],
                      val.setup.valid[in_query][:, in_gallery])
    return replace(val, query=val.query[in_query], gallery=val.gallery[in_gallery], setup=setup)


def scatter(rows: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """``rows`` of the kept crops placed in an array over all crops (zeros elsewhere)."""
    full = np.zeros((len(keep), rows.shape[1]), dtype=rows.dtype)
    full[keep] = rows
    return full


def part_methods(model: BodyDescriptor, val: ValSet, parts: list[FiredPart | None]) -> dict[str, np.ndarray]:
    """Whole body, part (learned, and with colour) and body + part joined, per crop; only
    the rows of crops where the part fired are meaningful."""
    keep = np.array([part is not None for part in parts])
    crops = [crop_part(crop, part) for crop, part in zip(val.crops, parts) if part is not None]
    embeddings = scatter(model.describe(crops), keep)
    part = combine(embeddings, scatter(colour_stats_batch(crops), keep))
    body = describe_with_colour(model, val.crops)
    return {"body (same crops)": body, "part learned": embeddings, f"part combined w={COLOUR_WEIGHT:g}": part,
            "body + part": np.concatenate([body, part], axis=1) / np.sqrt(2.0)}


def run_parts(shared: Path, regions: list[str], models: Path | None = None, device: str = "cpu"
              ) -> tuple[dict[str, dict[str, dict[str, float]]], dict[str, Counter]]:
    """Metrics of each region's part descriptor per val set, and how many crops fired each type."""
    model = BodyDescriptor(device=device, models_root=models)
    detector, poselets = crop_detector(device, models), load_poselets(models)
    results, counts = {}, {}
    for val in (reid_val(shared), reid_val(shared, cross_sequence=True), cuhk03_val(shared)):
        fired = fired_parts(val, detector, poselets)
        counts[val.name] = Counter(part.type.name for found in fired for part in found or [])
        counts[val.name].update({"crops": len(fired), "no person found": sum(found is None for found in fired)})
        for region in regions:
            parts = [next((part for part in found or [] if part.type.region == region), None) for found in fired]
            restricted = subset(val, np.array([part is not None for part in parts]))
            results[f"{val.name} {region}"] = {
                name: retrieval_metrics(pairwise(v[restricted.query], v[restricted.gallery]), restricted.setup)
                for name, v in part_methods(model, val, parts).items()}
    return results, counts


def table(results: dict[str, dict[str, dict[str, float]]]) -> str:
    sets = max(map(len, results)) + 2
    methods = max(len(method) for by_method in results.values() for method in by_method) + 2
    lines = [f"{'set':<{sets}}{'method':<{methods}}{'rank-1':>8}{'mAP':>8}{'queries':>9}"]
    for set_name, by_method in results.items():
        for method, metrics in by_method.items():
            lines.append(f"{set_name:<{sets}}{method:<{methods}}{metrics['rank1']:>8.3f}{metrics['mAP']:>8.3f}"
                         f"{metrics['queries']:>9d}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    parser.add_argument("--models", type=Path, help="models folder (default: the bundled one)")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda", "auto"])
    parser.add_argument("--part", action="append", help="poselet region to measure (repeatable; "
                        "default upper_body; --part '' for none)")
    args = parser.parse_args(argv)
    results = run_all(args.shared, args.models, args.device)
    regions = [region for region in args.part or ["upper_body"] if region]
    if regions:
        part_results, counts = run_parts(args.shared, regions, args.models, args.device)
        for set_name, fired in counts.items():
            print(f"{set_name}: {dict(sorted(fired.items()))}")
        print(table(part_results))
    print(table(results))
    shipped = results["bodies-reid"][f"combined w={COLOUR_WEIGHT:g}"]  # what the app stores
    print(f"rank-1 {shipped['rank1']:.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
