"""The one face-analysis path (decode -> detect -> align -> describe) that the faces stage, the
face-system benchmark and the face head's training data share: it gives exactly what its steps
give one by one, and its parameters (keep, describe, batch size) only choose among them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from albumtag.embed.face_analysis import NARROW_PIXELS, FaceAnalysis
from albumtag.io.photo_batches import PhotoFile, decode_for_analysis
from albumtag.vision.align import ARCFACE_TEMPLATE, face_chip
from albumtag.vision.face_detection import FaceDetector

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
DEEPFACE = SHARED / "faces-deepface"
PHOTOS = ["couple.jpg", "img1.jpg", "img10.jpg", "img11.jpg", "img12.jpg"]

pytestmark = pytest.mark.skipif(not DEEPFACE.is_dir(), reason=f"shared photos not found at {DEEPFACE}")


@pytest.fixture(scope="module")
def analysis() -> FaceAnalysis:
    return FaceAnalysis("cpu")


@pytest.fixture(scope="module")
def jobs(tmp_path_factory: pytest.TempPathFactory) -> list[PhotoFile]:
    broken = tmp_path_factory.mktemp("broken") / "broken.jpg"
    broken.write_bytes(b"not a photo")
    paths = [str(DEEPFACE / name) for name in PHOTOS]
    return [PhotoFile(k, path) for k, path in enumerate([*paths[:2], str(broken), *paths[2:]])]


def test_same_as_its_steps_one_by_one(analysis: FaceAnalysis, jobs: list[PhotoFile]) -> None:
    assert isinstance(analysis.detector, FaceDetector)
    seconds: dict[str, float] = {}
    results = list(analysis.analyse_files(jobs, batch_size=4, seconds=seconds))
    # Per batch, failed decodes first; couple.jpg (3.6 MP decoded) fills a batch alone
    # (albumtag.io.photo_batches.BATCH_PIXELS), the broken file is in the second.
    assert [job.key for job, _ in results] == [0, 2, 1, 3, 4, 5]
    assert isinstance(results[1][1], Exception)
    assert set(seconds) == {"detect", "describe"} and all(v > 0 for v in seconds.values())
    faces = 0
    for job, photo in results[:1] + results[2:]:
        scale, image = decode_for_analysis(job.path)
        assert photo.scale == scale and np.array_equal(photo.image, image)
        expected = analysis.detector.detect(image)
        assert [d.box for d in photo.detections] == [d.box for d in expected]
        assert len(photo.faces) == len(photo.detections)
        for face, detection in zip(photo.faces, photo.detections):
            assert face.detection is detection
            chip = face_chip(image, detection.landmarks, analysis.template)
            arcface_chip = face_chip(image, detection.landmarks, ARCFACE_TEMPLATE, ARCFACE_TEMPLATE.size)
            assert np.array_equal(face.chip, chip) and np.array_equal(face.arcface_chip, arcface_chip)
            np.testing.assert_allclose(face.descriptor, analysis.descriptor.describe(chip[None], arcface_chip[None])[0],
                                       atol=1e-5)
        faces += len(photo.faces)
    assert faces >= len(PHOTOS)


def test_keep_and_describe_choose_among_the_same_results(analysis: FaceAnalysis, jobs: list[PhotoFile]) -> None:
    every = {job.key: photo for job, photo in analysis.analyse_files(jobs) if not isinstance(photo, Exception)}
    chips_only = FaceAnalysis("cpu", describe=False)
    assert chips_only.descriptor is None and analysis.version.startswith(chips_only.version + ";")
    def last_face(found: list, _image: np.ndarray) -> list[int]:
        return [len(found) - 1] if found else []

    last = {job.key: photo for job, photo in chips_only.analyse_files(jobs, batch_size=2, keep=last_face)
            if not isinstance(photo, Exception)}
    assert set(last) == set(every)
    for key, photo in last.items():
        assert len(photo.faces) == min(1, len(every[key].detections))
        for face in photo.faces:
            assert face.descriptor is None
            assert np.array_equal(face.chip, every[key].faces[-1].chip)


def test_two_streams_give_the_same_results_in_the_same_order(analysis: FaceAnalysis, jobs: list[PhotoFile]) -> None:
    """Batches analysed side by side on two threads (the faces stage on a CPU), each holding
    half the pixels, small photos on one-thread sessions, change nothing but the speed: same
    photos in the same order (a failed decode comes first in its batch, and batches differ),
    same boxes and descriptors."""
    two_streams = FaceAnalysis("cpu", streams=2)
    assert two_streams.narrow_detector is not two_streams.detector
    one = dict(analysis.analyse_files(jobs, batch_size=2))
    two = dict(two_streams.analyse_files(jobs, batch_size=2))

    def keys(results: dict, failed: bool) -> list[int]:
        return [job.key for job, photo in results.items() if isinstance(photo, Exception) == failed]

    assert keys(two, False) == keys(one, False) and keys(two, True) == keys(one, True)
    decoded = [photo.image for photo in two.values() if not isinstance(photo, Exception)]
    assert any(image.shape[0] * image.shape[1] <= NARROW_PIXELS for image in decoded)  # some go narrow
    for job, a in one.items():
        if isinstance(a, Exception):
            continue
        b = two[job]
        assert [d.box for d in b.detections] == [d.box for d in a.detections]
        for face_a, face_b in zip(a.faces, b.faces):
            np.testing.assert_allclose(face_b.descriptor, face_a.descriptor, atol=1e-5)
