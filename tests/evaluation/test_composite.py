"""The composite-set ablation: splits, face removal, and the rows on real body crops."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from albumtag.embed.body_colour import colour_stats_batch
from albumtag.embed.body_descriptor import BodyDescriptor
from albumtag.evaluation.composite import (
    TEST,
    TRAIN,
    WEIGHTS,
    CompositeSet,
    ablation,
    assign_splits,
    pair_people,
    remove_faces,
)


def test_pairing_uses_the_smaller_count_and_each_person_once() -> None:
    pairs = pair_people({"a": 12, "b": 3, "c": 7}, {"x": 5, "y": 9}, seed=1)
    assert [f for f, _, _ in pairs] == ["a", "b"]
    assert sorted(b for _, b, _ in pairs) == ["x", "y"]
    assert all(n == min({"a": 12, "b": 3}[f], {"x": 5, "y": 9}[b]) for f, b, n in pairs)


def test_splits_are_stratified_and_repeatable() -> None:
    labels = np.repeat(np.arange(4), [10, 5, 3, 2])
    splits = assign_splits(labels, seed=3)
    assert np.array_equal(splits, assign_splits(labels, seed=3))
    ten = splits[labels == 0]
    assert [int((ten == s).sum()) for s in (TRAIN, WEIGHTS, TEST)] == [4, 2, 4]
    assert set(splits[labels == 2]) == {TRAIN, WEIGHTS, TEST}
    assert set(splits[labels == 3]) == {TRAIN, TEST}


def test_face_removal_hides_about_the_fraction() -> None:
    fired = np.ones(1000, bool)
    fired[:100] = False
    kept = remove_faces(fired, 0.5, seed=0)
    assert not kept[:100].any()
    assert 400 < kept[100:].sum() < 500


def _reid_val(shared: Path) -> tuple[list[np.ndarray], np.ndarray]:
    folders = sorted((shared / "bodies-reid/data/val/all_imgs").iterdir())
    crops, labels = [], []
    for label, folder in enumerate(folders):
        for path in sorted(folder.glob("*.png"))[::2]:
            crops.append(np.asarray(Image.open(path).convert("RGB")))
            labels.append(label)
    return crops, np.array(labels)


@pytest.fixture(scope="module")
def reid_set(shared_data: Path) -> CompositeSet:
    """12 people x 8 crops: the learned descriptor as the global part, colour statistics as a
    second part that fires on only half the instances (as a hidden face would)."""
    crops, labels = _reid_val(shared_data)
    fired = np.arange(len(labels)) % 2 == 0
    return CompositeSet(labels, BodyDescriptor(device="cpu").describe(crops),
                        {"colour": colour_stats_batch(crops)}, {"colour": fired})


def test_ablation_rows_on_real_crops(reid_set: CompositeSet) -> None:
    rows = ablation(reid_set, face_removed=0.0, seed=0)
    assert set(rows) == {"global only", "colour only", "parts only", "all, no sparsity filling", "all (PIPER)"}
    assert all(0.0 <= value <= 1.0 for value in rows.values())
    assert rows["colour only"] <= 0.5 + 1e-9, "a part that fires on half the instances answers at most half"
    assert rows["global only"] > 0.5, "the body descriptor tells 12 people apart"
    assert rows["all (PIPER)"] >= rows["all, no sparsity filling"] - 0.05
