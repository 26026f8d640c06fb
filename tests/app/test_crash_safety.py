"""Killing an import with SIGKILL loses nothing: the next run does exactly the rest."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from albumtag.app.importer import import_folders
from albumtag.app.stages.decode import DecodeStage
from albumtag.library.database import Library

PHOTOS = 1200


def _album_of_real_photos(shared_data: Path, dest: Path, count: int) -> None:
    sources = sorted((shared_data / "faces-lfw").glob("*/*.jpg"))[:count]
    for index, src in enumerate(sources):
        folder = dest / f"roll{index // 100:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, folder / src.name)


def _decoded(db: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as conn:
            return conn.execute("SELECT count(*) FROM photo_stage").fetchone()[0]
    except sqlite3.Error:  # not created yet, or mid-write
        return 0


def test_sigkill_mid_import_then_resume(tmp_path: Path, shared_data: Path) -> None:
    album, db = tmp_path / "album", tmp_path / "lib.albumtag"
    _album_of_real_photos(shared_data, album, PHOTOS)
    env = {**os.environ, "ALBUMTAG_WORKERS": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "albumtag", "--library", str(db), "import", str(album)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.monotonic() + 120
    while _decoded(db) == 0 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)  # the importer and its decoder workers
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the import finished before it could be killed"

    library = Library.open(db)
    assert library.integrity_ok()
    with library.engine.connect() as conn:
        from sqlalchemy import text

        photos = conn.execute(text("SELECT count(*) FROM photo")).scalar()
        duplicates = conn.execute(text(
            "SELECT count(*) FROM (SELECT 1 FROM photo GROUP BY album_id, relpath HAVING count(*) > 1)"
        )).scalar()
        done_before = conn.execute(text("SELECT count(*) FROM photo_stage")).scalar()
    assert photos == PHOTOS and duplicates == 0
    assert 0 < done_before < PHOTOS

    report = import_folders(library, [album], stages=[DecodeStage(library.thumbnails_dir)])
    scan = next(iter(report.scans.values()))
    decode = report.run.stages["decode"]
    assert (scan.new, scan.unchanged) == (0, PHOTOS)
    assert decode.pending == PHOTOS - done_before
    assert decode.done + decode.failed == PHOTOS - done_before
    assert decode.failed == 0
    library.close()
