"""Tags in and out of the library: XMP regions on import, sidecar export, backup and restore."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from albumtag.app.attach import attach_people
from albumtag.app.backup import backup, restore
from albumtag.app.browse import person_faces
from albumtag.app.identification import refit_body_suggestions
from albumtag.app.importer import import_folders, rescan
from albumtag.app.people_actions import PeopleActions
from albumtag.app.xmp_export import export_xmp
from albumtag.cli import EXIT_FAILED, EXIT_OK, main
from albumtag.io.hashing import content_hash
from albumtag.io.xmp_files import photo_people
from albumtag.io.xmp_rdf import DC, DIGIKAM, LIGHTROOM, parse, q, texts
from albumtag.io.xmp_regions import Frame, TaggedPerson
from albumtag.io.xmp_write import write_sidecar
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
    faces = person_faces(library, pierre, refit_body_suggestions(library))
    assert len(faces) == 2 and all(face.confirmed for face in faces)


# ----- writing into the photo files (opt-in) ----------------------------------------------
def _stored(library: Library) -> dict[str, tuple[str, int, int]]:
    """relpath -> (content hash, size, mtime) as the library has them."""
    with library.session() as session:
        return {rel: (digest, size, mtime) for rel, digest, size, mtime in session.execute(
            select(Photo.relpath, Photo.content_hash, Photo.size, Photo.mtime_ns))}


def _names_by_photo(library: Library) -> set[tuple[str, str]]:
    """(relpath, name) of every named instance."""
    with library.session() as session:
        return set(session.execute(select(Photo.relpath, Person.name)
                                   .join(PersonInstance, PersonInstance.photo_id == Photo.id)
                                   .join(Person, PersonInstance.person_id == Person.id)
                                   .where(Person.name.is_not(None))))


def test_writing_into_originals_keeps_the_people_through_a_rescan(
        library: Library, shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The files change, and the library learns their new hashes: a rescan finds nothing to redo."""
    album = _copy_faces(shared_data, tmp_path / "album")
    import_folders(library, [album])
    before = _names_by_photo(library)
    assert main(["--library", str(library.path), "export-xmp", "--into-originals"]) == EXIT_OK
    assert "written into photos: 2  already up to date: 0  sidecars instead: 0  failed: 0" in capsys.readouterr().out
    assert not list(album.glob("*.xmp"))
    stored = _stored(library)
    for photo in album.glob("*.jpg"):
        assert stored[photo.name] == (content_hash(photo.read_bytes()), photo.stat().st_size, photo.stat().st_mtime_ns)
        assert photo.stat().st_mode & 0o777 == 0o644  # the rewritten file keeps its permissions
    report = rescan(library)
    assert (report.scans[1].changed, report.scans[1].unchanged) == (0, 2)
    assert report.run.stages["faces"].done == 0
    assert _names_by_photo(library) == before
    assert main(["--library", str(library.path), "export-xmp", "--into-originals"]) == EXIT_OK
    assert "written into photos: 0  already up to date: 2" in capsys.readouterr().out


def test_a_failed_write_leaves_the_originals_and_the_library_as_they_were(
        library: Library, shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    album = _copy_faces(shared_data, tmp_path / "album")
    import_folders(library, [album])
    files = {path.name: path.read_bytes() for path in album.iterdir()}
    stored = _stored(library)

    def crash(*_args: object) -> None:
        raise OSError(5, "Input/output error")  # a full disk stops the export: tests/app/test_full_disk.py

    monkeypatch.setattr(os, "replace", crash)
    report = export_xmp(library, into_originals=True)
    assert report.written == 0 and len(report.failed) == 2
    assert all("Input/output error" in reason for _, reason in report.failed)
    assert {path.name: path.read_bytes() for path in album.iterdir()} == files  # no temporary files either
    assert _stored(library) == stored


def test_other_formats_and_edited_files_are_reported(library: Library, shared_data: Path, tmp_path: Path) -> None:
    """WebP gets the sidecar instead; a photo edited since the scan is not written at all."""
    album = _copy_faces(shared_data, tmp_path / "album")
    webp = album / "denali.webp"
    shutil.copyfile(shared_data / "formats-immich" / "formats" / "webp" / "denali.webp", webp)
    frame = Frame(1, 600, 315)
    write_sidecar(webp, [TaggedPerson("Ansel", (100.0, 100.0, 200.0, 220.0))], frame)
    import_folders(library, [album])
    assert ("denali.webp", "Ansel") in _names_by_photo(library)
    edited = album / "portrait.jpg"
    edited.write_bytes(edited.read_bytes() + b"\0")  # after the JPEG's end: still the same picture
    report = export_xmp(library, into_originals=True)
    assert report.to_sidecar == [(webp, "only JPEG and PNG files are written into")]
    assert [(path, reason.split(";")[0]) for path, reason in report.failed] == [
        (edited, "the file changed since AlbumTag last read it")]
    assert report.into_originals == 1  # portrait-orientation-6.jpg
    [ansel] = photo_people(webp, frame)
    assert ansel.name == "Ansel" and ansel.box == pytest.approx((100.0, 100.0, 200.0, 220.0), abs=0.001)


def test_names_only_in_keywords_survive_an_export(library: Library, shared_data: Path, tmp_path: Path) -> None:
    """A keyword the import could not put on a face stays; one the user took off a face goes."""
    album = tmp_path / "album"
    album.mkdir()
    Image.new("RGB", (64, 48), "grey").save(album / "nobody.jpg")  # no face to put a name on
    one_face = album / "aaron.jpg"
    shutil.copyfile(shared_data / "faces-lfw" / "Aaron_Peirsol" / "Aaron_Peirsol_0001.jpg", one_face)
    for photo in album.iterdir():
        write_sidecar(photo, [TaggedPerson("Ada Lovelace", None)], Frame(1, 1, 1))
    import_folders(library, [album])
    with library.session() as session:
        ada = session.scalar(select(Person.id).where(Person.name == "Ada Lovelace"))
        placed = list(session.scalars(select(PersonInstance.id).where(PersonInstance.person_id == ada)))
    assert len(placed) == 1  # on Aaron's face, the only one there
    PeopleActions(library).reject(placed, ada)
    assert export_xmp(library).written == 2
    kept = parse((album / "nobody.jpg.xmp").read_bytes())
    assert texts(kept, q(DIGIKAM, "TagsList")) == ["People/Ada Lovelace"]
    assert texts(kept, q(LIGHTROOM, "hierarchicalSubject")) == ["People|Ada Lovelace"]
    assert texts(kept, q(DC, "subject")) == ["Ada Lovelace"]
    assert photo_people(one_face, Frame(1, 250, 250)) == []


def test_a_sidecar_edited_after_the_import_is_read_again_on_rescan(
        library: Library, shared_data: Path, tmp_path: Path) -> None:
    album = _copy_faces(shared_data, tmp_path / "album")
    import_folders(library, [album])
    photo = album / "portrait.jpg"
    frame = Frame(1, 840, 700)
    write_sidecar(photo, [*photo_people(photo, frame), TaggedPerson("Ève Curie", (700.0, 300.0, 780.0, 400.0))],
                  frame)  # as digiKam would, after AlbumTag read the photo
    report = rescan(library)
    assert report.sidecars_changed == 1 and report.scans[1].changed == 0
    assert report.run.stages["regions"].done == 1 and report.run.stages["faces"].done == 0
    assert _names_by_photo(library) >= {("portrait.jpg", "Ève Curie"), ("portrait.jpg", "Marie Curie")}
    assert rescan(library).sidecars_changed == 0
