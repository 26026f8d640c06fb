"""``albumtag-bench`` end to end on a small shared set: both systems run on the same photos
and the JSON carries every promised figure, with sane values."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from albumtag.evaluation import reference_system
from albumtag.evaluation.cli import main
from albumtag.evaluation.report import KEYS

FRACTIONS = ("detection_rate", "bcubed_precision", "bcubed_recall", "bcubed_f1", "kshot_1", "kshot_5",
             "open_set_far")


@pytest.fixture(scope="module")
def johns(shared_data: Path) -> Path:
    return shared_data / "faces-johns" / "examples" / "johns"


def _check_figures(figures: dict, people: int, photos: int) -> None:
    assert set(KEYS) <= set(figures)
    assert (figures["people"], figures["photos"]) == (people, photos)
    for key in FRACTIONS:
        assert 0.0 <= figures[key] <= 1.0, key
    assert figures["photos_per_s"] > 0 and figures["peak_rss_mb"] > 50


def test_bench_reports_both_systems_on_the_same_photos(johns: Path, shared_data: Path, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    if (missing := reference_system.available()) is not None:
        pytest.skip(missing)
    distractors = shared_data / "faces-knn" / "examples" / "knn_examples" / "train" / "biden"
    out = tmp_path / "bench.json"
    assert main([str(johns), "--max-per-person", "7", "--distractors", str(distractors),
                 "--out", str(out), "--device", "cpu"]) == 0
    results = json.loads(out.read_text())
    for system in ("albumtag", "reference"):
        _check_figures(results[system], people=5, photos=35)
        assert results[system]["distractors"] == len(list(distractors.iterdir()))
    ours = results["albumtag"]
    assert ours["detection_rate"] == 1.0  # 150 px crops of one face each: every face is found
    assert ours["kshot_5"] >= 0.95 and ours["bcubed_f1"] >= 0.85
    assert results["ratio"]["photos"] == 1.0
    assert "photos_per_s" in capsys.readouterr().out


def test_bench_without_reference_says_so(johns: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "bench.json"
    assert main([str(johns), "--max-per-person", "3", "--no-reference", "--out", str(out)]) == 0
    results = json.loads(out.read_text())
    assert "reference" not in results and "--no-reference" in results["reference_skipped"]
    _check_figures({**results["albumtag"], "kshot_5": 0.0}, people=5, photos=15)
    assert results["albumtag"]["kshot_5"] is None  # nobody has more than 5 photos here
    assert "reference skipped" in capsys.readouterr().out


def test_bench_rejects_a_folder_without_people(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path / "missing")]) == 2
    (tmp_path / "flat").mkdir()
    assert main([str(tmp_path / "flat")]) == 2
    assert "albumtag-bench:" in capsys.readouterr().err


def test_albumtag_bench_is_an_installed_command() -> None:
    from importlib.metadata import entry_points

    scripts = {e.name: e.value for e in entry_points(group="console_scripts")}
    assert scripts.get("albumtag-bench") == "albumtag.evaluation.cli:main"
