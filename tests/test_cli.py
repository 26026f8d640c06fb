"""The command line as a user meets it: messages and exit codes."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from albumtag import __version__


def albumtag(*args: str, env_library: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = None
    if env_library is not None:
        import os

        env = {**os.environ, "ALBUMTAG_LIBRARY": str(env_library)}
    return subprocess.run([sys.executable, "-m", "albumtag", *args], capture_output=True, text=True,
                          env=env, timeout=300)


def test_version() -> None:
    result = albumtag("--version")
    assert result.returncode == 0 and __version__ in result.stdout


def test_import_status_errors_people(tmp_path: Path, bad_corpus, metadata_warnings) -> None:
    folder, expected = bad_corpus
    library = tmp_path / "lib.albumtag"
    result = albumtag("--library", str(library), "import", str(folder), "--album", "Broken")
    assert result.returncode == 0, result.stderr
    assert f"decode: {1 + len(metadata_warnings)} done, {len(expected)} failed" in result.stdout

    status = albumtag("status", env_library=library)  # the environment variable works too
    assert status.returncode == 0
    assert f"photos: {1 + len(metadata_warnings) + len(expected)}" in status.stdout

    errors = albumtag("--library", str(library), "errors")
    lines = errors.stdout.strip().splitlines()
    failed = [line for line in lines if "\twarning: " not in line]
    assert len(failed) == len(expected) and all("\tdecode\t" in line for line in failed)
    warned = sorted(Path(line.split("\t")[0]).name for line in lines if "\twarning: " in line)
    assert warned == sorted(metadata_warnings)
    assert f"{len(metadata_warnings)} imported with warnings" in errors.stderr
    assert albumtag("--library", str(library), "people").returncode == 0


def test_missing_folder_and_missing_library(tmp_path: Path) -> None:
    result = albumtag("--library", str(tmp_path / "lib.albumtag"), "import", str(tmp_path / "nope"))
    assert result.returncode == 1 and "folder not found" in result.stderr
    result = albumtag("--library", str(tmp_path / "absent.albumtag"), "status")
    assert result.returncode == 1 and "no library at" in result.stderr


def test_corrupt_library_is_a_clear_error(tmp_path: Path, shared_data: Path) -> None:
    fake = tmp_path / "photo-not-library.albumtag"
    shutil.copyfile(shared_data / "formats-immich/formats/jpg/el_torcal_rocks.jpg", fake)
    result = albumtag("--library", str(fake), "status")
    assert result.returncode == 1
    assert "not an AlbumTag library" in result.stderr
    assert "Traceback" not in result.stderr


def test_usage_error_exit_code() -> None:
    assert albumtag("frobnicate").returncode == 2


def test_library_in_use_by_another_import_is_a_clear_error(tmp_path: Path, shared_data: Path) -> None:
    from albumtag.library.database import Library

    path = tmp_path / "lib.albumtag"
    library = Library.open(path)
    with library.writer():
        result = albumtag("--library", str(path), "import", str(shared_data / "faces-knn/examples"))
    library.close()
    assert result.returncode == 1
    assert "being updated by another AlbumTag process" in result.stderr


def test_two_imports_started_together_on_a_new_library(tmp_path: Path, shared_data: Path) -> None:
    """Both create the library at once: one creates it, the other waits for that and then
    imports too, or says the library is busy; nothing fails half-way."""
    import sqlite3

    folder = tmp_path / "album"
    folder.mkdir()
    for photo in sorted((shared_data / "faces-lfw" / "Aaron_Peirsol").glob("*.jpg"))[:3]:
        shutil.copy(photo, folder)
    path = tmp_path / "new.albumtag"
    command = [sys.executable, "-m", "albumtag", "--library", str(path), "import", str(folder)]
    runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outcomes = [(run.wait(timeout=300), run.stderr.read()) for run in runs]
    for code, errors in outcomes:
        assert code == 0 or (code == 1 and "being updated by another AlbumTag process" in errors), errors
    assert any(code == 0 for code, _ in outcomes)
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("SELECT count(*) FROM photo").fetchone() == (3,)
