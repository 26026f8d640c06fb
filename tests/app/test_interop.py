"""Tags in and out of the library: XMP regions on import, sidecar export, backup and restore."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from albumtag.app.attach import attach_people
from albumtag.app.browse import person_faces
from albumtag.app.importer import import_folders
from albumtag.app.interop import backup, export_xmp, restore
from albumtag.app.people_actions import PeopleActions
from albumtag.cli import EXIT_FAILED, EXIT_OK, main
from albumtag.io.xmp_files import photo_people
from albumtag.io.xmp_regions import Frame, TaggedPerson
from albumtag.library.database import Library
from albumtag.library.schema import (
    Album,
    AssignedBy,
    DecisionState,
    Person,
    PersonInstance,
    Photo,
    TagDecision,
)

CURIES = {"Marie Curie", "Pierre Curie"}


def _copy_faces(shared_data: Path, dest: Path) -> Path:
    shutil.copytree(shared_data / "formats-immich" / "metadata" / "faces", dest)
    for path in dest.iterdir():
        path.chmod(0o644)
    return dest


def _named_tags(library: Library) -> set[tuple[str, str, AssignedBy]]:
    """(photo content hash, person's name, assigned by) of every named instance."""
    with library.session() as session:
        rows = session.execute(select(Photo.content_hash, Person.name, PersonInstance.assigned_by)
                               .join(PersonInstance, PersonInstance.photo_id == Photo.id)
                               .join(Person, PersonInstance.person_id == Person.id)
                               .where(Person.name.is_not(None)))
        return {tuple(row) for row in rows}


def test_import_turns_xmp_regions_into_confirmed_people(library: Library, shared_data: Path) -> None:
    import_folders(library, [shared_data / "formats-immich" / "metadata" / "faces"])
    with library.session() as session:
        people = {p.name: p for p in session.scalars(select(Person).where(Person.name.is_not(None)))}
        assert set(people) == CURIES
        for person in people.values():
            instances = list(session.scalars(select(PersonInstance).where(PersonInstance.person_id == person.id)))
            assert len(instances) == 2  # one on each photo: no duplicates
            assert {i.assigned_by for i in instances} == {AssignedBy.METADATA}
            decisions = session.scalars(select(TagDecision).where(TagDecision.person_id == person.id))
            assert {(d.state, d.source) for d in decisions} == {(DecisionState.CONFIRMED, AssignedBy.METADATA)}
        # The detector found Marie's face: the region was put on that instance, not beside it.
        marie = session.scalars(select(PersonInstance).where(PersonInstance.person_id == people["Marie Curie"].id))
        assert all(i.landmarks is not None for i in marie)


def test_attaching_the_same_tags_again_changes_nothing(library: Library, shared_data: Path) -> None:
    import_folders(library, [shared_data / "formats-immich" / "metadata" / "faces"])
    before = _named_tags(library)
    with library.session() as session:
        count = session.scalar(select(func.count()).select_from(PersonInstance))
        photo_id = session.scalar(select(Photo.id).where(Photo.relpath == "portrait.jpg"))
        frame = Frame(1, 840, 700)
        path = shared_data / "formats-immich" / "metadata" / "faces" / "portrait.jpg"
        summary = attach_people(session, photo_id, photo_people(path, frame), AssignedBy.METADATA)
        assert (summary.created, summary.skipped) == (0, 0)
        assert session.scalar(select(func.count()).select_from(PersonInstance)) == count
    assert _named_tags(library) == before


def test_export_writes_sidecars_other_programs_read(library: Library, shared_data: Path, tmp_path: Path) -> None:
    album = _copy_faces(shared_data, tmp_path / "album")
    import_folders(library, [album], album_name="Curies")
    report = export_xmp(library, "Curies")
    assert (report.written, report.failed) == (2, [])
    for photo in album.glob("*.jpg"):
        sidecar = photo.with_name(photo.name + ".xmp")
        assert sidecar.is_file()
        assert {p.name for p in photo_people(photo, Frame(1, 840, 700))} == CURIES


def test_backup_and_restore_into_a_new_library(shared_data: Path, tmp_path: Path) -> None:
    """People named by hand survive moving the photos and rebuilding the library."""
    first = tmp_path / "first"
    for src in sorted((shared_data / "faces-lfw" / "Aaron_Peirsol").glob("*.jpg"))[:2]:
        first.mkdir(exist_ok=True)
        shutil.copy(src, first / src.name)
    old = Library.open(tmp_path / "old.albumtag")
    import_folders(old, [first])
    actions = PeopleActions(old)
    with old.session() as session:
        instances = list(session.scalars(select(PersonInstance).where(PersonInstance.face_x1.is_not(None))
                                         .order_by(PersonInstance.id)))
        photo_id = instances[0].photo_id
        ids = [i.id for i in instances]
    actions.assign_new_name(ids, "Aaron")
    with old.session() as session:  # a face drawn by hand where the detector saw none
        hand = PersonInstance(photo_id=photo_id, face_x1=5, face_y1=5, face_x2=40, face_y2=40)
        session.add(hand)
        session.flush()
        hand_id = hand.id
    actions.set_hidden(actions.assign_new_name([hand_id], "Somebody Else"))
    saved = backup(old, tmp_path / "people.json")
    expected = _named_tags(old)
    old.close()
    assert saved.people == 2 and saved.tags == len(expected)

    moved = tmp_path / "moved" / "renamed"
    shutil.copytree(first, moved)
    for path in moved.iterdir():
        path.rename(path.with_name("x-" + path.name))
    new = Library.open(tmp_path / "new.albumtag")
    import_folders(new, [moved])
    report = restore(new, tmp_path / "people.json")
    assert (report.photos_found, report.photos_missing) == (2, 0)
    assert report.tags.created == 1  # the hand-drawn face; the others matched detections
    assert _named_tags(new) == expected
    with new.session() as session:
        assert session.scalar(select(Person.hidden).where(Person.name == "Somebody Else")) is True
    new.close()


def test_restore_refuses_a_file_that_is_not_a_backup(library: Library, tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.json"
    bogus.write_text(json.dumps({"format": "something else"}))
    assert main(["--library", str(library.path), "restore", str(bogus)]) == EXIT_FAILED
    damaged = tmp_path / "damaged.json"
    damaged.write_text(json.dumps({"format": "albumtag-people-backup", "version": 1, "people": [{}], "photos": []}))
    assert main(["--library", str(library.path), "restore", str(damaged)]) == EXIT_FAILED


def test_cli_backup_restore_and_export(library: Library, shared_data: Path, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    album = _copy_faces(shared_data, tmp_path / "album")
    import_folders(library, [album])
    target = tmp_path / "backup.json"
    assert main(["--library", str(library.path), "backup", str(target)]) == EXIT_OK
    assert "saved 2 people and 4 tags on 2 photos" in capsys.readouterr().out
    assert main(["--library", str(library.path), "restore", str(target)]) == EXIT_OK
    assert "tags restored: 4 (0 without a detected face)  left out: 0" in capsys.readouterr().out
    assert main(["--library", str(library.path), "export-xmp"]) == EXIT_OK
    assert "sidecars written: 2  failed: 0" in capsys.readouterr().out
    assert main(["--library", str(library.path), "export-xmp", "--album", "nope"]) == EXIT_FAILED
    assert "no album called 'nope'" in capsys.readouterr().err


def test_keyword_only_tags_need_exactly_one_face(library: Library) -> None:
    with library.session() as session:
        album = Album(name="a", root="/nowhere")
        session.add(album)
        session.flush()
        one, two = (Photo(album_id=album.id, relpath=name, size=1, mtime_ns=1) for name in ("one", "two"))
        session.add_all([one, two])
        session.flush()
        session.add(PersonInstance(photo_id=one.id, face_x1=0, face_y1=0, face_x2=10, face_y2=10))
        for x in (0, 50):
            session.add(PersonInstance(photo_id=two.id, face_x1=x, face_y1=0, face_x2=x + 10, face_y2=10))
        session.flush()
        assert attach_people(session, one.id, [TaggedPerson("Ada", None)], AssignedBy.METADATA).linked == 1
        assert attach_people(session, two.id, [TaggedPerson("Ada", None)], AssignedBy.METADATA).skipped == 1


def test_a_person_known_only_from_a_region_can_be_opened(library: Library, shared_data: Path) -> None:
    """Pierre Curie is in profile: the detector misses him, so he has box-only instances."""
    import_folders(library, [shared_data / "formats-immich" / "metadata" / "faces"])
    with library.session() as session:
        pierre = session.scalar(select(Person.id).where(Person.name == "Pierre Curie"))
    faces = person_faces(library, pierre)
    assert len(faces) == 2 and all(face.confirmed for face in faces)
