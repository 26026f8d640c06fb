"""Batches of decoded photos are bounded by count and by pixels, keep the jobs' order and
pass decoding errors through, so a folder of 12 MP photos is not held 16 at a time."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from albumtag.io.errors import PhotoError
from albumtag.io.photo_batches import PhotoFile, prefetched_batches

SIDES = [40, 40, 200, 200, 200, 40, 40, 40, 40, 40, 200]  # 1,600 or 40,000 pixels each


@pytest.fixture(scope="module")
def jobs(tmp_path_factory: pytest.TempPathFactory) -> list[PhotoFile]:
    folder = tmp_path_factory.mktemp("photos")
    found = []
    for k, side in enumerate(SIDES):
        path = folder / f"{k:02d}.png"
        Image.fromarray(np.full((side, side, 3), k, np.uint8)).save(path)
        found.append(PhotoFile(k, str(path)))
    broken = folder / "broken.jpg"
    broken.write_bytes(b"not a photo")
    return found[:3] + [PhotoFile(len(SIDES), str(broken))] + found[3:]


def test_batches_keep_order_and_bounds(jobs: list[PhotoFile]) -> None:
    batches = list(prefetched_batches(jobs, size=4, max_pixels=80_000))
    assert [job.key for batch, _ in batches for job in batch] == [job.key for job in jobs]
    for batch, decoded in batches:
        pixels = [0 if isinstance(d, PhotoError) else d[1].shape[0] * d[1].shape[1] for d in decoded]
        assert len(batch) == len(decoded) <= 4
        assert sum(pixels) <= 80_000 or len(batch) == 1
        for job, item in zip(batch, decoded):
            if Path(job.path).suffix == ".png":
                assert item[1][0, 0, 0] == job.key  # each photo with its own job
    assert any(isinstance(d, PhotoError) for _, decoded in batches for d in decoded)
    assert [len(batch) for batch, _ in batches] == [3, 3, 4, 2]


def test_a_photo_over_the_budget_comes_alone(jobs: list[PhotoFile]) -> None:
    sizes = [len(batch) for batch, _ in prefetched_batches(jobs[:6], size=8, max_pixels=1_000)]
    assert sizes == [1] * 6


def test_cancel_stops_between_batches(jobs: list[PhotoFile]) -> None:
    class Cancel:
        cancelled = False

    cancel = Cancel()
    seen = []
    for batch, _ in prefetched_batches(jobs, size=2, cancel=cancel, max_pixels=10**9):
        seen += batch
        cancel.cancelled = True
    assert len(seen) == 2
