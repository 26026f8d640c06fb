"""The library's face vector: dlib's descriptor and SFace's side by side, on real faces."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from albumtag.embed import face_vector
from albumtag.embed.face_analysis import FaceAnalysis
from albumtag.embed.face_descriptor import MATCH_DISTANCE, FaceDescriptor
from albumtag.embed.face_vector import FACE_VECTOR_SIZE, SFACE_SCALE, SFACE_WEIGHT, combine, dlib_part
from albumtag.embed.sface_descriptor import SFaceDescriptor
from albumtag.evaluation.splits import is_training_person
from trainer.images import read_rgb

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
LFW = SHARED / "faces-lfw"
PEOPLE = 6  # held-out LFW people with 10+ photos, first by name
PHOTOS = 6  # the first photos of each


@pytest.fixture(scope="module")
def faces() -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """The largest face of each photo: its face vector, dlib chip and ArcFace chip, and person."""
    if not LFW.is_dir():
        pytest.fail(f"shared test photos not found at {LFW}; see README.md")
    people = [p for p in sorted(LFW.iterdir()) if p.is_dir() and not is_training_person(p.name)
              and len(list(p.glob("*.jpg"))) >= 10][:PEOPLE]
    paths = [(path, person.name) for person in people for path in sorted(person.glob("*.jpg"))[:PHOTOS]]
    analysed = FaceAnalysis("cpu").analyse([read_rgb(path) for path, _ in paths])
    largest = [max(photo.faces, key=lambda f: f.detection.box[2] - f.detection.box[0]) for photo in analysed]
    return (np.stack([f.descriptor for f in largest]), np.stack([f.chip for f in largest]),
            np.stack([f.arcface_chip for f in largest]), [name for _, name in paths])


def _distances(vectors: np.ndarray) -> np.ndarray:
    return np.linalg.norm(vectors[:, None] - vectors[None], axis=-1)


def test_squared_distance_is_the_weighted_sum_of_the_two() -> None:
    rng = np.random.default_rng(0)
    dlib, sface = rng.normal(0, 0.1, (2, 20, 128)).astype(np.float32)
    vectors = combine(dlib, sface * rng.uniform(1, 30, (20, 1)))  # SFace's magnitude does not count
    unit = sface / np.linalg.norm(sface, axis=1, keepdims=True)
    want = (1 - SFACE_WEIGHT) * _distances(dlib) ** 2 + SFACE_WEIGHT * (SFACE_SCALE * _distances(unit)) ** 2
    assert vectors.shape == (20, FACE_VECTOR_SIZE)
    np.testing.assert_allclose(_distances(vectors) ** 2, want, atol=1e-5)
    np.testing.assert_allclose(dlib_part(vectors), dlib, atol=1e-6)


def test_the_vector_is_dlibs_and_sfaces_of_the_same_chips(faces) -> None:
    vectors, chips, arcface_chips, _ = faces
    want = combine(FaceDescriptor("cpu").describe(chips), SFaceDescriptor("cpu").describe(arcface_chips))
    np.testing.assert_allclose(vectors, want, atol=1e-5)


def test_sface_alone_tells_people_apart(faces) -> None:
    """SFace's unit vectors on people no model here was chosen on: every face's nearest other
    face is the same person, and most same-person pairs are under OpenCV's threshold."""
    _, _, arcface_chips, names = faces
    sface = SFaceDescriptor("cpu").describe(arcface_chips)
    unit = sface / np.linalg.norm(sface, axis=1, keepdims=True)
    d = _distances(unit)
    np.fill_diagonal(d, np.inf)
    labels = np.array(names)
    assert (labels[d.argmin(axis=1)] == labels).all()
    same = labels[:, None] == labels[None]
    np.fill_diagonal(same, False)
    assert (d[same] < face_vector.sface_descriptor.MATCH_DISTANCE).mean() > 0.9
    assert (d[~same & np.isfinite(d)] > face_vector.sface_descriptor.MATCH_DISTANCE).mean() > 0.99


def test_the_vector_keeps_dlibs_scale(faces) -> None:
    """The radii and thresholds chosen on dlib's distances keep their meaning: one person's
    faces lie under dlib's 0.6, other people's above it."""
    vectors, _, _, names = faces
    d = _distances(vectors)
    labels = np.array(names)
    same = labels[:, None] == labels[None]
    np.fill_diagonal(same, False)
    different = labels[:, None] != labels[None]
    assert (d[same] < MATCH_DISTANCE).mean() > 0.95
    assert (d[different] > MATCH_DISTANCE).mean() > 0.99


def test_rejects_wrong_chip_sizes() -> None:
    with pytest.raises(ValueError, match="112, 112, 3"):
        SFaceDescriptor("cpu").describe(np.zeros((2, 150, 150, 3), np.uint8))
    with pytest.raises(ValueError, match="2 dlib chips but 1"):
        face_vector.FaceVectorModel("cpu").describe(np.zeros((2, 150, 150, 3), np.uint8),
                                                    np.zeros((1, 112, 112, 3), np.uint8))
