"""MTCNN's pure pre/post-processing steps on hand-made inputs (no model needed)."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from albumtag.vision import mtcnn_ops as ops


def boxes(*rows: tuple[float, float, float, float]) -> np.ndarray:
    return np.array(rows, dtype=np.float32).reshape(-1, 4)


def naive_nms(b: np.ndarray, scores: np.ndarray, threshold: float, mode: str) -> list[int]:
    """The textbook greedy loop, as the reference for the fast version."""
    order = list(np.argsort(-scores, kind="stable"))
    keep = []
    while order:
        best = order.pop(0)
        keep.append(int(best))
        if order:
            overlaps = ops.overlap(np.repeat(b[best:best + 1], len(order), axis=0), b[order], mode)
            order = [k for k, o in zip(order, overlaps) if o <= threshold]
    return keep


# ---- pyramid -------------------------------------------------------------------------


@pytest.mark.parametrize(("height", "width", "max_pixels"), [(1208, 1608, 500_000), (381, 593, 20_000),
                                                              (13, 40, 100), (12, 12, 10**6)])
def test_pnet_bands_cover_every_map_row_once_with_whole_windows(height: int, width: int, max_pixels: int) -> None:
    map_rows = math.ceil((height - 2) / 2) - 4  # conv 3x3, max-pool 2x2 (ceil), conv 3x3 twice
    rows: list[int] = []
    for start, stop in ops.pnet_bands(height, width, max_pixels):
        assert start % ops.STRIDE == 0 and stop - start >= ops.CELL
        kept = ops.pnet_band_rows(start, stop, height)
        count = math.ceil((stop - start - 2) / 2) - 4 if kept is None else kept
        if kept is not None:
            assert (stop - start) * width <= max(max_pixels, (ops.CELL + ops.STRIDE) * width)
            assert ops.STRIDE * (kept - 1) + ops.CELL <= stop - start  # each kept row's window inside
        rows += [start // ops.STRIDE + k for k in range(count)]
    assert rows == list(range(map_rows))

def test_first_scale_maps_min_face_onto_the_window() -> None:
    scales = ops.pyramid_scales(480, 640, min_face=20)
    assert scales[0] == pytest.approx(12 / 20)
    assert np.allclose(np.array(scales[1:]) / np.array(scales[:-1]), 0.709)
    assert 480 * scales[-1] >= 12 > 480 * scales[-1] * 0.709


def test_max_side_caps_the_first_level_and_the_count() -> None:
    scales = ops.pyramid_scales(3000, 4000, min_face=12, max_side=1600)
    assert 4000 * scales[0] == pytest.approx(1600)
    assert len(scales) <= math.log(2 * 1600 / 12) / math.log(1 / 0.709) + 1
    # Any photo, however large, gets at most that many levels.
    assert len(ops.pyramid_scales(20000, 30000, min_face=12, max_side=1600)) == len(scales)


def test_border_adds_levels_for_faces_larger_than_the_frame_but_stays_bounded() -> None:
    plain = ops.pyramid_scales(100, 100, min_face=20)
    padded = ops.pyramid_scales(100, 100, min_face=20, border=4)
    assert len(padded) > len(plain)
    assert 100 * padded[-1] >= 6  # never below half a window, whatever the border
    assert len(ops.pyramid_scales(100, 100, min_face=20, border=50)) == len(padded)


def test_tiny_image_has_no_level() -> None:
    assert ops.pyramid_scales(5, 5, min_face=20) == []


def test_working_scale_and_level_size() -> None:
    assert ops.working_scale(480, 640, 1600) == 1.0
    assert ops.working_scale(3000, 4000, 1600) == pytest.approx(0.4)
    assert ops.level_size(101, 99, 0.5) == (51, 50)


# ---- PNet output -> boxes --------------------------------------------------------------

def test_pnet_candidates_map_cells_back_to_image_pixels() -> None:
    score = np.zeros((10, 12), np.float32)
    score[3, 5] = 0.9
    score[7, 1] = 0.5  # below threshold
    reg = np.zeros((4, 10, 12), np.float32)
    reg[:, 3, 5] = [0.1, 0.2, 0.3, 0.4]
    b, s, r = ops.pnet_candidates(reg, score, scale_xy=(0.5, 0.25), threshold=0.6, border=2)
    assert s.tolist() == pytest.approx([0.9])
    # window [2*5 - 2, +12) x [2*3 - 2, +12) in level pixels, divided by the scale
    np.testing.assert_allclose(b, [[16, 16, 40, 64]])
    np.testing.assert_allclose(r, [[0.1, 0.2, 0.3, 0.4]])


def test_pnet_candidates_empty() -> None:
    b, s, r = ops.pnet_candidates(np.zeros((4, 3, 3)), np.zeros((3, 3)), (1.0, 1.0), 0.6)
    assert b.shape == (0, 4) and s.shape == (0,) and r.shape == (0, 4)


# ---- NMS ------------------------------------------------------------------------------

def test_nms_removes_the_weaker_of_two_overlapping_boxes() -> None:
    b = boxes((0, 0, 10, 10), (1, 1, 11, 11), (50, 50, 60, 60))
    keep = ops.nms(b, np.array([0.8, 0.9, 0.7]), 0.5)
    assert keep.tolist() == [1, 2]  # best first; box 0 overlaps box 1 by IoU 0.68


def test_nms_keeps_boxes_under_the_threshold() -> None:
    b = boxes((0, 0, 10, 10), (5, 0, 15, 10))  # IoU = 1/3
    assert sorted(ops.nms(b, np.array([0.9, 0.8]), 0.5).tolist()) == [0, 1]
    assert ops.nms(b, np.array([0.9, 0.8]), 0.3).tolist() == [0]


def test_min_mode_removes_a_box_nested_in_a_larger_one() -> None:
    b = boxes((0, 0, 100, 100), (40, 40, 60, 60))  # IoU 0.04, inside: overlap/min = 1
    scores = np.array([0.9, 0.8])
    assert ops.nms(b, scores, 0.7, "union").tolist() == [0, 1]
    assert ops.nms(b, scores, 0.7, "min").tolist() == [0]


def test_nms_empty_and_touching() -> None:
    assert ops.nms(boxes(), np.zeros(0), 0.5).tolist() == []
    touching = boxes((0, 0, 10, 10), (10, 0, 20, 10))
    assert sorted(ops.nms(touching, np.array([0.5, 0.6]), 0.0).tolist()) == [0, 1]


@pytest.mark.parametrize("mode", ["union", "min"])
def test_nms_equals_the_textbook_loop(mode: str) -> None:
    rng = np.random.default_rng(1)
    for _ in range(100):
        n = int(rng.integers(0, 50))
        corner = rng.uniform(0, 100, (n, 2))
        b = np.concatenate([corner, corner + rng.uniform(5, 40, (n, 2))], axis=1).astype(np.float32)
        scores = rng.integers(0, 4, n).astype(np.float32)  # many ties: order must be stable
        for threshold in (0.3, 0.5, 0.7):
            assert ops.nms(b, scores, threshold, mode).tolist() == naive_nms(b, scores, threshold, mode)


def test_overlapping_pairs_are_all_x_intersecting_pairs_once() -> None:
    rng = np.random.default_rng(2)
    corner = rng.uniform(0, 200, (60, 2))
    b = np.concatenate([corner, corner + rng.uniform(1, 30, (60, 2))], axis=1)
    i, j = ops.overlapping_pairs(b)
    found = {frozenset(p) for p in zip(i.tolist(), j.tolist())}
    assert len(found) == len(i)
    expected = {frozenset((p, q)) for p in range(60) for q in range(p + 1, 60)
                if min(b[p, 2], b[q, 2]) > max(b[p, 0], b[q, 0])}
    assert found == expected


@pytest.mark.parametrize("mode", ["union", "min"])
def test_nms_by_groups_equals_the_textbook_loop_in_each_group(mode: str) -> None:
    """One sweep over boxes of several groups (the pyramid levels of several photos, far
    apart or on top of each other) keeps what each group's own loop keeps, in score order."""
    rng = np.random.default_rng(3)
    for _ in range(50):
        n = int(rng.integers(0, 80))
        corner = rng.uniform(-20, 300, (n, 2))
        b = np.concatenate([corner, corner + rng.uniform(0.5, 60, (n, 2))], axis=1).astype(np.float32)
        scores = rng.integers(0, 4, n).astype(np.float32)
        groups = rng.integers(0, 5, n)
        kept = ops.nms(b, scores, 0.5, mode, groups)
        assert kept.tolist() == sorted(kept.tolist(), key=lambda k: -scores[k])
        for g in range(5):
            mine = np.flatnonzero(groups == g)
            expected = mine[naive_nms(b[mine], scores[mine], 0.5, mode)]
            assert [k for k in kept.tolist() if groups[k] == g] == expected.tolist()


def test_batched_nms_does_not_suppress_across_groups() -> None:
    b = boxes((0, 0, 10, 10), (0, 0, 10, 10), (1, 1, 10, 10))
    keep = ops.batched_nms(b, np.array([0.9, 0.8, 0.7]), np.array([0, 1, 0]), 0.5)
    assert keep.tolist() == [0, 1]


# ---- boxes -> next stage --------------------------------------------------------------

def test_regress_moves_each_edge_by_its_offset_times_the_size() -> None:
    out = ops.regress(boxes((10, 20, 30, 60)), np.array([[0.1, -0.1, 0.5, 0.25]]))
    np.testing.assert_allclose(out, [[12, 16, 40, 70]])


def test_square_keeps_the_centre_and_takes_the_longer_side() -> None:
    out = ops.square(boxes((10, 20, 30, 60), (0, 0, 8, 4)))
    np.testing.assert_allclose(out, [[0, 20, 40, 60], [0, -2, 8, 6]])


def test_integer_boxes_round_and_stay_at_least_one_pixel() -> None:
    out = ops.integer_boxes(boxes((1.4, 1.6, 9.5, 10.4), (3.2, 3.2, 3.3, 3.3)))
    assert out.tolist() == [[1, 2, 10, 10], [3, 3, 4, 4]]


def test_crop_inside_the_image_is_a_plain_resize() -> None:
    image = np.random.default_rng(3).integers(0, 256, (50, 60, 3), dtype=np.uint8)
    crop = ops.crop_resized(image, np.array([10, 5, 34, 29]), 12)
    expected = cv2.resize(image[5:29, 10:34], (12, 12), interpolation=cv2.INTER_AREA)
    assert np.array_equal(crop, expected)


def test_crop_outside_the_image_is_filled_by_the_border_mode() -> None:
    image = np.full((20, 20, 3), 200, np.uint8)
    crop = ops.crop_resized(image, np.array([-20, 0, 20, 40]), 4, cv2.BORDER_CONSTANT)
    assert crop.shape == (4, 4, 3)
    assert (crop[:2, :2] == 0).all() and (crop[:2, 2:] == 200).all() and (crop[2:] == 0).all()
    replicated = ops.crop_resized(image, np.array([-20, 0, 20, 40]), 4, cv2.BORDER_REPLICATE)
    assert (replicated == 200).all()
    assert (ops.crop_resized(image, np.array([100, 100, 110, 110]), 4) == 0).all()


def test_to_nchw() -> None:
    batch = np.arange(2 * 4 * 5 * 3, dtype=np.uint8).reshape(2, 4, 5, 3)
    out = ops.to_nchw(batch)
    assert out.shape == (2, 3, 4, 5) and out.dtype == np.float32
    assert out[1, 2, 3, 4] == batch[1, 3, 4, 2]


def test_run_batched_runs_at_most_batch_images_and_concatenates_in_order() -> None:
    class Model:
        def __init__(self) -> None:
            self.sizes: list[int] = []

        def run(self, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
            image = feeds["image"]
            self.sizes.append(len(image))
            return [image[:, 0, 0, 0], image.sum(axis=(1, 2, 3))]

    images = np.arange(5, dtype=np.uint8)[:, None, None, None].repeat(3, axis=3)
    model = Model()
    first, total = ops.run_batched(model, images, 2)
    assert model.sizes == [2, 2, 1]
    np.testing.assert_array_equal(first, [0, 1, 2, 3, 4])
    np.testing.assert_array_equal(total, 3 * np.arange(5))
    assert ops.run_batched(model, images[:0], 2) == []


def test_decode_landmarks_scales_fractions_by_the_crop_window() -> None:
    relative = np.array([[0, 1, 0.5, 0.25, 0.75, 0, 0, 0.5, 1, 1]], np.float32)
    points = ops.decode_landmarks(relative, np.array([[10, 20, 50, 60]]))
    assert points.shape == (1, 5, 2)
    np.testing.assert_allclose(points[0], [[10, 20], [50, 20], [30, 40], [20, 60], [40, 60]])
