"""Grouping with same-day bodies, end to end: a person whose face is hidden in one shot of a
day joins their group by clothes, and only when the photos are dated alike."""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import select

from albumtag.app import grouping
from albumtag.app.browse import person_faces
from albumtag.app.grouping import load_instances, update_groups
from albumtag.app.identification import refit_body_suggestions
from albumtag.app.importer import import_folders
from albumtag.embed.face_descriptor import FACE_FEATURE
from albumtag.evaluation.scenes import burst_shot, mirrored_with_face_covered
from albumtag.library.database import Library
from albumtag.library.schema import Feature, PersonInstance, Photo
from albumtag.recognize.grouping import GroupingParams
from albumtag.recognize.same_day import NO_DAY

DAY = datetime(2024, 6, 1, 10, 0)


def _save_dated(image: Image.Image, path: Path, when: datetime) -> None:
    exif = Image.Exif()
    exif[0x0132] = when.strftime("%Y:%m:%d %H:%M:%S")  # DateTime
    image.convert("RGB").save(path, quality=92, exif=exif)


def _instances(library: Library, relpath: str) -> list[PersonInstance]:
    with library.session() as session:
        return list(session.scalars(select(PersonInstance).join(Photo).where(Photo.relpath == relpath)))


def _faceless(library: Library, relpath: str) -> list[PersonInstance]:
    with library.session() as session:
        with_face = set(session.scalars(select(Feature.instance_id).where(Feature.kind == FACE_FEATURE)))
    return [i for i in _instances(library, relpath) if i.id not in with_face]


@pytest.fixture(scope="module")
def day(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> tuple[Library, Path]:
    """Three shots of bbt1's scene on one day: the photo, the next shot of a burst, and a
    mirrored shot where the rightmost man's (Sheldon's) face is covered."""
    root = tmp_path_factory.mktemp("same-day")
    album = root / "album"
    album.mkdir()
    photo = Image.open(shared_data / "group-bbt/examples/images/bbt1.jpg")
    _save_dated(photo, album / "first.jpg", DAY)
    library = Library.open(root / "library.albumtag")
    import_folders(library, [album])
    sheldon = max((i for i in _instances(library, "first.jpg") if i.face_x1 is not None), key=lambda i: i.face_x1)
    _save_dated(burst_shot(photo), album / "burst.jpg", DAY.replace(second=2))
    box = (sheldon.face_x1, sheldon.face_y1, sheldon.face_x2, sheldon.face_y2)
    _save_dated(mirrored_with_face_covered(photo, box), album / "second.jpg", DAY.replace(minute=5))
    import_folders(library, [album])
    return library, album


def _sheldon_group(library: Library) -> int:
    sheldon = max((i for i in _instances(library, "first.jpg") if i.face_x1 is not None), key=lambda i: i.face_x1)
    assert sheldon.person_id is not None, "his two faces of the day form a group"
    return sheldon.person_id


def test_a_faceless_shot_joins_its_group_by_the_same_days_clothes(day: tuple[Library, Path]) -> None:
    library, _ = day
    hidden = _faceless(library, "second.jpg")
    assert len(hidden) == 1, "the covered man is found without a face"
    group = _sheldon_group(library)
    assert hidden[0].person_id == group
    shown = [f for f in person_faces(library, group, refit_body_suggestions(library)) if f.instance_id == hidden[0].id]
    assert len(shown) == 1 and not shown[0].confirmed, "his page shows the body as a suggestion"
    assert shown[0].face.box == (hidden[0].body_x1, hidden[0].body_y1, hidden[0].body_x2, hidden[0].body_y2)
    others = {i.person_id for i in _instances(library, "second.jpg") if i.id != hidden[0].id}
    assert group not in others, "one person at most once per photo"


def test_without_body_evidence_or_on_another_day_the_body_stays_alone(day: tuple[Library, Path]) -> None:
    library, album = day
    hidden = _faceless(library, "second.jpg")[0]
    update_groups(library, GroupingParams(body_far=0.0), full=True)
    assert _faceless(library, "second.jpg")[0].person_id is None, "faces alone cannot place it"
    update_groups(library, full=True)
    assert _faceless(library, "second.jpg")[0].person_id == _sheldon_group(library)

    with library.session() as session:  # the covered shot was taken a day later: other clothes
        photo = session.scalar(select(Photo).where(Photo.relpath == "second.jpg"))
        photo.taken_at = DAY.replace(day=2)
    update_groups(library, full=True)
    assert _faceless(library, "second.jpg")[0].person_id is None
    assert hidden.id == _faceless(library, "second.jpg")[0].id


def test_instances_read_in_small_batches_are_those_read_at_once(day: tuple[Library, Path],
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    # load_instances streams rows into the arrays; faces, faceless bodies and their days must
    # land on the same rows whatever the batch size
    library, _ = day
    with library.session() as session:
        at_once = load_instances(session)
        monkeypatch.setattr(grouping, "LOAD_BATCH", 2)
        batched = load_instances(session)
    assert len(at_once.instance_ids) > 2 * 2 and (~at_once.has_face).any() and (at_once.days != NO_DAY).all()
    for field in fields(at_once):
        np.testing.assert_array_equal(getattr(batched, field.name), getattr(at_once, field.name))
