"""BlazePose pre- and post-processing on hand-made cases (no model)."""

from __future__ import annotations

import numpy as np
import pytest

from albumtag.vision import person_ops as ops


def test_anchors_match_the_detector_outputs() -> None:
    anchors = ops.ssd_anchor_centres(224, [8, 16, 32], [2, 2, 6])
    assert anchors.shape == (2254, 2)  # 28*28*2 + 14*14*2 + 7*7*6, the detector's output rows
    np.testing.assert_allclose(anchors[:3], [[4, 4], [4, 4], [12, 4]])
    np.testing.assert_allclose(anchors[-1], [208, 208])


def test_decode_applies_offsets_to_anchor_centres_and_thresholds() -> None:
    anchors = np.array([[100.0, 50.0], [10.0, 10.0]], dtype=np.float32)
    raw = np.zeros((2, 12), dtype=np.float32)
    raw[0, :4] = [2, -4, 20, 40]  # centre offset, width, height
    raw[0, 4:] = [0, 60, 0, -40, 1, 1, 2, 2]
    boxes, scores, keypoints = ops.decode_detections(raw, np.array([[3.0], [-3.0]]), anchors, 0.5)
    np.testing.assert_allclose(boxes, [[92, 26, 112, 66]])
    np.testing.assert_allclose(scores, [1 / (1 + np.exp(-3))], rtol=1e-6)
    np.testing.assert_allclose(keypoints[0], [[100, 110], [100, 10], [101, 51], [102, 52]])


def test_sigmoid_is_quiet_on_huge_logits() -> None:
    with np.errstate(all="raise"):
        np.testing.assert_allclose(ops.sigmoid(np.array([-1e4, 0.0, 1e4])), [0.0, 0.5, 1.0])


def test_letterbox_round_trip() -> None:
    image = np.full((100, 200, 3), 255, dtype=np.uint8)
    boxed = ops.letterbox(image, 224)
    assert boxed.shape == (224, 224, 3)
    assert boxed[:56].max() == 0 and boxed[168:].max() == 0 and boxed[60:160].min() == 255
    region = ops.Region(30, 40, 200, 100)
    corners = np.array([[0.0, 56.0], [224.0, 168.0]])
    np.testing.assert_allclose(ops.from_letterbox(corners, region, 224), [[30, 40], [230, 140]])


def test_tiles_cover_the_photo_at_every_scale() -> None:
    regions = ops.tile_regions(400, 1000, [1.0, 0.5])
    assert regions[0] == ops.Region(0, 0, 1000, 400)
    for side in (400, 200):
        tiles = [r for r in regions[1:] if r.width == side]
        covered = np.zeros((400, 1000), dtype=bool)
        for r in tiles:
            assert r.height == side and r.x + side <= 1000 and r.y + side <= 400
            covered[r.y:r.y + side, r.x:r.x + side] = True
        assert covered.all()
    assert ops.tile_regions(300, 300, [1.0]) == [ops.Region(0, 0, 300, 300)]


def test_tiling_is_bounded_for_any_shape() -> None:
    """A working-size photo keeps every tile; a panorama drops the scales that pass the cap;
    a strip thinner than a person gets the whole-photo pass only (issue: a 20000x10 JPEG
    took 14,000 tiles and 8.6 GB)."""
    assert len(ops.tile_regions(1152, 2048, [1.0, 0.5])) == 1 + 3 + 21
    panorama = ops.tile_regions(250, 3750, [1.0, 0.5])
    assert 1 < len(panorama) <= ops.MAX_TILES + 1 and {r.width for r in panorama[1:]} == {250}
    assert ops.tile_regions(2, 2500, [1.0, 0.5]) == [ops.Region(0, 0, 2500, 2)]
    for height, width in ((1, 1), (10, 20000), (2000, 30000), (65535, 3), (3000, 4000)):
        assert len(ops.tile_regions(height, width, [1.0, 0.5])) <= ops.MAX_TILES + 1


def _keypoints(shoulder: tuple[float, float], radius: float) -> np.ndarray:
    points = np.zeros((4, 2), dtype=np.float32)
    points[2] = shoulder
    points[3] = (shoulder[0], shoulder[1] - radius)
    return points


def test_merge_keeps_neighbours_and_drops_the_same_person_seen_twice() -> None:
    keypoints = np.stack([_keypoints((100, 100), 50), _keypoints((110, 105), 60),  # one person, two tiles
                          _keypoints((200, 100), 50)])  # the neighbour, two radii away
    keep = ops.merge_by_upper_body(keypoints, np.array([0.6, 0.9, 0.7]), 0.5)
    assert keep.tolist() == [1, 2]


def test_roi_of_an_upright_person() -> None:
    hips_and_head = np.array([[[100.0, 200.0], [100.0, 100.0]]])
    centres, sides, rotations = ops.roi_from_keypoints(hips_and_head, 1.25)
    np.testing.assert_allclose(centres, [[100, 200]])
    np.testing.assert_allclose(sides, [250])
    np.testing.assert_allclose(rotations, [0], atol=1e-12)
    leaning_right = np.array([[[0.0, 0.0], [10.0, -10.0]]])
    assert ops.roi_from_keypoints(leaning_right, 1.0)[2][0] == pytest.approx(np.pi / 4)


def test_roi_matrix_maps_the_crop_onto_the_rotated_square() -> None:
    matrix = ops.roi_matrix(np.array([100.0, 200.0]), 256.0, np.pi / 2, 256)
    crop_points = np.array([[128.0, 128.0], [128.0, 0.0]])  # centre, top middle
    image_points = crop_points @ matrix[:, :2].T + matrix[:, 2]
    np.testing.assert_allclose(image_points, [[100, 200], [228, 200]], atol=1e-9)  # "up" points right


def test_crop_and_project_are_inverse() -> None:
    image = np.zeros((300, 300, 3), dtype=np.uint8)
    image[140:160, 190:210] = 255  # a white square centred at (200, 150)
    matrix = ops.roi_matrix(np.array([150.0, 150.0]), 200.0, 0.3, 64)
    crop = ops.crop_roi(image, matrix, 64)
    ys, xs = np.nonzero(crop[:, :, 0] > 128)
    raw = np.zeros((1, 5), dtype=np.float32)
    raw[0, :2] = [xs.mean(), ys.mean()]
    points, visibility, presence = ops.project_landmarks(raw, matrix[None])
    np.testing.assert_allclose(points[0, 0], [200, 150], atol=2)
    assert visibility[0, 0] == presence[0, 0] == 0.5


def test_body_box_spans_head_and_torso_and_is_clipped_separately() -> None:
    landmarks = np.zeros((33, 2), dtype=np.float32)
    landmarks[list(ops.SHOULDERS)] = [[80, 150], [120, 150]]
    landmarks[list(ops.HIPS)] = [[85, 260], [115, 260]]
    landmarks[15] = [400, 0]  # a raised wrist does not widen the body box
    box = ops.body_box(np.array([85.0, 90.0, 115.0, 130.0]), landmarks, 0.25)
    np.testing.assert_allclose(box, [70, 90, 130, 260])
    np.testing.assert_allclose(ops.clip_box(box, 200, 100), [70, 90, 100, 200])
