"""``bench.import_throughput`` on a tiny folder of real group photos: the ``--full`` mode
imports it end to end and runs dlib on its first photo, each printing figures that parse and
make sense (faces found, positive rates, a peak RSS); the original decode mode still reports
its four lines."""

from __future__ import annotations

import contextlib
import io
import re
import shutil
from pathlib import Path

import pytest

from albumtag.evaluation import reference_system
from bench.import_throughput import main

PHOTOS = ("bbt1.jpg", "bbt2.jpg", "bbt3.jpg")
HEADLINE = re.compile(r"^(albumtag|reference) .*?: ([\d.]+) photos/s end to end \(([\d.]+) s for (\d+) photos\), "
                      r"(\d+) faces, peak RSS (\d+) MB$")
STEP = re.compile(r"^  (\w+)\s+([\d.]+) ms/photo\s+(?:[\d.]+|-) photos/s$")


def _run(argv: list[str]) -> str:
    """What ``main(argv)`` prints (the children it starts write to stderr only)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        main(argv)
    return out.getvalue()


def _system(output: str, system: str) -> tuple[dict[str, float], dict[str, float]]:
    """A system's headline figures and its ms/photo per step, from the printed report."""
    lines = output.splitlines()
    start = next(k for k, line in enumerate(lines) if line.startswith(f"{system} "))
    rate, seconds, photos, faces, peak = HEADLINE.match(lines[start]).group(2, 3, 4, 5, 6)
    steps = {}
    for line in lines[start + 1:]:
        if not (step := STEP.match(line)):
            break
        steps[step[1]] = float(step[2])
    return {"rate": float(rate), "seconds": float(seconds), "photos": int(photos), "faces": int(faces),
            "peak_mb": int(peak)}, steps


@pytest.fixture(scope="module")
def folder(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    images = shared_data / "group-bbt" / "examples" / "images"
    out = tmp_path_factory.mktemp("photos")
    for name in PHOTOS:
        shutil.copy(images / name, out / name)
    return out


@pytest.fixture(scope="module")
def full_output(folder: Path) -> str:
    return _run([str(folder), "--full", "--device", "cpu", "--reference-photos", "1"])


@pytest.mark.slow
def test_full_import_reports_rates_per_stage_faces_and_memory(full_output: str) -> None:
    figures, steps = _system(full_output, "albumtag")
    assert figures["photos"] == len(PHOTOS)
    assert figures["faces"] >= len(PHOTOS)  # group photos: several faces each
    assert figures["rate"] > 0 and figures["rate"] == pytest.approx(len(PHOTOS) / figures["seconds"], rel=0.05)
    assert figures["peak_mb"] > 50  # models loaded: far more than an idle interpreter
    assert {"scan", "decode", "faces", "group"} <= set(steps)
    assert steps["decode"] > 0 and steps["faces"] > 0
    assert sum(steps.values()) == pytest.approx(1000 * figures["seconds"] / len(PHOTOS), rel=0.05)


@pytest.mark.slow
@pytest.mark.reference
def test_full_import_runs_dlib_on_the_first_photos(full_output: str) -> None:
    if (missing := reference_system.available()) is not None:
        assert f"reference skipped: {missing}" in full_output
        pytest.skip(missing)
    figures, steps = _system(full_output, "reference")
    assert "on the first 1 of 3 photos" in full_output
    assert figures["photos"] == 1 and figures["faces"] > 0 and figures["rate"] > 0
    assert figures["peak_mb"] > 50
    assert set(steps) == {"decode", "detect", "describe", "group"} and steps["detect"] > 0
    assert re.search(r"^photos with a face among those 1: albumtag 1, reference 1$", full_output, re.M)
    ratio = float(re.search(r"^ratio albumtag/reference photos/s: ([\d.]+)$", full_output, re.M)[1])
    ours, _ = _system(full_output, "albumtag")
    assert ratio == pytest.approx(ours["rate"] / figures["rate"], rel=0.02, abs=0.01)


def test_decode_mode_still_compares_the_import_with_decode_only(folder: Path) -> None:
    output = _run([str(folder), "--workers", "1"])
    decode = float(re.search(r"^decode-only \(full resolution\):\s+([\d.]+) photos/s", output, re.M)[1])
    imported = re.search(r"^import \(scan\+hash\+decode\+thumbnail\+db\):\s+([\d.]+) photos/s .*, (\d+) failed\)",
                         output, re.M)
    peak = float(re.search(r"^peak RSS of the import, .*: (\d+) MB", output, re.M)[1])
    assert decode > 0 and float(imported[1]) > 0 and imported[2] == "0" and peak > 50
    assert re.search(r"^ratio import/decode-only time: [\d.]+", output, re.M)
