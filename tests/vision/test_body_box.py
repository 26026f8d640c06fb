"""PIPER's face -> body box rule and the face/body matching: hand-made cases, group photos."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from albumtag.vision.body_box import (
    Bodies,
    BodyBoxRule,
    load_rule,
    match_faces_to_bodies,
    person_instances,
)
from albumtag.vision.boxes import iou_matrix

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
RULE = BodyBoxRule(offsets=(-1.5, -1.0, 1.5, 3.0))


def _bodies(boxes: list[list[float]], heads: list[list[float]]) -> Bodies:
    return Bodies(np.array(boxes, dtype=np.float32), np.array(heads, dtype=np.float32))


def test_rule_scales_with_the_face_and_clips_to_the_photo() -> None:
    np.testing.assert_allclose(RULE.body_box(np.array([90, 90, 110, 110]), 1000, 1000), [70, 80, 130, 160])
    np.testing.assert_allclose(RULE.body_box(np.array([80, 80, 120, 120]), 1000, 1000), [40, 60, 160, 220])
    np.testing.assert_allclose(RULE.body_box(np.array([0, 90, 20, 110]), 150, 1000), [0, 80, 40, 150])


def test_iou_matrix() -> None:
    a = np.array([[0, 0, 10, 10], [20, 20, 30, 30]])
    b = np.array([[0, 0, 10, 10], [5, 0, 15, 10], [50, 50, 60, 60]])
    np.testing.assert_allclose(iou_matrix(a, b), [[1, 1 / 3, 0], [0, 0, 0]], atol=1e-6)


def test_assignment_is_one_to_one() -> None:
    faces = np.array([[90, 90, 110, 110], [150, 90, 170, 110]], dtype=np.float32)
    # Body 0 overlaps both faces' derived boxes (IoU 0.68 and 0.16), body 1 the second's
    # (0.80): each face gets one body and no body two faces.
    bodies = _bodies([[70, 90, 150, 160], [135, 90, 190, 160]], [[90, 90, 110, 110], [150, 90, 170, 110]])
    assert sorted(match_faces_to_bodies(faces, bodies, RULE, 1000, 1000)) == [(0, 0), (1, 1)]


def test_a_body_whose_head_is_elsewhere_is_not_taken() -> None:
    faces = np.array([[90, 90, 110, 110]], dtype=np.float32)
    bodies = _bodies([[70, 90, 130, 160]], [[90, 130, 110, 150]])  # head box two face sizes lower
    assert match_faces_to_bodies(faces, bodies, RULE, 1000, 1000) == []


def test_every_face_and_body_is_in_exactly_one_instance() -> None:
    faces = np.array([[90, 90, 110, 110], [400, 90, 420, 110]], dtype=np.float32)
    bodies = _bodies([[70, 90, 130, 160], [700, 100, 760, 300]], [[90, 90, 110, 110], [715, 100, 745, 130]])
    instances = person_instances(faces, bodies, RULE, 1000, 1000)
    assert [(i.face, i.body) for i in instances] == [(0, 0), (1, None), (None, 1)]
    np.testing.assert_allclose(instances[1].box, [380, 80, 440, 160])
    assert instances[2].box == (700.0, 100.0, 760.0, 300.0)
    assert person_instances(np.zeros((0, 4)), _bodies([], []), RULE, 10, 10) == []


@pytest.mark.slow
@pytest.mark.skipif(not SHARED.is_dir(), reason=f"shared photos not found at {SHARED}")
def test_group_photos_link_each_face_to_its_own_body() -> None:
    """Faces (MTCNN) and bodies (BlazePose) on the hand-checked group photos: each face is in
    exactly one person instance, and a face paired with a body is paired with its own person's
    (both in the same hand-labelled head box). 30 of the 33 faces get a body; the other three
    belong to people the detector misses (see test_person_detector)."""
    from albumtag.vision.mtcnn_detector import MtcnnDetector
    from albumtag.vision.person_detector import PersonDetector
    from trainer.bodies.evaluate import GROUP_HEADS, head_owner
    from trainer.images import read_rgb

    faces_model, bodies_model, rule = MtcnnDetector(device="cpu"), PersonDetector(device="cpu"), load_rule()
    paired = total = 0
    for name, heads in GROUP_HEADS.items():
        image = read_rgb(SHARED / name)
        face_boxes = np.array([f.box for f in faces_model.detect(image)], dtype=np.float32).reshape(-1, 4)
        people = bodies_model.detect(image)
        instances = person_instances(face_boxes, Bodies.of(people), rule, *image.shape[:2])
        faces_in = sorted(i.face for i in instances if i.face is not None)
        assert faces_in == list(range(len(face_boxes))), name
        for instance in instances:
            if instance.face is not None and instance.body is not None:
                owner = head_owner(heads, face_boxes[instance.face])
                body_owner = head_owner(heads, np.asarray(people[instance.body].head_box))
                assert owner is not None and owner == body_owner, name
                paired += 1
        total += len(face_boxes)
    assert total == 33 and paired >= 29


def test_a_face_fills_the_frame_when_little_of_its_body_box_is_in_the_photo() -> None:
    rule = load_rule()
    crop = np.array([[16, 2, 96, 109]], dtype=np.float64)  # a 112 px face crop's face
    shoulders = np.array([[79, 64, 171, 186]], dtype=np.float64)  # an LFW photo's: 250 px, to the shoulders
    assert rule.body_beyond_face(crop, 112, 112)[0] < 0.5
    assert rule.body_beyond_face(shoulders, 250, 250)[0] > 1.5
    assert rule.fills_frame(crop, 112, 112)
    assert not rule.fills_frame(shoulders, 250, 250)
    assert not rule.fills_frame(crop, 1000, 112), "a tall photo shows the body below"
    assert not rule.fills_frame(np.zeros((0, 4)), 112, 112), "no face: a body may still be there"
    assert not rule.fills_frame(np.concatenate([crop, [[5, 5, 10, 10]]]), 112, 112), "every face must fill it"
