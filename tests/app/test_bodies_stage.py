"""The bodies stage: people with and without faces become one instance each, and each gets
its body descriptor and one descriptor per poselet that fires on its pose."""

from __future__ import annotations

import shutil
from pathlib import Path

import cv2
import numpy as np
from sqlalchemy import func, select, update

from albumtag.app.importer import import_folders
from albumtag.embed.body_parts import BODY_FEATURE, PART_FEATURE_PREFIX
from albumtag.library.database import Library
from albumtag.library.schema import Feature, ModelVersion, PersonInstance, Photo, PhotoStage
from albumtag.library.vectors import from_blob
from albumtag.vision.person_detector import PersonDetector
from trainer.bodies.evaluate import back_view_photo


def _instances(library: Library, name: str) -> list[PersonInstance]:
    with library.session() as session:
        photo = session.scalar(select(Photo).where(Photo.relpath == name))
        return list(session.scalars(select(PersonInstance).where(PersonInstance.photo_id == photo.id)))


def _features(library: Library, instance_id: int) -> dict[str, tuple[np.ndarray, str]]:
    """kind -> (vector, model name) of one instance."""
    with library.session() as session:
        rows = session.execute(select(Feature, ModelVersion.name).join(ModelVersion)
                               .where(Feature.instance_id == instance_id))
        return {feature.kind: (from_blob(feature.vector), name) for feature, name in rows}


def test_back_view_and_group_photo(library: Library, shared_data: Path, tmp_path: Path) -> None:
    album = tmp_path / "album"
    album.mkdir()
    cv2.imwrite(str(album / "walking-away.jpg"), cv2.cvtColor(back_view_photo(shared_data), cv2.COLOR_RGB2BGR))
    shutil.copy(shared_data / "group-bbt/examples/images/bbt4.jpg", album)
    report = import_folders(library, [album])
    assert report.run.stages["bodies"].done == 2

    back = _instances(library, "walking-away.jpg")
    assert len(back) == 1
    person = back[0]
    assert person.face_x1 is None and person.body_x1 is not None and person.body_score > 0.5
    keypoints = from_blob(person.keypoints, (33, 3))
    assert (keypoints[:, 2] > 0.5).sum() >= 10  # a pose, not just a box
    features = _features(library, person.id)
    parts = {kind for kind in features if kind.startswith(PART_FEATURE_PREFIX)}
    assert BODY_FEATURE in features and "face" not in features
    assert any(kind.endswith("_back") or "_back_" in kind for kind in parts), parts  # seen from behind
    assert set(features) == {BODY_FEATURE} | parts
    for kind, (vector, model) in features.items():
        assert np.isclose(np.linalg.norm(vector), 1.0, atol=1e-4)
        assert model == ("body_descriptor" if kind == BODY_FEATURE else "body_descriptor+poselets")

    group = _instances(library, "bbt4.jpg")
    faces = [i for i in group if i.face_x1 is not None]
    assert len(faces) == 6, "six faces, counted by eye"
    assert all(i.body_x1 is not None for i in group), "every face has a body box"
    assert len(group) == 6, "one instance per person: no body counted twice"
    assert np.all([i.body_x1 <= i.face_x2 and i.body_x2 >= i.face_x1 for i in faces])
    for instance in group:
        assert {"face", BODY_FEATURE} <= set(_features(library, instance.id))


def test_a_second_run_replaces_body_features(library: Library, shared_data: Path, tmp_path: Path) -> None:
    """Re-running the stage (as a newer model version would) leaves one body feature per
    instance and the face features untouched."""
    album = tmp_path / "album"
    album.mkdir()
    shutil.copy(shared_data / "group-bbt/examples/images/bbt1.jpg", album)
    import_folders(library, [album])
    with library.session() as session:
        before = session.scalar(select(func.count()).select_from(Feature))
        session.execute(update(PhotoStage).where(PhotoStage.stage == "bodies").values(version="old"))
        session.commit()
    assert import_folders(library, [album]).run.stages["bodies"].done == 1
    with library.session() as session:
        assert session.scalar(select(func.count()).select_from(Feature)) == before
        kinds = session.scalars(select(Feature.kind).where(Feature.kind == BODY_FEATURE)).all()
        assert len(kinds) == len(_instances(library, "bbt1.jpg")) == 4


def test_photos_whose_faces_fill_the_frame_skip_the_person_detector(
        library: Library, shared_data: Path, tmp_path: Path, monkeypatch) -> None:
    """A 112 px face crop has no body beyond its face: it is not decoded for the bodies stage,
    the detector runs only on the photo framed to the shoulders, and the crop's face keeps
    the rule's body box without a body descriptor."""
    album = tmp_path / "album"
    album.mkdir()
    shutil.copy(shared_data / "faces-crops-dev/Hugh_Laurie/3358.png", album / "crop.png")
    shutil.copy(shared_data / "faces-lfw/Aaron_Sorkin/Aaron_Sorkin_0001.jpg", album / "shoulders.jpg")
    seen: list[tuple[int, int]] = []
    detect = PersonDetector.detect
    monkeypatch.setattr(PersonDetector, "detect",
                        lambda self, image: seen.append(image.shape[:2]) or detect(self, image))
    assert import_folders(library, [album]).run.stages["bodies"].done == 2
    assert seen == [(250, 250)], "only the LFW photo went through the person detector"

    (crop,) = _instances(library, "crop.png")
    assert crop.face_x1 is not None and crop.body_score is None and crop.keypoints is None
    assert 0 <= crop.body_x1 < crop.face_x2 and crop.body_y2 <= 112, "the rule's box, clipped to the photo"
    assert set(_features(library, crop.id)) == {"face"}
    shoulders = [i for i in _instances(library, "shoulders.jpg") if i.face_x1 is not None]
    assert len(shoulders) == 1 and BODY_FEATURE in _features(library, shoulders[0].id)
