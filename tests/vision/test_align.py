"""Alignment: the similarity fit, chip resampling, the template, and agreement with dlib."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from albumtag.vision.align import AlignmentTemplate, face_chip, load_template, similarity_transform
from albumtag.vision.face_detection import LANDMARK_ORDER

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def similarity(angle: float, scale: float, tx: float, ty: float) -> np.ndarray:
    c, s = scale * np.cos(angle), scale * np.sin(angle)
    return np.array([[c, -s, tx], [s, c, ty]])


def apply(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    return points @ matrix[:, :2].T + matrix[:, 2]


def test_similarity_transform_recovers_a_known_transform_exactly() -> None:
    rng = np.random.default_rng(0)
    for _ in range(20):
        truth = similarity(rng.uniform(-np.pi, np.pi), rng.uniform(0.05, 5), *rng.uniform(-500, 500, 2))
        src = rng.uniform(0, 1000, (5, 2))
        np.testing.assert_allclose(similarity_transform(src, apply(truth, src)), truth, atol=1e-9)


def test_similarity_transform_is_the_least_squares_fit() -> None:
    rng = np.random.default_rng(1)
    src = rng.uniform(0, 100, (5, 2))
    dst = apply(similarity(0.3, 1.5, 10, -5), src) + rng.normal(0, 2, (5, 2))
    best = similarity_transform(src, dst)
    residual = ((apply(best, src) - dst) ** 2).sum()
    for _ in range(200):  # no nearby similarity does better
        a, b = best[0, 0] + rng.normal(0, 0.01), best[1, 0] + rng.normal(0, 0.01)
        other = np.array([[a, -b, best[0, 2] + rng.normal(0, 0.5)], [b, a, best[1, 2] + rng.normal(0, 0.5)]])
        assert ((apply(other, src) - dst) ** 2).sum() >= residual


def test_similarity_transform_never_reflects_and_weights_ignore_an_outlier() -> None:
    src = np.array([[0, 0], [10, 0], [0, 7], [12, 10], [3, 5]], float)
    mirrored = src * [-1, 1]
    assert np.linalg.det(similarity_transform(src, mirrored)[:, :2]) > 0
    truth = similarity(0.2, 2.0, 3, 4)
    dst = apply(truth, src)
    dst[4] += 40
    np.testing.assert_allclose(similarity_transform(src, dst, np.array([1, 1, 1, 1, 0.0])), truth, atol=1e-9)


def template(points: np.ndarray, size: int = 150) -> AlignmentTemplate:
    return AlignmentTemplate(size=size, points=points, weights=np.ones(5), landmark_order=LANDMARK_ORDER)


def test_face_chip_is_the_warp_of_the_fitted_transform() -> None:
    rng = np.random.default_rng(2)
    image = rng.integers(0, 256, (300, 400, 3), dtype=np.uint8)
    tpl = template(np.array([[50, 50], [100, 50], [75, 80], [55, 105], [95, 105]], float))
    truth = similarity(0.25, 0.8, -60, -20)  # image -> chip, no pyramid needed (scale > 0.5)
    landmarks = apply(cv2.invertAffineTransform(truth), tpl.points)
    chip = face_chip(image, landmarks, tpl)
    expected = cv2.warpAffine(image, truth, (150, 150), flags=cv2.INTER_LINEAR)
    assert chip.shape == (150, 150, 3) and chip.dtype == np.uint8
    assert np.abs(chip.astype(int) - expected).max() <= 1


def test_large_face_is_shrunk_smoothly_and_placed_right() -> None:
    """A face 8x the chip's resolution: the pyramid must keep geometry and average pixels."""
    image = np.zeros((2400, 2400, 3), np.uint8)
    image[::2] = 255  # one-pixel stripes: plain bilinear sampling would alias them
    cv2.circle(image, (1200, 1000), 60, (255, 0, 0), -1)
    tpl = template(np.array([[50, 50], [100, 50], [75, 80], [55, 105], [95, 105]], float))
    truth = similarity(0.0, 1 / 8, -75, -50)  # (1200, 1000) -> (75, 75)
    chip = face_chip(image, apply(cv2.invertAffineTransform(truth), tpl.points), tpl)
    red = (chip[..., 0].astype(int) - chip[..., 2]) > 100
    centre = np.argwhere(red).mean(axis=0)
    np.testing.assert_allclose(centre, [75, 75], atol=1.0)  # (row, col) of the disc
    stripes = chip[20:40, 20:40, 1].astype(float)
    assert abs(stripes.mean() - 127.5) < 10 and stripes.std() < 10  # averaged, not aliased


def test_template_for_another_size_spans_the_same_chip() -> None:
    tpl = template(np.array([[0, 0], [149, 149], [74.5, 74.5], [0, 149], [149, 0]], float))
    np.testing.assert_allclose(tpl.points_for(300)[:2], [[0, 0], [299, 299]])


def test_bundled_template_loads_from_the_manifest() -> None:
    tpl = load_template()
    assert tpl.size == 150 and tpl.points.shape == (5, 2) and tpl.weights.shape == (5,)
    assert tpl.landmark_order == LANDMARK_ORDER
    left_eye, right_eye, nose, mouth_left, mouth_right = tpl.points
    assert left_eye[0] < nose[0] < right_eye[0] and left_eye[1] < nose[1] < mouth_left[1]
    assert tpl.version


@pytest.mark.slow
@pytest.mark.reference
def test_chips_agree_with_dlib_on_held_out_lfw_people() -> None:
    """MTCNN + template chips vs dlib's own chips (HOG + 5-point predictor + get_face_chip)
    of the same faces, on people the template never saw (the odd half of the split)."""
    dlib = pytest.importorskip("dlib")
    pytest.importorskip("face_recognition_models")
    from albumtag.evaluation.splits import is_training_person
    from albumtag.vision.mtcnn_detector import MtcnnDetector
    from trainer.faces.build_alignment import CHIP_PADDING, CHIP_SIZE, DlibReference, face_region_probes, match
    from trainer.images import read_rgb

    lfw = SHARED / "faces-lfw"
    if not lfw.is_dir():
        pytest.skip(f"LFW not found at {lfw}")
    held_out = [p for p in sorted(lfw.iterdir()) if not is_training_person(p.name)][::8][:80]
    detector, reference, tpl = MtcnnDetector(device="cpu"), DlibReference(), load_template()
    probes = face_region_probes()
    displacement, correlation = [], []
    for person in held_out:
        image = read_rgb(sorted(person.glob("*.jpg"))[0])
        detections = detector.detect(image)
        for face in reference.faces(image):
            found = match(face, detections)
            if found is None:
                continue
            ours = similarity_transform(found.landmarks, tpl.points, tpl.weights)
            theirs = face.to_chip
            # Where each chip shows the same image points (probes of dlib's chip, mapped back).
            image_points = apply(cv2.invertAffineTransform(theirs), probes)
            displacement.append(np.linalg.norm(apply(ours, image_points) - probes, axis=1).mean())
            shape = dlib.full_object_detection(
                dlib.rectangle(0, 0, image.shape[1], image.shape[0]),
                [dlib.point(int(round(x)), int(round(y))) for x, y in face.points])
            dlib_chip = dlib.get_face_chip(image, shape, size=CHIP_SIZE, padding=CHIP_PADDING)
            our_chip = face_chip(image, found.landmarks, tpl)
            correlation.append(np.corrcoef(dlib_chip.ravel(), our_chip.ravel())[0, 1])
    displacement, correlation = np.array(displacement), np.array(correlation)
    print(f"{len(displacement)} held-out faces: face-region displacement mean {displacement.mean():.2f} px, "
          f"median {np.median(displacement):.2f} px, p90 {np.percentile(displacement, 90):.2f} px; "
          f"chip NCC mean {correlation.mean():.3f}, min {correlation.min():.3f}")
    assert len(displacement) >= 60
    assert displacement.mean() < 3.0 and np.median(displacement) < 2.5
    assert correlation.mean() > 0.9
