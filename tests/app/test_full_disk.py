"""A disk that fills up: the import (or export) stops with a plain "no space left" message,
nothing is half-written, and once there is room again the next run does the rest.

Each test mounts a small tmpfs (root only, as in CI; skipped with the reason otherwise) and
unmounts it whatever happens.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from albumtag.app.grouping import grouping_behind
from albumtag.app.status import library_status, photo_failures
from albumtag.cli import EXIT_FAILED, EXIT_OK, main
from albumtag.io.hashing import content_hash
from albumtag.io.thumbnails import thumbnail_path
from albumtag.io.xmp_files import photo_people
from albumtag.io.xmp_regions import Frame
from albumtag.library.database import Library
from albumtag.library.schema import Photo

PHOTOS = 30
STAGES = ("decode", "faces", "regions", "bodies")
Mount = Callable[[Path, str], Path]


@pytest.fixture
def small_fs() -> Iterator[Mount]:
    """``small_fs(folder, size)`` mounts a tmpfs of ``size`` (mount's syntax: 700k) there."""
    mounted: list[Path] = []

    def mount(folder: Path, size: str) -> Path:
        if os.geteuid() != 0:
            pytest.skip("mounting a small file system (tmpfs) to fill up needs root, as CI runs the tests")
        folder.mkdir(parents=True, exist_ok=True)
        result = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                                capture_output=True, text=True, check=False)
        if result.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {result.stderr.strip() or result.returncode}")
        mounted.append(folder)
        return folder

    yield mount
    for folder in reversed(mounted):
        if subprocess.run(["umount", str(folder)], capture_output=True, check=False).returncode != 0:
            subprocess.run(["umount", "-l", str(folder)], capture_output=True, check=False)


def _grow(folder: Path, size: str = "64m") -> None:
    """Room again: the tmpfs resized in place, its files kept."""
    subprocess.run(["mount", "-o", f"remount,size={size}", str(folder)], check=True, capture_output=True)


def _photos(shared_data: Path, dest: Path) -> Path:
    dest.mkdir(parents=True)
    for source in sorted((shared_data / "faces-lfw").glob("*/*.jpg"))[:PHOTOS]:
        shutil.copyfile(source, dest / source.name)
    return dest


def _import(db: Path, photos: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["--library", str(db), "import", str(photos)])
    return code, capsys.readouterr().err


def _assert_stopped_cleanly(code: int, err: str, where: Path) -> None:
    assert code == EXIT_FAILED
    assert f"albumtag: no space left on the disk holding {where}" in err
    assert "Traceback" not in err


def _stages_done(library: Library) -> dict[str, int]:
    stages = library_status(library).stages
    return {stage: stages.get(stage, {}).get("done", 0) for stage in STAGES}


def _assert_finished(db: Path) -> None:
    library = Library.open(db)
    try:
        assert library.integrity_ok()
        assert photo_failures(library) == []
        assert _stages_done(library) == dict.fromkeys(STAGES, PHOTOS)
        assert not grouping_behind(library)  # the faces found before the disk filled were grouped too
        with library.session() as session:
            hashes = list(session.scalars(select(Photo.content_hash)))
        assert len(hashes) == PHOTOS
        assert all(thumbnail_path(library.thumbnails_dir, digest).is_file() for digest in hashes)
    finally:
        library.close()


def _stopped_part_way(db: Path) -> None:
    """After the failed run: the library is sound, no photo is blamed for the full disk, and
    the import got somewhere but not to the end."""
    library = Library.open(db)
    try:
        assert library.integrity_ok()
        assert photo_failures(library) == []
        done = _stages_done(library)
        assert sum(done.values()) < len(STAGES) * PHOTOS
    finally:
        library.close()


def test_a_full_library_disk_stops_the_import_and_the_next_one_does_the_rest(
        shared_data: Path, tmp_path: Path, small_fs: Mount, capsys: pytest.CaptureFixture[str]) -> None:
    photos = _photos(shared_data, tmp_path / "photos")
    disk = small_fs(tmp_path / "disk", "700k")  # the library and its thumbnails; full import needs ~1.5 MB
    db = disk / "lib.albumtag"
    code, err = _import(db, photos, capsys)
    _assert_stopped_cleanly(code, err, db)
    _stopped_part_way(db)
    _grow(disk)
    assert _import(db, photos, capsys)[0] == EXIT_OK
    _assert_finished(db)


def test_a_full_thumbnail_cache_stops_the_import_and_the_next_one_does_the_rest(
        shared_data: Path, tmp_path: Path, small_fs: Mount, capsys: pytest.CaptureFixture[str]) -> None:
    """Only the thumbnails' disk is full: photos whose thumbnail could not be written are not
    listed as failed (they were, for good, as 'unexpected error: OSError')."""
    photos = _photos(shared_data, tmp_path / "photos")
    db = tmp_path / "lib.albumtag"
    thumbnails = small_fs(tmp_path / "lib.albumtag.thumbnails", "120k")  # room for about 10 of 30
    code, err = _import(db, photos, capsys)
    _assert_stopped_cleanly(code, err, thumbnails)
    _stopped_part_way(db)
    library = Library.open(db)
    with library.session() as session:
        assert 0 < session.scalar(select(func.count()).select_from(Photo).where(Photo.content_hash.is_not(None)))
    library.close()
    _grow(thumbnails)
    assert _import(db, photos, capsys)[0] == EXIT_OK
    _assert_finished(db)


def _fill(disk: Path) -> Path:
    """A file taking every byte left on ``disk``."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        while os.write(fd, b"\0" * 4096):
            pass
    except OSError:
        pass
    finally:
        os.close(fd)
    return filler


def test_an_export_into_a_full_disk_leaves_every_photo_whole(
        shared_data: Path, tmp_path: Path, small_fs: Mount, capsys: pytest.CaptureFixture[str]) -> None:
    """Sidecars and photo files alike: the export stops at the first full write, each photo is
    byte for byte what it was, no temporary file is left, the library keeps its hashes; with
    room again the same export writes them all."""
    disk = small_fs(tmp_path / "disk", "1m")
    album = disk / "album"
    shutil.copytree(shared_data / "formats-immich" / "metadata" / "faces", album)
    for photo in album.iterdir():
        photo.chmod(0o644)
    db = tmp_path / "lib.albumtag"  # beside, with room: only the photos' disk fills
    assert _import(db, album, capsys)[0] == EXIT_OK
    before = {path.name: path.read_bytes() for path in album.iterdir()}
    filler = _fill(disk)
    for into_originals in ([], ["--into-originals"]):
        assert main(["--library", str(db), "export-xmp", *into_originals]) == EXIT_FAILED
        _assert_stopped_cleanly(EXIT_FAILED, capsys.readouterr().err, album)
        assert {path.name: path.read_bytes() for path in album.iterdir()} == before
    library = Library.open(db)
    with library.session() as session:
        assert sorted(session.scalars(select(Photo.content_hash))) == sorted(map(content_hash, before.values()))
    assert library.integrity_ok()
    library.close()
    filler.unlink()
    assert main(["--library", str(db), "export-xmp", "--into-originals"]) == EXIT_OK
    assert "written into photos: 2" in capsys.readouterr().out
    for photo in album.glob("*.jpg"):
        assert {person.name for person in photo_people(photo, Frame(1, 840, 700))} == {"Marie Curie", "Pierre Curie"}
