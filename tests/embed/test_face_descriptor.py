"""The ONNX face descriptor against dlib's own, on real photos, plus its batching contract.

The parity test cuts chips the way dlib does (HOG detector, 5-point shape predictor,
``get_face_chip`` with size 150 and padding 0.25) and feeds the same chip, and its mirror
image, to dlib's ``compute_face_descriptor``: ours must agree with the scaled mean of the two
to cosine 0.999 on every face.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from albumtag.embed.face_analysis import FaceAnalysis
from albumtag.embed.face_descriptor import BATCH, EMBEDDING_SIZE, MATCH_DISTANCE, FaceDescriptor, distance
from albumtag.embed.face_vector import dlib_part
from trainer.faces.build_descriptor import dlib_descriptors
from trainer.images import read_rgb

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
JOHNS = SHARED_DATA / "faces-johns" / "examples" / "johns"  # 150x150 chips that dlib cut
LFW_EVERY = 100  # LFW: the first photo of every 100th person, by sorted name
DEEPFACE_EVERY = 2  # every other faces-deepface photo (dlib's HOG is most of the time)
MAX_SIDE = 640  # photos are shrunk to this long side before detection (time: HOG upsamples 2x)
MIN_COSINE = 0.999


def _shared(path: Path) -> Path:
    if not path.exists():
        pytest.fail(f"shared test photos not found at {path}; see README.md")
    return path



@pytest.fixture(scope="module")
def descriptor() -> FaceDescriptor:
    return FaceDescriptor(device="cpu")


@pytest.fixture(scope="module")
def johns() -> tuple[np.ndarray, list[str]]:
    """The 55 dlib chips of faces-johns and the person of each."""
    paths = sorted(_shared(JOHNS).rglob("*.jpg"))
    return np.stack([read_rgb(p) for p in paths]), [p.parent.name for p in paths]


def _photos() -> list[Path]:
    deepface = sorted(_shared(SHARED_DATA / "faces-deepface").glob("*.jpg"))[::DEEPFACE_EVERY]
    people = sorted(p for p in _shared(SHARED_DATA / "faces-lfw").iterdir() if p.is_dir())
    lfw = [sorted(person.glob("*.jpg"))[0] for person in people[::LFW_EVERY]]
    return deepface + lfw


def _dlib_chips(dlib, photos: list[Path]) -> np.ndarray:
    """Every face HOG finds in the photos, aligned by dlib (5-point predictor)."""
    import face_recognition_models

    detector = dlib.get_frontal_face_detector()
    predictor = dlib.shape_predictor(face_recognition_models.pose_predictor_five_point_model_location())
    chips = []
    for path in photos:
        image = read_rgb(path)
        scale = MAX_SIDE / max(image.shape[:2])
        if scale < 1:
            image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        for box in detector(image, 1):
            chips.append(dlib.get_face_chip(image, predictor(image, box), size=150, padding=0.25))
    return np.stack(chips)


def _cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


@pytest.mark.slow
@pytest.mark.reference
def test_matches_dlib_on_every_face(descriptor: FaceDescriptor) -> None:
    dlib = pytest.importorskip("dlib")
    models = pytest.importorskip("face_recognition_models")
    photos = _photos()
    chips = _dlib_chips(dlib, photos)
    assert len(chips) >= len(photos) * 0.9, f"only {len(chips)} faces in {len(photos)} photos"

    reference = dlib_descriptors(Path(models.face_recognition_model_location()), chips)
    ours = descriptor.describe(chips)

    cosine = _cosine(ours, reference)
    assert cosine.min() >= MIN_COSINE, (
        f"min cosine {cosine.min():.6f} (mean {cosine.mean():.6f}) over {len(chips)} faces; "
        f"worst face #{int(cosine.argmin())}")
    assert np.abs(ours - reference).max() < 1e-3


def test_shapes_dtypes_and_batching(descriptor: FaceDescriptor, johns) -> None:
    chips, _ = johns
    assert len(chips) > BATCH  # crosses a batch boundary
    batched = descriptor.describe(chips)
    assert batched.shape == (len(chips), EMBEDDING_SIZE) and batched.dtype == np.float32
    one_by_one = np.concatenate([descriptor.describe(chip) for chip in chips])
    np.testing.assert_allclose(batched, one_by_one, atol=1e-5)
    np.testing.assert_allclose(descriptor.describe(chips.astype(np.float32)), batched, atol=1e-6)
    assert descriptor.describe(chips[:0]).shape == (0, EMBEDDING_SIZE)


def test_a_chip_and_its_mirror_image_have_one_descriptor(descriptor: FaceDescriptor, johns) -> None:
    """The graph averages each chip with its mirror image, so which way a face turns is gone."""
    chips, _ = johns
    np.testing.assert_allclose(descriptor.describe(chips[:, :, ::-1]), descriptor.describe(chips), atol=1e-5)


def test_a_photo_and_its_mirror_image_get_nearly_one_descriptor() -> None:
    """Mirroring a whole photo moves the detector's landmarks a little, so the chips are not
    exact mirrors; the averaged descriptor (the dlib part of the face vector) still nearly
    agrees (dlib's own descriptors of these photos lie 0.19 apart on average, ours under 0.1)."""
    analysis = FaceAnalysis("cpu")
    for path in sorted(_shared(SHARED_DATA / "faces-lfw" / "Aaron_Peirsol").glob("*.jpg"))[:2]:
        image = read_rgb(path)
        photo, mirrored = analysis.analyse([image, np.ascontiguousarray(image[:, ::-1])])
        largest = [max(p.faces, key=lambda face: face.detection.box[2] - face.detection.box[0])
                   for p in (photo, mirrored)]
        assert distance(*(dlib_part(face.descriptor) for face in largest)) < 0.1


def test_rejects_wrong_chip_size(descriptor: FaceDescriptor) -> None:
    with pytest.raises(ValueError, match="150, 150, 3"):
        descriptor.describe(np.zeros((2, 112, 112, 3), np.uint8))


def test_dlib_threshold_separates_people(descriptor: FaceDescriptor, johns) -> None:
    """Raw (not re-normalised) descriptors keep dlib's metric: same person closer than 0.6."""
    chips, people = johns
    vectors = descriptor.describe(chips)
    dist = distance(vectors[:, None], vectors[None])
    labels = np.array(people)
    same = labels[:, None] == labels[None]
    off_diagonal = ~np.eye(len(labels), dtype=bool)
    same_ok = (dist[same & off_diagonal] < MATCH_DISTANCE).mean()
    different_ok = (dist[~same] >= MATCH_DISTANCE).mean()
    assert same_ok > 0.95 and different_ok > 0.95, (same_ok, different_ok)
