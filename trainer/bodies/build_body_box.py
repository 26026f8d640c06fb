"""Learn PIPER's face -> body box rule (``albumtag.vision.body_box``) and register it.

Data where both are known: photos of people from ``faces-deepface`` (its labelled photos,
without the two group shots) and ``faces-knn`` (train and test), on which MTCNN finds the
face and the person detector the body. A face and a body are taken as one person only when
each vouches for the other: the face's centre lies in the detector's head box and the pose's
nose in the face box. The body box is the detector's unclipped one (head, shoulders, hips,
where the pose model puts them even outside the frame), so portraits cut at the chest still
teach where the hips are. The rule is the per-edge median offset from the face's centre in
face sizes. The group photos are kept for evaluation: how often each face is matched to the
body whose head box holds it.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np

from albumtag.vision import person_ops as ops
from albumtag.vision.body_box import Bodies, BodyBoxRule, match_faces_to_bodies
from albumtag.vision.boxes import iou_matrix
from albumtag.vision.face_detection import FaceDetection
from albumtag.vision.mtcnn_detector import MtcnnDetector
from albumtag.vision.person_detector import PersonDetection, PersonDetector
from trainer.bodies.evaluate import GROUP_HEADS, head_owner
from trainer.config import resolve
from trainer.images import read_rgb
from trainer.manifest import update_manifest

GROUP_SHOTS = {"couple.jpg", "selfie-many-people.jpg"}


def training_photos(shared: Path) -> list[Path]:
    deepface = sorted(p for p in (shared / "faces-deepface").glob("*.jpg") if p.name not in GROUP_SHOTS)
    knn = shared / "faces-knn" / "examples" / "knn_examples"
    return deepface + sorted((knn / "train").glob("*/*.jpg")) + sorted((knn / "test").glob("*.jpg"))


def _inside(box: tuple[float, ...] | np.ndarray, point: np.ndarray) -> bool:
    return box[0] <= point[0] <= box[2] and box[1] <= point[1] <= box[3]


def vouched_pairs(faces: list[FaceDetection], people: list[PersonDetection]) -> list[tuple[int, int]]:
    """(face, person) pairs that agree both ways (see the module's docstring)."""
    pairs = []
    for f, face in enumerate(faces):
        centre = (np.array(face.box[:2]) + np.array(face.box[2:])) / 2
        owners = [p for p, person in enumerate(people)
                  if _inside(person.head_box, centre) and _inside(face.box, person.keypoints[0, :2])]
        if len(owners) == 1:
            pairs.append((f, owners[0]))
    return pairs


def unclipped_body(person: PersonDetection, margin: float) -> np.ndarray:
    return ops.body_box(np.asarray(person.head_box), person.keypoints[:, :2], margin)


def relative_offsets(face_box: tuple[float, ...], body: np.ndarray) -> np.ndarray:
    """Body edges from the face's centre, in face widths and heights."""
    face = np.asarray(face_box, dtype=np.float64)
    centre, size = (face[:2] + face[2:]) / 2, face[2:] - face[:2]
    return (body - np.concatenate([centre, centre])) / np.concatenate([size, size])


def collect(photos: list[Path], faces: MtcnnDetector, bodies: PersonDetector) -> tuple[np.ndarray, list]:
    """Offsets ``[pairs, 4]`` of every vouched pair, and the clipped-box IoU data to score
    the rule later: the detected (clipped) body box of each pair, with its face and photo size."""
    offsets, samples = [], []
    for path in photos:
        image = read_rgb(path)
        found_faces, people = faces.detect(image), bodies.detect(image)
        for f, p in vouched_pairs(found_faces, people):
            offsets.append(relative_offsets(found_faces[f].box, unclipped_body(people[p], bodies.box_margin)))
            samples.append((found_faces[f].box, people[p].box, image.shape[:2]))
    return np.array(offsets), samples


def mean_iou(rule: BodyBoxRule, samples: list) -> float:
    ious = [iou_matrix(rule.body_box(np.asarray(face), *shape), np.asarray(body))[0, 0]
            for face, body, shape in samples]
    return float(np.mean(ious))


def group_matching(rule: BodyBoxRule, faces: MtcnnDetector, bodies: PersonDetector, shared: Path) -> dict[str, int]:
    """On the group photos: faces, faces matched to a body, and matched to the right one."""
    counts = {"faces": 0, "matched": 0, "right_body": 0}
    for name, heads in GROUP_HEADS.items():
        image = read_rgb(shared / name)
        found_faces, people = faces.detect(image), bodies.detect(image)
        face_boxes = np.array([f.box for f in found_faces]).reshape(-1, 4)
        pairs = match_faces_to_bodies(face_boxes, Bodies.of(people), rule, *image.shape[:2])
        counts["faces"] += len(found_faces)
        counts["matched"] += len(pairs)
        counts["right_body"] += sum(
            1 for f, b in pairs
            if head_owner(heads, face_boxes[f]) is not None
            and head_owner(heads, face_boxes[f]) == head_owner(heads, np.asarray(people[b].head_box)))
    return counts


def build(config: dict[str, Any]) -> None:
    models_root = resolve(config, "out")
    shared = resolve(config, "shared_data")
    faces = MtcnnDetector(device="cpu", models_root=models_root)
    bodies = PersonDetector(device="cpu", models_root=models_root)
    photos = training_photos(shared)
    offsets, samples = collect(photos, faces, bodies)
    rule = BodyBoxRule(offsets=tuple(round(float(v), 4) for v in np.median(offsets, axis=0)))
    matching = group_matching(rule, faces, bodies, shared)
    document = {
        "offsets": list(rule.offsets),
        "meaning": "body box x1, y1, x2, y2 = face centre + offsets * (face width, height, width, height)",
        "body_box": "person detector's box: head box, shoulders and hips, widened by "
                    f"{bodies.box_margin} shoulder widths (albumtag.vision.person_ops.body_box)",
        "trained_on": f"{len(photos)} photos of faces-deepface (labelled, no group shots) and faces-knn; "
                      f"{len(offsets)} face/body pairs that vouch for each other",
        "offsets_iqr": np.round(np.subtract(*np.percentile(offsets, [75, 25], axis=0)), 4).tolist(),
    }
    path = models_root / "body_box" / "rule.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    metrics = {"pairs": len(offsets), "mean_iou_train_clipped": round(mean_iou(rule, samples), 3),
               "group_photos_faces_matched": matching}
    print(f"body_box: offsets {rule.offsets}, {metrics}")
    update_manifest(
        models_root, "body_box", path,
        version="face-to-body-" + hashlib.sha256(json.dumps(document["offsets"]).encode()).hexdigest()[:12],
        source={"data": "faces-deepface (MIT) and faces-knn (MIT) photos",
                "face_detector": "face_detector.pnet/rnet/onet",
                "person_detector": "person_detector.blazepose + pose.landmarks_full"},
        licence="derived geometry (4 numbers) measured on MIT-licensed photos",
        inputs={"face_box": "MTCNN box x1, y1, x2, y2 in photo pixels"},
        metrics=metrics,
    )
