"""Body descriptor (ONNX), colour statistics and the re-ID metrics of bench/reid.py."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from albumtag.embed.body_colour import COLOUR_SIZE, colour_stats, colour_stats_batch
from albumtag.embed.body_descriptor import (
    INPUT_HEIGHT,
    INPUT_WIDTH,
    BodyDescriptor,
    combine,
    crop_body,
    prepare,
)
from bench.reid import Retrieval, pairwise, retrieval_metrics


def val_crops(shared: Path, people: int = 4, per_person: int = 6) -> tuple[list[np.ndarray], np.ndarray]:
    folders = sorted((shared / "bodies-reid/data/val/all_imgs").iterdir())[:people]
    crops, labels = [], []
    for folder in folders:
        for path in sorted(folder.glob("*.png"))[::16 // per_person][:per_person]:
            crops.append(np.asarray(Image.open(path).convert("RGB")))
            labels.append(folder.name)
    return crops, np.array(labels)


def test_metrics_hand_computed() -> None:
    # Query "a" ranks the gallery b, a, a, b: rank-1 misses, AP = (1/2 + 2/3) / 2.
    # Query "b" would find itself first, but that pair is excluded: then b at rank 3 of 3.
    distances = np.array([[0.1, 0.2, 0.3, 0.4], [0.0, 0.2, 0.3, 0.4]])
    setup = Retrieval(query=np.array(["a", "b"]), gallery=np.array(["b", "a", "a", "b"]),
                      valid=np.array([[True] * 4, [False, True, True, True]]))
    metrics = retrieval_metrics(distances, setup)
    assert metrics["rank1"] == 0.0
    assert metrics["mAP"] == pytest.approx(((1 / 2 + 2 / 3) / 2 + 1 / 3) / 2)
    assert metrics["queries"] == 2


def test_metrics_perfect_and_pairwise() -> None:
    vectors = np.eye(3, dtype=np.float32)
    distances = pairwise(vectors, vectors)
    assert np.allclose(np.diag(distances), 0.0) and np.allclose(distances[0, 1], np.sqrt(2))
    labels = np.array([0, 1, 2])
    metrics = retrieval_metrics(distances, Retrieval(labels, labels, np.ones((3, 3), bool)))
    assert metrics["rank1"] == 1.0 and metrics["mAP"] == 1.0


def test_colour_stats_shape_and_norm() -> None:
    rng = np.random.default_rng(0)
    for shape in [(128, 48, 3), (317, 101, 3), (5, 3, 3)]:
        vector = colour_stats(rng.integers(0, 256, shape, dtype=np.uint8))
        assert vector.shape == (COLOUR_SIZE,) and vector.dtype == np.float32
        assert np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-5)
    assert colour_stats_batch([]).shape == (0, COLOUR_SIZE)
    with pytest.raises(ValueError):
        colour_stats(np.zeros((10, 10), np.uint8))


def test_colour_stats_separate_people(shared_data: Path) -> None:
    crops, labels = val_crops(shared_data)
    distances = pairwise(*(2 * [colour_stats_batch(crops)]))
    same = labels[:, None] == labels[None, :]
    off_diagonal = ~np.eye(len(labels), dtype=bool)
    assert distances[same & off_diagonal].mean() < distances[~same].mean()


def test_prepare_and_crop_body() -> None:
    image = np.arange(20 * 30 * 3, dtype=np.uint8).reshape(20, 30, 3)
    crop = crop_body(image, (25.4, -5, 40, 12))
    assert crop.shape == (12, 5, 3) and np.array_equal(crop, image[:12, 25:30])
    with pytest.raises(ValueError):
        crop_body(image, (31, 0, 40, 10))
    batch = prepare([crop, image])
    assert batch.shape == (2, INPUT_HEIGHT, INPUT_WIDTH, 3) and batch.dtype == np.float32


def test_onnx_descriptor_shape_and_norm(shared_data: Path) -> None:
    model = BodyDescriptor(device="cpu")
    crops, _ = val_crops(shared_data, people=3, per_person=4)
    crops.append(np.zeros((300, 90, 3), np.uint8))  # any size is resized
    vectors = model.describe(crops)
    assert vectors.shape == (len(crops), model.embedding_size) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert model.describe([]).shape == (0, model.embedding_size)
    joined = combine(vectors[:-1], colour_stats_batch(crops[:-1]))
    assert np.allclose(np.linalg.norm(joined, axis=1), 1.0, atol=1e-5)
