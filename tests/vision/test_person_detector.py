"""The BlazePose person detector on hand-checked photos: people found, back view, keypoints.

The head boxes and people counts come from ``trainer.bodies.evaluate.GROUP_HEADS``, made by
looking at each photo drawn with a pixel grid (zoomed where people are small or blurred);
its docstring and comments say who counts as required and who as optional.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from albumtag.vision.mtcnn_detector import MtcnnDetector
from albumtag.vision.person_detector import PersonDetection, PersonDetector
from trainer.bodies.evaluate import BACK_VIEW_BODY, GROUP_HEADS, back_view_photo, score_photo
from trainer.images import read_rgb

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not SHARED.is_dir(), reason=f"shared photos not found at {SHARED}"),
]


@pytest.fixture(scope="module")
def detector() -> PersonDetector:
    return PersonDetector(device="cpu")


@pytest.fixture(scope="module")
def group_results(detector: PersonDetector) -> dict[str, list[PersonDetection]]:
    return {name: detector.detect(read_rgb(SHARED / name)) for name in GROUP_HEADS}


@pytest.fixture(scope="module")
def back_view() -> np.ndarray:
    return back_view_photo(SHARED)


def test_finds_the_people_counted_by_eye(group_results: dict[str, list[PersonDetection]]) -> None:
    scores = {name: score_photo(people, GROUP_HEADS[name]) for name, people in group_results.items()}
    # Every person, nothing else, where the detector agrees with the eye count.
    for name in ("group-bbt/examples/images/bbt3.jpg", "group-bbt/examples/images/bbt4.jpg"):
        assert (scores[name].found, scores[name].false, scores[name].duplicates) == (scores[name].required, 0, 0)
        assert len(group_results[name]) == scores[name].required
    # Measured when the detector was chosen: 32 of 39 people. The misses are people in the
    # back of bbt2 (blurred, half hidden) and faces cut by the frame in the selfie and bbt5;
    # the face stage covers the latter.
    assert sum(s.required for s in scores.values()) == 38
    assert sum(s.found for s in scores.values()) >= 31
    assert sum(s.false for s in scores.values()) <= 4
    assert sum(s.duplicates for s in scores.values()) <= 1


def test_back_view_is_a_person_with_keypoints_and_no_face(detector: PersonDetector, back_view: np.ndarray) -> None:
    people = detector.detect(back_view)
    assert len(people) == 1
    person = people[0]
    x1, y1, x2, y2 = BACK_VIEW_BODY
    centre_x = (person.box[0] + person.box[2]) / 2
    assert x1 <= centre_x <= x2 and person.box[1] < y1 + 30 and person.box[3] > (y1 + y2) / 2
    assert person.keypoints.shape == (33, 3)
    visible = person.keypoints[person.keypoints[:, 2] > 0.5]
    assert len(visible) >= 15
    assert (visible[:, 0] > x1 - 20).all() and (visible[:, 0] < x2 + 20).all()
    assert MtcnnDetector(device="cpu").detect(back_view) == []


def test_keypoints_put_the_nose_in_the_head(group_results: dict[str, list[PersonDetection]]) -> None:
    """bbt1: four people seated, whole bodies in view, the case BlazePose was made for."""
    people = group_results["group-bbt/examples/images/bbt1.jpg"]
    heads = GROUP_HEADS["group-bbt/examples/images/bbt1.jpg"]["required"]
    for head in heads:
        noses = [p.keypoints[0] for p in people
                 if head[0] <= p.keypoints[0, 0] <= head[2] and head[1] <= p.keypoints[0, 1] <= head[3]]
        assert len(noses) == 1 and noses[0][2] > 0.5


def test_boxes_are_in_the_photo_and_sorted(group_results: dict[str, list[PersonDetection]]) -> None:
    for name, people in group_results.items():
        height, width = read_rgb(SHARED / name).shape[:2]
        for person in people:
            x1, y1, x2, y2 = person.box
            assert 0 <= x1 < x2 <= width and 0 <= y1 < y2 <= height
            assert 0.0 < person.score <= 1.0
        assert [p.score for p in people] == sorted((p.score for p in people), reverse=True)


def test_an_empty_photo_has_nobody(detector: PersonDetector) -> None:
    assert detector.detect(np.full((240, 320, 3), 128, dtype=np.uint8)) == []
    with pytest.raises(ValueError):
        detector.detect(np.zeros((10, 10), dtype=np.uint8))
