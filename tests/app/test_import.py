"""Importing real photos: per-file errors, thumbnails, and incremental rescans."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from sqlalchemy import func, select

from albumtag.app.importer import import_folders, rescan
from albumtag.app.status import library_status, photo_failures
from albumtag.io.thumbnails import thumbnail_path
from albumtag.library.database import Library
from albumtag.library.schema import AssignedBy, Person, PersonInstance, Photo


def _copy_people(shared_data: Path, dest: Path, names: list[str]) -> list[Path]:
    copied = []
    for name in names:
        for src in sorted((shared_data / "faces-lfw" / name).glob("*.jpg"))[:3]:
            target = dest / name / src.name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, target)
            copied.append(target)
    return copied


def test_bad_files_are_listed_and_the_rest_imports(library: Library, bad_corpus, metadata_warnings) -> None:
    folder, expected = bad_corpus
    report = import_folders(library, [folder])
    decode = report.run.stages["decode"]
    assert (decode.done, decode.failed) == (1 + len(metadata_warnings), len(expected))
    listed = photo_failures(library)
    failures = {f.path.name: f.reason for f in listed if not f.warning}
    assert set(failures) == set(expected)
    for name, phrase in expected.items():
        assert phrase in failures[name]
    warnings = {f.path.name: f.reason for f in listed if f.warning}  # imported, with the problem said
    assert set(warnings) == set(metadata_warnings)
    for name, phrase in metadata_warnings.items():
        assert phrase in warnings[name]
    assert [f.warning for f in listed] == sorted(f.warning for f in listed)  # failures first
    with library.session() as session:
        good = session.scalar(select(Photo).where(Photo.relpath == "good.jpg"))
        assert (good.width, good.height) == (250, 250)
        assert thumbnail_path(library.thumbnails_dir, good.content_hash).is_file()


def test_rescan_is_incremental(library: Library, shared_data: Path, tmp_path: Path) -> None:
    album = tmp_path / "album"
    photos = _copy_people(shared_data, album, ["Aaron_Peirsol", "Abdullah_Gul", "Adam_Sandler"])
    first = import_folders(library, [album])
    assert first.run.stages["decode"].done == len(photos) == 9
    again = rescan(library)
    assert again.run.stages["decode"].pending == 0  # nothing changed: nothing decoded

    touched = photos[0]
    os.utime(touched, ns=(touched.stat().st_atime_ns, touched.stat().st_mtime_ns + 10**9))
    after_touch = rescan(library)
    assert next(iter(after_touch.scans.values())).changed == 1
    assert after_touch.run.stages["decode"].done == 1


def test_moved_photo_keeps_its_people_and_deleted_photo_is_kept_as_missing(
        library: Library, shared_data: Path, tmp_path: Path) -> None:
    album = tmp_path / "album"
    photos = _copy_people(shared_data, album, ["Aaron_Peirsol", "Abdullah_Gul"])
    import_folders(library, [album])
    moved_from = photos[0]
    with library.session() as session:
        photo = session.scalar(select(Photo).where(Photo.relpath == moved_from.relative_to(album).as_posix()))
        original_id = photo.id
        person = Person(name="Aaron")
        session.add(person)
        session.flush()
        session.add(PersonInstance(photo_id=photo.id, person_id=person.id,
                                   assigned_by=AssignedBy.USER, face_x1=1, face_y1=1, face_x2=9, face_y2=9))

    moved_to = album / "renamed" / "aaron-at-the-pool.jpg"
    moved_to.parent.mkdir()
    moved_from.rename(moved_to)
    photos[1].unlink()
    report = rescan(library)
    scan = next(iter(report.scans.values()))
    assert (scan.new, scan.missing) == (1, 2)  # the new path, the old path and the deleted one

    with library.session() as session:
        photo = session.get(Photo, original_id)
        assert photo.relpath == "renamed/aaron-at-the-pool.jpg" and not photo.missing
        assert [i.person.name for i in photo.instances if i.assigned_by == AssignedBy.USER] == ["Aaron"]
        assert session.scalar(select(func.count()).select_from(Photo)) == len(photos)
    status = library_status(library)
    assert (status.photos, status.missing) == (len(photos) - 1, 1)


def test_deleted_photo_that_returns_is_back(library: Library, shared_data: Path, tmp_path: Path) -> None:
    album = tmp_path / "album"
    photos = _copy_people(shared_data, album, ["Aaron_Peirsol"])
    import_folders(library, [album])
    backup = tmp_path / "backup.jpg"
    shutil.move(photos[2], backup)
    assert next(iter(rescan(library).scans.values())).missing == 1
    shutil.move(backup, photos[2])
    report = rescan(library)
    assert next(iter(report.scans.values())).returned == 1
    assert report.run.stages["decode"].pending == 0


def test_cancel_stops_between_batches_and_the_next_run_finishes(library: Library, shared_data: Path,
                                                                 tmp_path: Path) -> None:
    from albumtag.app.progress import CancelToken
    from albumtag.app.stages.decode import DecodeStage

    album = tmp_path / "album"
    album.mkdir()
    for src in sorted((shared_data / "faces-lfw").glob("A*/*.jpg"))[:300]:
        shutil.copy(src, album)
    cancel = CancelToken()

    def cancel_after_first_batch(progress) -> None:
        if progress.stage == "decode" and progress.done > 0:
            cancel.cancel()

    stages = [DecodeStage(library.thumbnails_dir)]
    first = import_folders(library, [album], progress=cancel_after_first_batch, cancel=cancel, stages=stages)
    decoded = first.run.stages["decode"].done
    assert first.run.cancelled and 0 < decoded < 300
    second = import_folders(library, [album], stages=stages)
    assert second.run.stages["decode"].pending == 300 - decoded
    assert library_status(library).stages["decode"]["done"] == 300


def test_a_buffer_of_results_is_stored_with_a_few_reads_not_one_a_photo(
        library: Library, shared_data: Path, tmp_path: Path, monkeypatch) -> None:
    """Each stage reads what its stores need for the whole buffer at once (``Stage.preload``):
    a query a photo, each flushing the photo before it, was most of what storing a small photo
    cost. Besides the instances (and their features), a stage's first buffer looks up the
    model versions its features are stored under."""
    from sqlalchemy import event

    from albumtag.app.pipeline import Pipeline

    album = tmp_path / "album"
    photos = _copy_people(shared_data, album, ["Aaron_Peirsol", "Abdullah_Gul", "Adam_Sandler"])
    reads: dict[str, list[tuple[int, int]]] = {}  # stage -> (photos stored, SELECTs) per buffer
    flush = Pipeline._flush

    def counted(self, stage, buffer, timer) -> None:
        selects = [0]

        def count(_conn, _cursor, statement: str, *_args) -> None:
            selects[0] += statement.lstrip().upper().startswith("SELECT")
        stored = len(buffer)
        event.listen(library.engine, "before_cursor_execute", count)
        try:
            flush(self, stage, buffer, timer)
        finally:
            event.remove(library.engine, "before_cursor_execute", count)
        if stored:
            reads.setdefault(stage.name, []).append((stored, selects[0]))

    monkeypatch.setattr(Pipeline, "_flush", counted)
    import_folders(library, [album])
    assert len(photos) == 9
    for stage in ("decode", "faces", "regions", "bodies"):
        assert max(stored for stored, _ in reads[stage]) >= 5, (stage, reads[stage])
        assert max(selects for _, selects in reads[stage]) <= 4, (stage, reads[stage])
