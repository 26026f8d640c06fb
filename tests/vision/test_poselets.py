"""Poselets from pose keypoints: the geometry alone, then the shipped types on real photos.

Real-photo cases: the four people seated in bbt1 face the camera and fire a frontal head and
shoulders type (the detector's fifth box there, a second look at one torso, is left aside);
the man of ``back_view_photo`` walks away from it and fires a back type; the
people of bbt4 are cut at the chest or waist, so their legs are outside the photo and no legs
type may fire (the pose model still places those joints, below the frame).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from albumtag.vision.person_detector import PersonDetection, PersonDetector
from albumtag.vision.person_ops import POSE_LANDMARKS
from albumtag.vision.poselets import (
    FiredPart,
    PartType,
    Poselets,
    crop_part,
    fire,
    load_poselets,
    normalise,
    seen,
    similarity_transform,
)
from trainer.bodies.evaluate import BACK_VIEW_BODY, GROUP_HEADS, back_view_photo, head_owner
from trainer.images import read_rgb

BBT = "group-bbt/examples/images"
SHOULDERS = [POSE_LANDMARKS.index("left_shoulder"), POSE_LANDMARKS.index("right_shoulder")]
HIPS = [POSE_LANDMARKS.index("left_hip"), POSE_LANDMARKS.index("right_hip")]
TORSO = tuple(SHOULDERS + HIPS)
# A frontal torso in a 40 x 60 box: the person's left shoulder and hip on the image's right.
FRONTAL = np.array([[60.0, 20.0], [20.0, 20.0], [55.0, 80.0], [25.0, 80.0]])


def rotation(degrees: float) -> np.ndarray:
    a = np.radians(degrees)
    return np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])


def torso_types() -> Poselets:
    """Two hand-made torso types, frontal and back (the mirror image), in a 64 x 80 crop."""
    frontal = normalise(FRONTAL)
    back = frontal * [-1.0, 1.0]
    canonical = {"frontal": FRONTAL - [8.0, 10.0], "back": (FRONTAL - [8.0, 10.0]) * [-1, 1] + [64.0, 0.0]}
    types = tuple(PartType(f"torso_{view}", "torso", TORSO, centre, canonical[view], (64, 80), 0.3)
                  for view, centre in (("frontal", frontal), ("back", back)))
    return Poselets(types, min_visibility=0.5)


def keypoints_with(points: np.ndarray, indices: tuple[int, ...], visibility: float = 0.9) -> np.ndarray:
    keypoints = np.zeros((33, 3), dtype=np.float32)
    keypoints[list(indices), :2] = points
    keypoints[list(indices), 2] = visibility
    return keypoints


def test_normalise_removes_position_and_size_but_not_orientation() -> None:
    shape = normalise(FRONTAL)
    assert np.allclose(shape.mean(axis=0), 0) and np.isclose(np.mean(np.sum(shape ** 2, axis=1)), 1)
    assert np.allclose(normalise(FRONTAL * 3.5 + [100, -40]), shape)
    assert not np.allclose(normalise(FRONTAL @ rotation(90).T), shape)


def test_similarity_transform_recovers_a_known_one_without_mirroring() -> None:
    target = 1.7 * FRONTAL @ rotation(20).T + [5.0, 9.0]
    matrix = similarity_transform(FRONTAL, target)
    assert np.allclose(FRONTAL @ matrix[:, :2].T + matrix[:, 2], target)
    mirrored = similarity_transform(FRONTAL, FRONTAL * [-1, 1])
    assert np.linalg.det(mirrored[:, :2]) > 0, "a reflection would turn a back view into a frontal one"


def test_seen_needs_visible_keypoints_inside_the_photo() -> None:
    keypoints = keypoints_with(FRONTAL, TORSO)
    assert seen(keypoints, TORSO, 0.5, 100, 100)
    assert not seen(keypoints, TORSO, 0.5, 70, 100), "hips below a 70 px high photo"
    keypoints[HIPS[0], 2] = 0.2
    assert not seen(keypoints, TORSO, 0.5, 100, 100)


def test_fire_picks_the_view_and_aligns_the_crop() -> None:
    poselets = torso_types()
    frontal = keypoints_with(FRONTAL @ rotation(5).T * 2 + [100, 50], TORSO)
    [part] = fire(poselets, frontal, 400, 400)
    assert part.type.name == "torso_frontal"
    moved = frontal[list(TORSO), :2] @ part.matrix[:, :2].T + part.matrix[:, 2]
    assert np.abs(moved - part.type.canonical).max() < 1.0
    back = keypoints_with(FRONTAL * [-1, 1] + [200, 50], TORSO)
    assert [p.type.name for p in fire(poselets, back, 400, 400)] == ["torso_back"]
    squashed = keypoints_with(FRONTAL * [0.05, 1] + [100, 50], TORSO)  # far from both: no type fires
    assert fire(poselets, squashed, 400, 400) == []


@pytest.mark.parametrize("scale", [1.0, 6.0])
def test_crop_puts_the_keypoints_where_the_type_wants_them(scale: float) -> None:
    """A dot drawn at each keypoint lands on the canonical position, also when the part is
    much larger in the photo than its crop (the area-averaged path)."""
    poselets = torso_types()
    points = FRONTAL * scale + [30, 40]
    image = np.zeros((int(120 * scale) + 80, int(100 * scale) + 60, 3), dtype=np.uint8)
    part = FiredPart(poselets.types[0], 0.0, similarity_transform(points, poselets.types[0].canonical))
    for k, (x, y) in enumerate(points):
        radius = int(2 * scale)
        image[int(y) - radius:int(y) + radius + 1, int(x) - radius:int(x) + radius + 1, k % 3] = 255
    crop = crop_part(image, part)
    assert crop.shape == (80, 64, 3)
    for k, (x, y) in enumerate(part.type.canonical):
        window = crop[round(y) - 1:round(y) + 2, round(x) - 1:round(x) + 2, k % 3]
        assert window.max() > 100, f"keypoint {k} not at its canonical place"


# --- the shipped part types on real photos -----------------------------------------------

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
real_photos = pytest.mark.skipif(not SHARED.is_dir(), reason=f"shared photos not found at {SHARED}")


@pytest.fixture(scope="module")
def poselets() -> Poselets:
    return load_poselets()


@pytest.fixture(scope="module")
def detector() -> PersonDetector:
    return PersonDetector(device="cpu")


def fired_names(poselets: Poselets, person: PersonDetection, image: np.ndarray) -> list[str]:
    return [part.type.name for part in fire(poselets, person.keypoints, *image.shape[:2])]


def test_the_shipped_types_cover_views_and_regions(poselets: Poselets) -> None:
    names = [part.name for part in poselets.types]
    assert 8 <= len(names) <= 16 and len(set(names)) == len(names)
    assert {"head_shoulders", "upper_body", "torso", "legs", "full_body"} == set(poselets.regions())
    assert any("frontal" in name for name in names) and any("back" in name for name in names)
    for part in poselets.types:
        width, height = part.crop_size
        assert part.canonical.shape == part.centre.shape == (len(part.keypoints), 2)
        assert (part.canonical >= 0).all() and (part.canonical <= [width, height]).all()


@real_photos
@pytest.mark.slow
def test_frontal_people_fire_a_frontal_head_and_shoulders(poselets: Poselets, detector: PersonDetector) -> None:
    image = read_rgb(SHARED / BBT / "bbt1.jpg")
    heads = GROUP_HEADS[f"{BBT}/bbt1.jpg"]
    people = {head_owner(heads, np.asarray(p.head_box)): p for p in reversed(detector.detect(image))}
    assert {0, 1, 2, 3} <= set(people), "the four people on the sofa (the best detection of each)"
    for person in (people[k] for k in range(4)):
        fired = fire(poselets, person.keypoints, *image.shape[:2])
        names = [part.type.name for part in fired]
        assert any(name.startswith("head_shoulders_frontal") for name in names), names
        for part in fired:
            width, height = part.type.crop_size
            assert crop_part(image, part).shape == (height, width, 3)


@real_photos
@pytest.mark.slow
def test_back_view_fires_a_back_type(poselets: Poselets, detector: PersonDetector) -> None:
    image = back_view_photo(SHARED)
    [person] = detector.detect(image)
    names = fired_names(poselets, person, image)
    assert any("_back" in name for name in names), names
    assert not any("frontal" in name for name in names), names
    x1, _, x2, _ = BACK_VIEW_BODY
    assert x1 - 20 <= person.keypoints[0, 0] <= x2 + 20


@real_photos
@pytest.mark.slow
def test_legs_outside_the_photo_do_not_fire_legs(poselets: Poselets, detector: PersonDetector) -> None:
    image = read_rgb(SHARED / BBT / "bbt4.jpg")
    people = detector.detect(image)
    assert len(people) == 6
    ankles = [POSE_LANDMARKS.index("left_ankle"), POSE_LANDMARKS.index("right_ankle")]
    for person in people:
        assert (person.keypoints[ankles, 1] > image.shape[0]).any(), "the pose model puts the ankles below the frame"
        names = fired_names(poselets, person, image)
        assert not any(n.startswith(("legs", "full_body")) for n in names), names
