"""The group photos imported for real: one instance per person, and every face in exactly one.

People were counted by eye on each photo (viewed whole, and zoomed at the frame's edges). The
head boxes are ``trainer.bodies.evaluate.GROUP_HEADS`` (hand-made, checked against these
counts by drawing them on the photos); an instance belongs to the labelled person whose head
box holds its face's centre, or its nose keypoint when it has no face.

Counted by eye, and what the system reaches (faces stage + bodies stage, default settings):

- bbt1: 4 people on a sofa, all frontal. All 4 found.
- bbt2: 6 people with their heads in view: Leonard and Sheldon at the table, a man at the left
  edge, and three in the blurred background, all turned away (a woman with blond hair seen
  from behind, a bald man, a man in a navy suit at the right); two more stand with their
  heads above the frame (optional: neither required nor false). Found: the 3 whose faces
  show. MISSED: the three background people turned away (neither MTCNN nor BlazePose finds
  them; the detector's own evaluation lists them). FALSE: one body-only instance whose "head"
  is Leonard's hand on the tray (detector score 0.56).
- bbt3: 5 people standing, frontal. All 5 found.
- bbt4: 6 people, frontal, cut at chest or waist. All 6 found.
- bbt5: 5 people, frontal, leaning in. All 5 found.
- couple.jpg: 2 people, close-up. Both found.
- selfie-many-people.jpg: 7 people in a lift. Found: 5. MISSED: the woman at the bottom-left
  edge (half her face outside the frame) and the photographer at the bottom right (his face
  fills a quarter of the photo and is cut by the edge): MTCNN finds neither face; BlazePose
  finds neither of them either, except a box on the photographer's body, which
  ``body_box.person_instances`` drops as lying mostly inside Brad Pitt's body box.
- obama_and_biden.jpg: 3 people (Biden, Obama, the girl); a woman at the right edge shows only
  hair and a red jacket (optional). All 3 found. FALSE: one body-only instance on the
  background left of Biden's raised arm (score 0.29).

So 33 of the 38 people counted are found, with 2 false instances; the misses are reported
with the detector, not hidden here: the expected numbers below are exact, so a better
detector makes this test fail until the numbers are raised.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

from albumtag.app.importer import import_folders
from albumtag.embed.body_parts import BODY_FEATURE, PART_FEATURE_PREFIX
from albumtag.library.database import Library
from albumtag.library.schema import Feature, PersonInstance, Photo
from albumtag.library.vectors import from_blob
from trainer.bodies.evaluate import GROUP_HEADS, head_owner

pytestmark = pytest.mark.slow
BBT = "group-bbt/examples/images"


@dataclass(frozen=True)
class Expected:
    people: int  # counted by eye, heads in view
    found: int  # of those, people with an instance
    faces: int  # instances with a face
    false: int  # instances on nobody labelled


EXPECTED = {
    f"{BBT}/bbt1.jpg": Expected(people=4, found=4, faces=4, false=0),
    f"{BBT}/bbt2.jpg": Expected(people=6, found=3, faces=3, false=1),
    f"{BBT}/bbt3.jpg": Expected(people=5, found=5, faces=5, false=0),
    f"{BBT}/bbt4.jpg": Expected(people=6, found=6, faces=6, false=0),
    f"{BBT}/bbt5.jpg": Expected(people=5, found=5, faces=5, false=0),
    "faces-deepface/couple.jpg": Expected(people=2, found=2, faces=2, false=0),
    "faces-deepface/selfie-many-people.jpg": Expected(people=7, found=5, faces=5, false=0),
    "faces-knn/examples/knn_examples/test/obama_and_biden.jpg": Expected(people=3, found=3, faces=3, false=1),
}


@dataclass(frozen=True)
class GroupImport:
    instances: dict[str, list[PersonInstance]]  # by photo (shared name)
    kinds: dict[int, set[str]]  # instance id -> its feature kinds


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> GroupImport:
    """Every group photo imported into one library."""
    root = tmp_path_factory.mktemp("groups")
    album = root / "album"
    album.mkdir()
    for name in EXPECTED:
        shutil.copy(shared_data / name, album)
    library = Library.open(root / "groups.albumtag")
    try:
        report = import_folders(library, [album])
        assert report.run.stages["bodies"].done == len(EXPECTED)
        with library.session() as session:
            session.expire_on_commit = False
            by_photo = {photo.relpath: list(session.scalars(select(PersonInstance)
                                                            .where(PersonInstance.photo_id == photo.id)))
                        for photo in session.scalars(select(Photo))}
            kinds: dict[int, set[str]] = {}
            for instance_id, kind in session.execute(select(Feature.instance_id, Feature.kind)):
                kinds.setdefault(instance_id, set()).add(kind)
    finally:
        library.close()
    return GroupImport({name: by_photo[Path(name).name] for name in EXPECTED}, kinds)


@pytest.fixture(scope="module")
def instances(imported: GroupImport) -> dict[str, list[PersonInstance]]:
    return imported.instances


def face_box(instance: PersonInstance) -> np.ndarray | None:
    if instance.face_x1 is None:
        return None
    return np.array([instance.face_x1, instance.face_y1, instance.face_x2, instance.face_y2])


def owner(instance: PersonInstance, heads: dict[str, list[list[int]]]) -> int | None:
    """The labelled person (index, required first) an instance is on: by its face, else its nose."""
    box = face_box(instance)
    if box is None:
        nose = from_blob(instance.keypoints, (33, 3))[0, :2]
        box = np.concatenate([nose, nose])
    return head_owner(heads, box)


@pytest.mark.parametrize("name", list(EXPECTED))
def test_one_instance_per_person_counted_by_eye(instances: dict[str, list[PersonInstance]], name: str) -> None:
    heads, expected = GROUP_HEADS[name], EXPECTED[name]
    assert len(heads["required"]) == expected.people
    owners = [owner(instance, heads) for instance in instances[name]]
    on_people = [k for k in owners if k is not None]
    found = {k for k in on_people if k < expected.people}
    assert len(found) == expected.found, f"people found: {sorted(found)}"
    assert len(on_people) == len(set(on_people)), "a person with two instances"
    assert owners.count(None) == expected.false
    assert sum(face_box(i) is not None for i in instances[name]) == expected.faces
    assert all(i.body_x1 is not None for i in instances[name]), "every instance has a body box"


def test_every_face_is_linked_to_exactly_one_instance(instances: dict[str, list[PersonInstance]]) -> None:
    """No face is in two instances, no instance without a face sits on a face (its nose is
    in no face box of the photo), and each face's body box holds the face."""
    for name, found in instances.items():
        faces = [(i, face_box(i)) for i in found if face_box(i) is not None]
        assert len({tuple(box) for _, box in faces}) == len(faces), name
        for body_only in (i for i in found if face_box(i) is None):
            nose = from_blob(body_only.keypoints, (33, 3))[0, :2]
            assert not any(inside(nose, box) for _, box in faces), name
        for instance, box in faces:
            centre = (box[:2] + box[2:]) / 2
            assert instance.body_x1 <= centre[0] <= instance.body_x2 and instance.body_y1 <= box[3], name


def test_parts_only_from_a_pose_that_agrees_with_the_face(imported: GroupImport) -> None:
    """Every instance has a body feature. Where a face's body was detected, the pose should
    put the nose in that face (grown by a quarter of its size each way); 5 of the 30 poses
    paired with a face do not, and those instances get no part features
    (``bodies.pose_agrees``). They are: bbt2's man at the left edge (the detection's head box
    is on his chin, its pose is Leonard's), bbt4's Leonard (pose on the neighbour above him),
    bbt5's Leonard (pose laid over Sheldon), the man in couple.jpg (a close-up cut at the
    chest: the pose is wrong) and the selfie's bearded man (pose on Brad Pitt's face)."""
    disagree, paired = [], 0
    for name, found in imported.instances.items():
        for instance in found:
            kinds = imported.kinds.get(instance.id, set())
            assert BODY_FEATURE in kinds, name
            box = face_box(instance)
            if box is None or instance.keypoints is None:
                continue
            paired += 1
            size = box[2:] - box[:2]
            nose = from_blob(instance.keypoints, (33, 3))[0, :2]
            if not inside(nose, np.concatenate([box[:2] - size / 4, box[2:] + size / 4])):
                disagree.append(Path(name).name)
                assert not any(kind.startswith(PART_FEATURE_PREFIX) for kind in kinds), name
    assert paired == 30
    assert sorted(disagree) == ["bbt2.jpg", "bbt4.jpg", "bbt5.jpg", "couple.jpg", "selfie-many-people.jpg"]


def inside(point: np.ndarray, box: np.ndarray) -> bool:
    return bool(box[0] <= point[0] <= box[2] and box[1] <= point[1] <= box[3])
