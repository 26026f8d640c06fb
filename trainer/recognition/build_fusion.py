"""PIPER's fusion weights, learned on simulated albums as the paper learns them on its
validation halves, and shipped as the defaults of ``albumtag.recognize.identify`` (used until a
library has enough confirmed instances to learn its own).

A simulated album is a composite set (``albumtag.evaluation.composite_data``): LFW TRAINING-half
people with 10+ photos, each paired at random with one person of the FUSION half of CUHK03 val
(even person ids), with the app's own descriptors (face; body + colour; one ``part:<type>`` per
poselet type that fires). Albums differ by seed (which face people, which pairing, which
instances go where) and by the share of faces removed (0, 50, 90%), so the weights see
instances without a face. In every album the part classifiers (``PiperIdentifier``, the app's)
learn from one half of each identity's instances and the layers P_i(y|X) of the other half
are kept.

One linear SVM (``learn_pooled_weights``, PIPER's weight learner) is then fitted on the
pooled layers of every album, rather than one per album averaged: SVM coefficients have no
common scale (each album's margin differs), so an average would favour whichever albums gave
the largest norms, while the pooled fit is the one max-margin solution over the mixture of
conditions (face removal, pairings) the defaults must serve. Per-album fits are still made,
only to report how stable the weights are. The weights are clipped at 0 (as the library's own
learned weights are) and scaled to mean 1, so uniform weights are all 1.

Held-out check: albums of LFW HELD-OUT people paired with the EVALUATION half of CUHK03 val
(odd ids), faces removed 0/50/90%, ``eval_confirmed`` instances per identity confirmed (below
``MIN_TO_LEARN_WEIGHTS``: the regime where the defaults are used), the rest queried; top-1
accuracy of ``PiperIdentifier`` with the shipped defaults and with uniform weights.

Body open set (``body_open_set`` in the same file): the body suggestions must leave a stranger
unknown. The training side's body vectors (``describe_with_colour``, as the library stores them)
give every distance between crops of different people of the FUSION half; its lower tail
(``albumtag.recognize.open_set.ImpostorTail``, the face open set's) sets the acceptance for a
person with ``n`` confirmed bodies at the stated false-accept rate: nearest of ``n ** e``, with
``e`` fitted on the same half (one person's bodies look alike, so they are fewer independent
chances for a stranger than ``n``; with e = 1 the held-out rate fell to 0.5% at n = 10). Held out
on the EVALUATION half: the false-accept rate of a stranger's body against ``n`` bodies of
someone else, and the true-accept rate of a body against ``n`` of the same person's bodies
seen by the other camera, at the shipped threshold.

No torch: every descriptor is the app's (onnxruntime); a few minutes on two CPU cores.
"""

from __future__ import annotations

import hashlib
import json
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from albumtag.evaluation.composite import FACE, CompositeSet, assign_splits, remove_faces
from albumtag.evaluation.composite_data import (
    CUHK03_VAL,
    EVALUATION_HALF,
    FUSION_HALF,
    MIN_FACE_PHOTOS,
    BodyFeatures,
    composite_set,
    cuhk03_people,
    describe_bodies,
    face_run,
    lfw_people,
    sample_pairs,
)
from albumtag.evaluation.metrics import distance_matrix
from albumtag.evaluation.photo_sets import LabelledPhoto
from albumtag.evaluation.run_result import SystemRun
from albumtag.recognize.fusion import (
    BODY_TAIL_KEY,
    EXPONENT_KEY,
    MODEL_NAME,
    BodyOpenSet,
    body_acceptance,
    parse_body_tail,
    parse_weights,
)
from albumtag.recognize.identify import GLOBAL_KIND, Instances, PiperIdentifier, default_weights
from albumtag.recognize.open_set import DEFAULT_FAR, ImpostorTail
from albumtag.recognize.piper import fuse, learn_pooled_weights, learn_weights
from albumtag.runtime.manifest import model_entry
from trainer.config import resolve
from trainer.manifest import update_manifest
from trainer.progress import ProgressReporter
from trainer.recognition.build_open_set import impostor_distances

OUTPUT = Path("fusion") / "weights_v1.json"
DESCRIBED_BY = ("face_descriptor", "body_descriptor", "poselets")  # the weights fit these models' outputs
BODY_COUNTS = (1, 3, 10)  # confirmed bodies of a person: the held-out check's gallery sizes
BODY_DRAWS = 5  # random galleries per person and size in the held-out check
FIT_COUNTS = (2, 3, 5)  # gallery sizes the exponent is fitted at (CUHK03 has up to 10 crops a person)
EXPONENTS = np.round(np.arange(0.1, 1.0001, 0.05), 2)  # the exponents tried
LICENCE = ("derived statistics (one weight per feature kind) measured on LFW (research use) and "
           "CUHK03 val (non-commercial research only); non-commercial research use")


class Steps:
    """One progress line per album, numbered across the whole task."""

    def __init__(self, total: int) -> None:
        self.reporter, self.done = ProgressReporter(total), 0

    def next(self, message: str, metric: float | None = None) -> None:
        self.done += 1
        self.reporter.report(self.done, message, metric=metric)


@dataclass(frozen=True)
class People:
    """One side of the check: face people and body people, with their descriptors."""

    faces: dict[str, list[Path]]
    bodies: dict[str, list[Path]]
    face_photos: list[Path]
    face: SystemRun
    described: BodyFeatures


def people(shared: Path, training: bool, half: str, max_people: int | None, device: str, cache: Path) -> People:
    """LFW people (10+ photos) of one split half and CUHK03 val people of one half, the first
    ``max_people`` of each (sorted) when given, described once for every album drawn from them."""
    faces, bodies = lfw_people(shared, training), cuhk03_people(shared, half)
    if max_people:
        faces = dict(sorted(faces.items())[:max_people])
        bodies = dict(sorted(bodies.items())[:max_people])
    if not faces or not bodies:
        raise SystemExit(f"fusion: no people for the {half} albums under {shared}")
    most = max(len(p) for p in bodies.values())  # an identity never has more instances than this
    face_photos = [p for photos in faces.values() for p in photos[:most]]
    body_paths = [p for crops in bodies.values() for p in crops]
    return People(faces, bodies, face_photos, face_run("albumtag", face_photos, device, cache),
                  describe_bodies(body_paths, device, cache))


def album(side: People, seed: int, removed: float) -> tuple[Instances, np.ndarray, int]:
    """A simulated album as the library would hold it: each instance's vectors by kind, with
    ``removed`` of the faces hidden; its labels and number of identities."""
    pairs = sample_pairs(side.faces, side.bodies, seed)
    data: CompositeSet = composite_set(pairs, side.faces, side.bodies, side.face_photos, side.face, side.described)
    fired = dict(data.fired)
    fired[FACE] = remove_faces(fired[FACE], removed, seed)
    features = {GLOBAL_KIND: data.body, **data.parts}
    present = {GLOBAL_KIND: np.ones(len(data.labels), bool), **fired}
    return Instances(features, present), data.labels, data.identities


def aligned_layers(model: PiperIdentifier, queries: Instances, kinds: Sequence[str]) -> np.ndarray:
    """The model's layers [N, 1 + parts, K] laid out as ``kinds`` (body first): a kind this
    album does not have is P_0, as sparsity filling makes a part that never fires."""
    layers = model.layers(queries)
    own = [GLOBAL_KIND, *model.parts]
    return np.stack([layers[:, own.index(k)] if k in own else layers[:, 0] for k in kinds], axis=1)


def scaled(weights: np.ndarray) -> np.ndarray:
    """Clipped at 0 and scaled to mean 1 (all zeros stay zeros)."""
    clipped = np.maximum(weights, 0.0)
    return clipped / clipped.mean() if clipped.sum() > 0 else clipped


def learn(side: People, seeds: Sequence[int], removals: Sequence[float], progress: Steps
          ) -> tuple[dict[str, float], dict[str, Any]]:
    """The pooled weights by kind over every (seed, removal) album, and what they saw."""
    held: list[tuple[PiperIdentifier, Instances, np.ndarray]] = []
    kinds: set[str] = set()
    for seed in seeds:
        for removed in removals:
            instances, labels, identities = album(side, seed, removed)
            half = assign_splits(labels, seed, (0.5, 0.5)) == 1
            uniform = np.ones(len(instances.features))
            model = PiperIdentifier.fit(instances.rows(~half), labels[~half], identities, uniform)
            held.append((model, instances.rows(half), labels[half]))
            kinds.update(model.parts)
            progress.next(f"fusion album seed {seed}, {removed:.0%} faces removed: "
                          f"{identities} identities, {int(half.sum())} held-out instances")
    order = [GLOBAL_KIND, *sorted(kinds)]
    sets = [(aligned_layers(model, queries, order), labels) for model, queries, labels in held]
    pooled = scaled(learn_pooled_weights(sets, seeds[0]))
    if not pooled.any():
        raise SystemExit("fusion: every learned weight is negative or zero; nothing to ship")
    each = np.array([scaled(learn_weights(layers, labels, seeds[0])) for layers, labels in sets])
    seen = {"albums": len(sets), "identities_per_album": int(max(len(np.unique(lab)) for _, lab in sets)),
            "weight_instances": int(sum(len(lab) for _, lab in sets)),
            "per_album_weight_std": {k: round(float(s), 4) for k, s in zip(order, each.std(axis=0))}}
    return {k: round(float(w), 4) for k, w in zip(order, pooled)}, seen


def held_out_check(side: People, shipped: dict[str, float], seeds: Sequence[int], removals: Sequence[float],
                   confirmed: int, progress: Steps) -> dict[str, Any]:
    """Top-1 accuracy of the queries of held-out albums with the shipped and uniform weights:
    over all queries (``top1``, the mean of the albums') and over the queries without a face,
    the ones the app suggests people for by body (``top1_without_face``, pooled over albums)."""
    top1: dict[str, dict[str, list[float]]] = {}
    faceless: dict[str, dict[str, list[int]]] = {}
    for seed in seeds:
        for removed in removals:
            instances, labels, identities = album(side, seed, removed)
            rng = np.random.default_rng(seed)
            known = np.zeros(len(labels), bool)
            for label in range(identities):
                known[rng.permutation(np.flatnonzero(labels == label))[:confirmed]] = True
            model = PiperIdentifier.fit(instances.rows(known), labels[known], identities,
                                        np.ones(len(instances.features)))
            layers, truth = model.layers(instances.rows(~known)), labels[~known]
            no_face = ~instances.present[FACE][~known]
            key = f"{removed:.0%}"
            for name, weights in (("default", default_weights([GLOBAL_KIND, *model.parts], shipped)),
                                  ("uniform", np.ones(1 + len(model.parts)))):
                right = fuse(layers, weights).argmax(axis=1) == truth
                top1.setdefault(key, {}).setdefault(name, []).append(float(right.mean()))
                counts = faceless.setdefault(key, {}).setdefault(name, [0, 0])
                counts[0], counts[1] = counts[0] + int(right[no_face].sum()), counts[1] + int(no_face.sum())
            progress.next(f"held-out album seed {seed}, {key} faces removed: top-1 default "
                          f"{top1[key]['default'][-1]:.3f}, uniform {top1[key]['uniform'][-1]:.3f}",
                          metric=top1[key]["default"][-1])
    means = {key: {name: round(float(np.mean(v)), 4) for name, v in by.items()} for key, by in top1.items()}
    mean = {name: round(float(np.mean([m[name] for m in means.values()])), 4) for name in ("default", "uniform")}
    without_face = {key: {**{name: round(c[0] / c[1], 4) for name, c in by.items()}, "queries": by["default"][1]}
                    for key, by in faceless.items() if by["default"][1]}
    return {"top1": means, "mean": mean, "default_minus_uniform": round(mean["default"] - mean["uniform"], 4),
            "top1_without_face": without_face}


def body_person(path: Path) -> str:
    return path.stem.split("_")[0]  # CUHK03 ``PPPP_NN.jpg``


def body_camera(path: Path) -> int:
    return int(int(path.stem.split("_")[1]) >= 5)  # NN 00-04 one camera, 05-09 the other


def body_tail(side: People) -> tuple[ImpostorTail, int]:
    """The lower tail of the distance between the stored body vectors of different people,
    and how many such pairs it was measured on."""
    crops = [LabelledPhoto(p, body_person(p)) for p in side.described.paths]
    impostors = impostor_distances(crops, side.described.body, np.ones(len(crops), bool))
    version = "body-tail-" + hashlib.sha256(np.sort(impostors).astype("<f4").tobytes()).hexdigest()[:12]
    return ImpostorTail.from_distances(impostors, version), int(len(impostors))


def fit_gallery_exponent(side: People, tail: ImpostorTail, seed: int, far: float = DEFAULT_FAR) -> float:
    """The exponent whose acceptance gives, on this side's own people, false-accept rates
    nearest the target at the gallery sizes ``FIT_COUNTS`` (least squares in log rate): one
    person's bodies are alike, so nearest-of-n with n independent bodies is too strict."""
    def misfit(exponent: float) -> float:
        check = body_open_set_check(side, BodyOpenSet(tail, float(exponent)), FIT_COUNTS, seed, far)
        return sum(np.log(max(check[str(n)]["far"], 1e-4) / far) ** 2 for n in FIT_COUNTS)

    return float(min(EXPONENTS[::-1], key=misfit))  # ties (too few strangers to tell): the larger, stricter one


def body_open_set_check(side: People, calibration: BodyOpenSet, counts: Sequence[int], seed: int,
                        far: float = DEFAULT_FAR) -> dict[str, Any]:
    """At the acceptance ``calibration`` gives for ``n`` confirmed bodies: the false-accept rate of
    every crop of everyone else against ``n`` random crops of one person (people with at least
    ``n`` crops), and the true-accept rate of every crop of one camera against ``n`` random
    crops of the same person from the other camera (at most the crops that camera has:
    CUHK03 has up to 5 per camera, so ``n`` = 10 enrols 5 there, at the 10-body threshold).
    ``BODY_DRAWS`` random galleries per person and size."""
    paths = side.described.paths
    labels = np.array([body_person(p) for p in paths])
    cameras = np.array([body_camera(p) for p in paths])
    distances = distance_matrix(side.described.body, np.ones(len(paths), bool))
    rng = np.random.default_rng(seed)
    result: dict[str, Any] = {}
    for n in counts:
        threshold = body_acceptance(calibration, n, far)
        false_accepts, strangers, true_accepts, genuine = 0, 0, 0, 0
        for person in sorted(set(labels)):
            own = np.flatnonzero(labels == person)
            others = np.flatnonzero(labels != person)
            for _ in range(BODY_DRAWS):
                if len(own) >= n:
                    gallery = rng.choice(own, n, replace=False)
                    false_accepts += int((distances[np.ix_(others, gallery)].min(axis=1) < threshold).sum())
                    strangers += len(others)
                for camera in (0, 1):
                    seen, queries = own[cameras[own] == camera], own[cameras[own] != camera]
                    if len(seen) and len(queries):
                        gallery = rng.choice(seen, min(n, len(seen)), replace=False)
                        true_accepts += int((distances[np.ix_(queries, gallery)].min(axis=1) < threshold).sum())
                        genuine += len(queries)
        result[str(n)] = {"threshold": round(threshold, 4),
                          "far": round(false_accepts / max(strangers, 1), 4), "stranger_queries": strangers,
                          "tar_other_camera": round(true_accepts / max(genuine, 1), 4), "genuine_queries": genuine}
    return result


def build(config: dict[str, Any]) -> dict[str, Any]:
    """Learn the weights, write ``fusion/weights_v1.json``, check them on held-out albums and
    write the manifest entry."""
    started = time.monotonic()
    # With 90% of faces removed the face classifier sees about one photo per person; sklearn
    # warns that this looks like regression (it is not), and LinearSVC may stop at max_iter.
    warnings.filterwarnings("ignore", message="The number of unique classes is greater than 50%")
    warnings.filterwarnings("ignore", message="Liblinear failed to converge")
    shared, device = resolve(config, "shared_data"), str(config["device"])
    cache, out = resolve(config, "cache") / "fusion", resolve(config, "out")
    seed, removals = int(config["seed"]), [float(r) for r in config["fusion_removed"]]
    max_people = config.get("fusion_max_people") or None
    seeds = [seed + i for i in range(int(config["fusion_albums"]))]
    eval_seeds = [seed + i for i in range(int(config["fusion_eval_albums"]))]
    training = people(shared, True, FUSION_HALF, max_people, device, cache)
    held_out = people(shared, False, EVALUATION_HALF, max_people, device, cache)
    print(f"{MODEL_NAME}: described {len(training.face_photos) + len(held_out.face_photos)} face photos and "
          f"{len(training.described.paths) + len(held_out.described.paths)} body crops "
          f"in {time.monotonic() - started:.0f} s", flush=True)
    progress = Steps(len(removals) * (len(seeds) + len(eval_seeds)))
    weights, seen = learn(training, seeds, removals, progress)
    tail, impostor_pairs = body_tail(training)
    exponent = fit_gallery_exponent(training, tail, seed)
    path = out / OUTPUT
    path.parent.mkdir(parents=True, exist_ok=True)
    calibration = {**json.loads(tail.to_json()), EXPONENT_KEY: exponent}
    path.write_text(json.dumps({"weights": weights, BODY_TAIL_KEY: calibration}, indent=1) + "\n", encoding="utf-8")

    text = path.read_text(encoding="utf-8")  # what the app will read
    shipped, shipped_tail = parse_weights(text), parse_body_tail(text)
    check = held_out_check(held_out, shipped, eval_seeds, removals, int(config["fusion_eval_confirmed"]), progress)
    body_check = body_open_set_check(held_out, shipped_tail, BODY_COUNTS, seed)
    metrics = {"held_out": {"data": f"faces-lfw held-out half x {CUHK03_VAL} {EVALUATION_HALF} half (odd ids)",
                            "albums_per_removal": len(eval_seeds), "confirmed_per_identity":
                            int(config["fusion_eval_confirmed"]), **check},
               "body_open_set": {"target_far": DEFAULT_FAR, "impostor_pairs": impostor_pairs, "tail": tail.version,
                                 "gallery_exponent": exponent, "fitted_at": list(FIT_COUNTS),
                                 "threshold_at": {str(n): round(body_acceptance(shipped_tail, n), 4)
                                                  for n in (1, 3, 10, 30, 100)},
                                 "held_out": {"data": f"{CUHK03_VAL} {EVALUATION_HALF} half (odd ids), "
                                                      f"{BODY_DRAWS} random galleries per person and size",
                                              "by_confirmed_bodies": body_check}},
               "training": seen, "seconds": round(time.monotonic() - started, 1)}
    print(f"{MODEL_NAME}: weights {json.dumps(weights)}", flush=True)
    print(f"{MODEL_NAME}: held-out top-1 default vs uniform {json.dumps(check)}", flush=True)
    print(f"{MODEL_NAME}: body open set, {impostor_pairs} impostor pairs; held out by confirmed bodies "
          f"{json.dumps(body_check)}", flush=True)
    return update_manifest(
        out, MODEL_NAME, path,
        version="fusion-v1-" + hashlib.sha256(path.read_bytes()).hexdigest()[:12],
        source={"trained_by": "python -m trainer fusion (trainer/configs/fusion.yaml)",
                "data": [f"faces-lfw training half (albumtag.evaluation.splits), people with {MIN_FACE_PHOTOS}+ "
                         f"photos: {len(training.faces)}",
                         f"{CUHK03_VAL} {FUSION_HALF} half (even person ids, "
                         f"albumtag.evaluation.composite_data): {len(training.bodies)} people"],
                "never_trained_on": ["faces-lfw held-out half",
                                     f"{CUHK03_VAL} {EVALUATION_HALF} half (odd person ids)"],
                "descriptors": {"face": "face_detector + face_descriptor (albumtag face stage, centred face)",
                                "body": "body_descriptor + colour",
                                "parts": "poselets types on person_detector.blazepose + pose.landmarks_full",
                                "versions": {name: model_entry(name).version for name in DESCRIBED_BY}},
                "method": "simulated albums (composite sets): part classifiers on one half of each identity's "
                          "instances, one linear SVM (PIPER) on the pooled layers of the other halves; "
                          "clipped at 0, scaled to mean 1",
                "body_open_set": f"80 quantiles of the distance between body vectors (body_descriptor + colour) "
                                 f"of different people, {CUHK03_VAL} {FUSION_HALF} half; acceptance for n "
                                 f"confirmed bodies = ImpostorTail.threshold(n ** e, far) "
                                 f"(nearest of n ** e independent "
                                 f"bodies), e fitted on the same half so the false-accept rate at "
                                 f"n = {', '.join(map(str, FIT_COUNTS))} is nearest the target",
                "albums": {"seeds": seeds, "faces_removed": removals}},
        licence=LICENCE,
        inputs={"kinds": "body (global classifier), face, part:<poselet type>; a kind missing from the file "
                         "takes the mean of the part weights (albumtag.recognize.identify.default_weights)",
                "body_open_set": "confirmed bodies of the suggested person, target false-accept rate "
                                 "(albumtag.recognize.fusion.body_acceptance)"},
        seed=seed, metrics=metrics)
