"""Photos that change under the import: each one that cannot be read is listed with its
reason (``albumtag errors``), and nothing else is lost.

"Between scan and decode" is the import itself with its scan (``reconcile_album``) hooked:
the files change right after the folder was listed, before any stage reads them.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from albumtag.app import importer
from albumtag.app.importer import import_folders, rescan
from albumtag.app.people_actions import PeopleActions
from albumtag.app.stages.decode import DecodeStage
from albumtag.app.status import photo_failures
from albumtag.cli import EXIT_OK, main
from albumtag.io.hashing import content_hash
from albumtag.library.database import Library
from albumtag.library.schema import Person, PersonInstance, Photo, PhotoStage, StageStatus

REPO = Path(__file__).resolve().parents[2]
STAGES = {"decode", "faces", "regions", "bodies"}
Change = Callable[[Callable[[], None]], None]


@pytest.fixture
def between_scan_and_decode(monkeypatch: pytest.MonkeyPatch) -> Change:
    """``between_scan_and_decode(change)``: the next import runs ``change()`` once, right after
    its scan listed the files and before any stage reads them."""
    changes: list[Callable[[], None]] = []
    scan = importer.reconcile_album

    def scan_then_change(*args, **kwargs):
        summary = scan(*args, **kwargs)
        while changes:
            changes.pop(0)()
        return summary

    monkeypatch.setattr(importer, "reconcile_album", scan_then_change)
    return changes.append


def _lfw(shared_data: Path, count: int) -> list[Path]:
    return sorted((shared_data / "faces-lfw").glob("*/*_0001.jpg"))[:count]


def _album(sources: list[Path], folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    photos = [folder / f"p{index}.jpg" for index in range(len(sources))]
    for source, photo in zip(sources, photos):
        shutil.copyfile(source, photo)
    return photos


def _failures(library: Library, album: Path) -> dict[str, tuple[str, str]]:
    return {failure.path.relative_to(album).as_posix(): (failure.stage, failure.reason)
            for failure in photo_failures(library) if not failure.warning}


def _done(library: Library) -> dict[str, set[str]]:
    """relpath -> the stages done on it."""
    found: dict[str, set[str]] = {}
    with library.session() as session:
        for relpath, stage in session.execute(select(Photo.relpath, PhotoStage.stage).join(PhotoStage)
                                              .where(PhotoStage.status == StageStatus.DONE)):
            found.setdefault(relpath, set()).add(stage)
    return found


def test_files_that_change_after_the_scan_are_listed_and_the_rest_imports(
        library: Library, shared_data: Path, tmp_path: Path, between_scan_and_decode: Change,
        capsys: pytest.CaptureFixture[str]) -> None:
    sources = _lfw(shared_data, 10)
    album = tmp_path / "album"
    p = _album(sources[:9], album)
    (album / "loop-a.jpg").symlink_to("loop-b.jpg")  # a link loop already there when scanned
    (album / "loop-b.jpg").symlink_to("loop-a.jpg")

    def change() -> None:
        p[0].unlink()
        p[1].write_bytes(p[1].read_bytes()[:4000])
        p[2].write_bytes(b"a text now, no longer a photo\n")
        shutil.copyfile(sources[9], p[3])  # another photo in its place
        p[4].unlink()
        p[4].mkdir()
        p[5].unlink()
        p[5].symlink_to(p[5].name)

    between_scan_and_decode(change)
    report = import_folders(library, [album])
    assert report.scans[1].new == 11
    failures = _failures(library, album)
    expected = {"p0.jpg": "No such file or directory", "p1.jpg": "cannot decode image",
                "p2.jpg": "not an image", "p4.jpg": "Is a directory", "p5.jpg": "Too many levels of symbolic links",
                "loop-a.jpg": "Too many levels of symbolic links", "loop-b.jpg": "Too many levels of symbolic links"}
    assert set(failures) == set(expected)
    for name, phrase in expected.items():
        assert failures[name][0] == "decode" and phrase in failures[name][1], (name, failures[name])
    done = _done(library)
    assert {name for name, stages in done.items() if stages == STAGES} == {"p3.jpg", "p6.jpg", "p7.jpg", "p8.jpg"}
    with library.session() as session:
        replaced = session.scalar(select(Photo.content_hash).where(Photo.relpath == "p3.jpg"))
    assert replaced == content_hash(sources[9].read_bytes())  # what was there when it was read
    assert main(["--library", str(library.path), "errors"]) == EXIT_OK
    listed = capsys.readouterr().out
    for name, phrase in expected.items():
        assert f"{album / name}\tdecode\t" in listed and phrase in listed


def _name_first_face(library: Library, relpath: str, name: str) -> None:
    with library.session() as session:
        instance = session.scalars(select(PersonInstance.id).join(Photo).where(Photo.relpath == relpath)
                                   .order_by(PersonInstance.id)).first()
    assert instance is not None, f"no face found in {relpath}"
    PeopleActions(library).assign_new_name([instance], name)


def _named(library: Library) -> set[tuple[str, str]]:
    with library.session() as session:
        return set(session.execute(select(Photo.relpath, Person.name)
                                   .join(PersonInstance, PersonInstance.photo_id == Photo.id)
                                   .join(Person, PersonInstance.person_id == Person.id)))


def test_known_photos_that_break_after_the_scan_keep_their_people(
        library: Library, shared_data: Path, tmp_path: Path, between_scan_and_decode: Change) -> None:
    """Edited photos (the scan sees them changed) broken before they are read again: listed,
    their people kept; once the files are whole again a rescan reads them, nothing redone."""
    album = tmp_path / "album"
    p = _album(_lfw(shared_data, 3), album)
    import_folders(library, [album])
    _name_first_face(library, "p0.jpg", "Ann")
    _name_first_face(library, "p1.jpg", "Bob")
    named = _named(library)
    originals = {photo: photo.read_bytes() for photo in p}
    for photo in p[:2]:
        photo.write_bytes(originals[photo] + b"\0")  # after the JPEG's end: the same picture, edited

    def change() -> None:
        p[0].write_bytes(originals[p[0]][:3000])
        p[1].unlink()

    between_scan_and_decode(change)
    report = rescan(library)
    assert report.scans[1].changed == 2
    failures = _failures(library, album)
    assert {name: stage for name, (stage, _) in failures.items()} == {"p0.jpg": "decode", "p1.jpg": "decode"}
    assert "cannot decode image" in failures["p0.jpg"][1] and "No such file" in failures["p1.jpg"][1]
    assert _named(library) == named
    for photo in p[:2]:
        photo.write_bytes(originals[photo])
    report = rescan(library)
    assert report.run.stages["decode"].done == 2 and report.run.stages["faces"].pending == 0
    assert _failures(library, album) == {}
    assert _named(library) == named


_UNREADABLE_RUN = """
import os, sys
from pathlib import Path

if __name__ == "__main__":
    from albumtag.app import importer
    from albumtag.app.stages.decode import DecodeStage
    from albumtag.library.database import Library

    album, db = Path(sys.argv[1]), Path(sys.argv[2])
    scan = importer.reconcile_album

    def scan_then_lock(*args, **kwargs):
        summary = scan(*args, **kwargs)
        os.chmod(album / "locked", 0)
        return summary

    importer.reconcile_album = scan_then_lock
    library = Library.open(db)
    importer.import_folders(library, [album], stages=[DecodeStage(library.thumbnails_dir)])
    library.close()
"""


def _without_root_override() -> None:
    """In a child of root, before it runs: drop the capabilities by which root reads any folder
    (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH) from its bounding set, so the program it runs, and
    that program's workers, meet permissions like any user."""
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2):
        if libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")


def test_a_folder_made_unreadable_after_the_scan(shared_data: Path, tmp_path: Path) -> None:
    """Its photos are listed ("Permission denied"), the others import; once it is readable
    again the next rescan reads them, though the files themselves did not change. Root reads
    any folder, so as root the import runs without that power (``_without_root_override``)."""
    album = tmp_path / "album"
    sources = _lfw(shared_data, 4)
    _album(sources[:2], album)
    _album(sources[2:], album / "locked")
    preexec = _without_root_override if os.geteuid() == 0 else None
    locked = album / "locked"
    locked.chmod(0)
    try:
        probe = subprocess.run([sys.executable, "-c", "import os, sys; os.listdir(sys.argv[1])", str(locked)],
                               capture_output=True, text=True, timeout=60, preexec_fn=preexec)
    except subprocess.SubprocessError as error:
        pytest.skip(f"running as root, which reads any folder, and its override cannot be dropped here: {error}")
    finally:
        locked.chmod(0o755)
    if probe.returncode == 0:
        pytest.skip("a folder with mode 000 is still readable here (root's override could not be dropped)")
    script = tmp_path / "run.py"
    script.write_text(_UNREADABLE_RUN)
    db = tmp_path / "lib.albumtag"
    env = {**os.environ, "PYTHONPATH": str(REPO), "ALBUMTAG_WORKERS": "1"}
    try:
        run = subprocess.run([sys.executable, str(script), str(album), str(db)], env=env, capture_output=True,
                             text=True, timeout=300, preexec_fn=preexec)
        assert run.returncode == 0, run.stderr
    finally:
        locked.chmod(0o755)
    library = Library.open(db)
    try:
        failures = _failures(library, album)
        assert set(failures) == {"locked/p0.jpg", "locked/p1.jpg"}
        assert all("Permission denied" in reason for _, reason in failures.values())
        assert set(_done(library)) == {"p0.jpg", "p1.jpg"}
        report = rescan(library, stages=[DecodeStage(library.thumbnails_dir)])
        assert report.scans[1].unchanged == 4
        assert report.run.stages["decode"].done == 2
        assert _failures(library, album) == {}
    finally:
        library.close()
