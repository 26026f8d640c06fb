"""Photos of extreme size and shape import, or are listed with a reason (their time and
memory are measured by ``bench/extreme_photos.py``, not here)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from albumtag.app.importer import import_folders
from albumtag.app.status import photo_failures
from albumtag.library.database import Library
from albumtag.library.schema import Photo
from bench.extreme_photos import write_photos


@pytest.mark.slow
def test_strips_panoramas_one_pixel_and_absurd_headers(library: Library, tmp_path: Path) -> None:
    photos = write_photos(tmp_path / "photos", only=(
        "one-pixel.jpg", "strip-20000x10.jpg", "panorama-30000x2000.jpg", "claims-65535x65535.jpg"))
    report = import_folders(library, [tmp_path / "photos"])
    failures = {f.path.name: f.reason for f in photo_failures(library) if not f.warning}
    assert failures.keys() == {"claims-65535x65535.jpg"}
    assert "too large" in failures["claims-65535x65535.jpg"]
    with library.session() as session:
        rows = session.execute(select(Photo.relpath, Photo.width, Photo.height))
        sizes = {Path(relpath).name: (width, height) for relpath, width, height in rows}
    assert sizes["strip-20000x10.jpg"] == (20000, 10)
    assert sizes["panorama-30000x2000.jpg"] == (30000, 2000)
    assert sizes["one-pixel.jpg"] == (1, 1)
    for stage in ("faces", "bodies"):  # every stage ran on every photo that decoded
        assert report.run.stages[stage].failed == 0
        assert report.run.stages[stage].done == len(photos) - 1
