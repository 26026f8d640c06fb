"""The bodies stage: people with and without faces become one instance each."""

from __future__ import annotations

import shutil
from pathlib import Path

import cv2
import numpy as np
from sqlalchemy import select

from albumtag.app.importer import import_folders
from albumtag.library.database import Library
from albumtag.library.schema import PersonInstance, Photo
from albumtag.library.vectors import from_blob
from trainer.bodies.evaluate import back_view_photo


def _instances(library: Library, name: str) -> list[PersonInstance]:
    with library.session() as session:
        photo = session.scalar(select(Photo).where(Photo.relpath == name))
        return list(session.scalars(select(PersonInstance).where(PersonInstance.photo_id == photo.id)))


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

    group = _instances(library, "bbt4.jpg")
    faces = [i for i in group if i.face_x1 is not None]
    assert len(faces) == 6, "six faces, counted by eye"
    assert all(i.body_x1 is not None for i in group), "every face has a body box"
    assert len(group) == 6, "one instance per person: no body counted twice"
    assert np.all([i.body_x1 <= i.face_x2 and i.body_x2 >= i.face_x1 for i in faces])
