"""The composite sets' people: the fixed CUHK03 val halves and the LFW split halves."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from albumtag.embed.face_descriptor import FaceDescriptor
from albumtag.evaluation.composite_data import (
    EVALUATION_HALF,
    FUSION_HALF,
    cuhk03_half,
    cuhk03_people,
    face_run,
    lfw_people,
    sample_pairs,
)
from albumtag.evaluation.splits import is_training_person


def test_cuhk03_val_halves_are_even_and_odd_ids(shared_data: Path) -> None:
    assert cuhk03_half("0042") == FUSION_HALF and cuhk03_half("0007") == EVALUATION_HALF
    everyone = cuhk03_people(shared_data)
    fusion, evaluation = cuhk03_people(shared_data, FUSION_HALF), cuhk03_people(shared_data, EVALUATION_HALF)
    assert not set(fusion) & set(evaluation)
    assert {**fusion, **evaluation} == everyone
    assert all(int(p) % 2 == 0 for p in fusion) and all(int(p) % 2 == 1 for p in evaluation)
    assert len(fusion) == len(evaluation) == 50


def test_lfw_people_are_one_half_with_ten_photos(shared_data: Path) -> None:
    training, held_out = lfw_people(shared_data, training=True), lfw_people(shared_data, training=False)
    assert training and held_out and not set(training) & set(held_out)
    assert all(is_training_person(n) for n in training) and not any(is_training_person(n) for n in held_out)
    assert min(len(p) for p in [*training.values(), *held_out.values()]) >= 10


def test_sampled_albums_draw_face_people_and_pair_each_once() -> None:
    faces = {f"f{i}": [Path(f"f{i}_{k}") for k in range(10)] for i in range(8)}
    bodies = {f"b{i}": [Path(f"b{i}_{k}") for k in range(5 + i)] for i in range(3)}
    first, again, other = sample_pairs(faces, bodies, 0), sample_pairs(faces, bodies, 0), sample_pairs(faces, bodies, 5)
    assert first == again and len(first) == 3
    assert sorted(b for _, b, _ in first) == sorted(bodies)
    assert len({f for f, _, _ in first}) == 3 and all(n == len(bodies[b]) for _, b, n in first)
    assert {f for f, _, _ in first} != {f for f, _, _ in other} or first != other


def test_cached_face_descriptors_are_not_reused_after_the_face_models_change(
        shared_data: Path, tmp_path: Path, monkeypatch) -> None:
    """The cache is keyed by the face models' versions too: a rebuilt descriptor describes
    the photos again instead of reading the old model's vectors."""
    photos = sorted((shared_data / "faces-lfw" / "Aaron_Peirsol").glob("*.jpg"))[:2]
    first = face_run("albumtag", photos, "cpu", tmp_path)
    assert len(list(tmp_path.glob("composite-faces-albumtag-*.npz"))) == 1
    np.testing.assert_array_equal(face_run("albumtag", photos, "cpu", tmp_path).vectors, first.vectors)

    monkeypatch.setattr(FaceDescriptor, "version", property(lambda _: "rebuilt"))
    face_run("albumtag", photos, "cpu", tmp_path)
    assert len(list(tmp_path.glob("composite-faces-albumtag-*.npz"))) == 2
