"""The open-set calibration: the lower tail of the distance between faces of different
people, measured on the LFW training half with the shipped face models, and the false-accept
rate it actually gives on the held-out half.

No torch: the faces are described by the app's own face stage (onnxruntime).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np

from albumtag.evaluation import face_system
from albumtag.evaluation.metrics import distance_matrix, open_set_far
from albumtag.evaluation.photo_sets import LabelledPhoto
from albumtag.evaluation.splits import is_training_person
from albumtag.recognize.open_set import DEFAULT_FAR, MODEL_NAME, ImpostorTail
from trainer.config import resolve
from trainer.manifest import update_manifest

OUT_FILE = Path("open_set") / "impostor_tail.json"


def lfw_half(lfw: Path, training: bool, per_person: int, max_people: int | None) -> list[LabelledPhoto]:
    """One half of the fixed LFW split, at most ``per_person`` photos each (sorted), so the
    few people with hundreds of photos do not dominate."""
    folders = [f for f in sorted(lfw.iterdir()) if f.is_dir() and is_training_person(f.name) == training]
    return [LabelledPhoto(p, f.name) for f in folders[:max_people] for p in sorted(f.glob("*.jpg"))[:per_person]]


def impostor_distances(photos: list[LabelledPhoto], vectors: np.ndarray, found: np.ndarray) -> np.ndarray:
    """Every distance between two found faces of different people."""
    labels = np.array([p.label for p in photos])[found]
    distances = distance_matrix(vectors[found], np.ones(int(found.sum()), bool))
    upper = np.triu_indices(len(labels), k=1)
    different = labels[upper[0]] != labels[upper[1]]
    return distances[upper][different]


def measured_far(photos: list[LabelledPhoto], vectors: np.ndarray, found: np.ndarray, tail: ImpostorTail,
                 people: int, trials: int, seed: int, enrol: int = 5) -> float:
    """Mean leave-one-person-out false-accept rate over random albums of ``people`` people
    with ``enrol`` photos enrolled each, at the threshold the tail gives for that gallery."""
    rng = np.random.default_rng(seed)
    names = sorted({p.label for p in photos})
    distances = distance_matrix(vectors, found)
    threshold = tail.threshold(enrol * (people - 1))
    rates = []
    for trial in range(trials):
        chosen = set(rng.choice(names, people, replace=False).tolist())
        keep = np.array([p.label in chosen for p in photos])
        labels = [p.label for p, k in zip(photos, keep) if k]
        rates.append(open_set_far(labels, distances[np.ix_(keep, keep)], threshold, enrol, seed=trial))
    return float(np.mean(rates))


def build(config: dict[str, Any]) -> dict[str, Any]:
    lfw = resolve(config, "shared_data") / "faces-lfw"
    per_person, max_people = config["open_set_per_person"], config.get("open_set_max_people")
    train = lfw_half(lfw, True, per_person, max_people)
    run = face_system.run(train, config["device"])
    impostors = impostor_distances(train, run.vectors, run.found)
    version = "impostor-tail-" + hashlib.sha256(np.sort(impostors).astype("<f4").tobytes()).hexdigest()[:12]
    tail = ImpostorTail.from_distances(impostors, version)
    held_out = lfw_half(lfw, False, per_person, max_people)
    test = face_system.run(held_out, config["device"])
    metrics = {f"held_out_far_{n}_people": round(measured_far(held_out, test.vectors, test.found, tail, n,
                                                              config["open_set_trials"], config["seed"]), 4)
               for n in config["open_set_album_people"] if n <= len({p.label for p in held_out})}
    metrics.update(target_far=DEFAULT_FAR, impostor_pairs=int(len(impostors)),
                   threshold_at={str(m): round(tail.threshold(m), 4) for m in (10, 100, 1000, 10000)})
    out = resolve(config, "out")
    (out / OUT_FILE).parent.mkdir(parents=True, exist_ok=True)
    (out / OUT_FILE).write_text(tail.to_json() + "\n")
    return update_manifest(
        out, MODEL_NAME, out / OUT_FILE, version=version,
        source={"data": f"faces-lfw training half (split: albumtag.evaluation.splits), "
                        f"first {per_person} photos per person", "face_models": "face_detector + face_descriptor"},
        licence="derived statistics (80 quantiles) of distances between LFW faces (research use)",
        inputs={"gallery_faces": "enrolled faces of other people", "far": "target false-accept rate"},
        seed=config["seed"], metrics=metrics)
