"""Clear errors from ``python -m trainer``: missing shared data (exit status 2, one line naming
the path), a library that another AlbumTag process is writing (personalise, exit status 1),
and tasks other than ``parts`` refused under torchrun."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from trainer.cli import main

REPO = Path(__file__).resolve().parents[2]


def test_missing_shared_data_folder_is_one_line_and_exit_status_2(tmp_path: Path, capsys) -> None:
    missing = tmp_path / "no-such-data"
    for task in ("open-set", "parts", "all"):
        assert main([task, "--out", str(tmp_path / "models"), "--set", f"shared_data={missing}"]) == 2
        error = capsys.readouterr().err
        assert error.count("\n") == 1 and f"shared data folder not found: {missing}" in error, error
    assert not (tmp_path / "models").exists()


def test_missing_data_set_inside_the_shared_folder_is_one_line_too(tmp_path: Path, capsys) -> None:
    empty = tmp_path / "shared"
    empty.mkdir()
    assert main(["open-set", "--out", str(tmp_path / "models"), "--set", f"shared_data={empty}"]) == 2
    error = capsys.readouterr().err
    assert error == f"trainer open-set: shared data not found: {empty / 'faces-lfw'}\n"


def test_missing_shared_data_from_the_command_line(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "trainer", "fusion", "--set", f"shared_data={tmp_path / 'x'}"],
                            capture_output=True, text=True, cwd=REPO, timeout=120)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip() == (f"trainer fusion: shared data folder not found: {tmp_path / 'x'} "
                                     "(set shared_data in trainer/configs/base.yaml or --set shared_data=PATH)")


def test_personalise_on_a_library_being_written_is_a_clear_error(tmp_path: Path) -> None:
    from albumtag.library.database import Library

    path = tmp_path / "lib.albumtag"
    library = Library.open(path)
    try:
        with library.writer():  # as an import in the app holds it
            result = subprocess.run([sys.executable, "-m", "trainer", "personalise", "--library", str(path)],
                                    capture_output=True, text=True, cwd=REPO, timeout=120)
    finally:
        library.close()
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"trainer personalise: the library {path} is being updated by another "
                                    "AlbumTag process; wait for it to finish")


def test_personalise_without_a_library_file_is_a_clear_error(tmp_path: Path, capsys) -> None:
    assert main(["personalise", "--library", str(tmp_path / "none.albumtag")]) == 1
    assert capsys.readouterr().err == f"trainer personalise: no library at {tmp_path / 'none.albumtag'}\n"


def test_only_parts_runs_under_torchrun(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "0")
    assert main(["open-set"]) == 2
    assert "only parts runs under torchrun (WORLD_SIZE=2)" in capsys.readouterr().err
