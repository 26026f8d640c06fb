"""The fuzz benchmark's fast subset: 100 broken and good files (seed fixed) through the import.

Each file alone within the time bound and without a crash, hang or unexpected exception; all
of them through ``albumtag import`` (the whole pipeline): exit 0, every file imported or listed
with a reason, every good photo imported. The mutations live in ``bench/fuzz_import.py``
(``python -m bench.fuzz_import`` runs 1,000 files).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from bench.fuzz_import import FORMATS, TIMEOUT_S, run_fuzz

COUNT, SEED = 100, 7


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory, shared_data: Path):
    return run_fuzz(tmp_path_factory.mktemp("fuzz"), COUNT, SEED)


@pytest.mark.slow
def test_every_file_is_imported_or_listed_with_a_reason(report) -> None:
    assert report.problems() == [], "\n".join(report.lines())
    assert len(report.files) == COUNT
    assert {item.format for item in report.files} == set(FORMATS)
    assert len({item.mutation for item in report.files}) >= 10
    # Both outcomes occur, so neither check passes vacuously.
    assert Counter(outcome for outcome, _ in report.imported.outcomes.values()).keys() == {"imported", "listed"}


@pytest.mark.slow
def test_no_crash_no_hang_and_each_file_within_the_bound(report) -> None:
    outcomes = Counter(probe.outcome for probe in report.probes.values())
    assert outcomes["crash"] == outcomes["hang"] == outcomes["unexpected"] == 0
    assert max(probe.seconds for probe in report.probes.values()) < TIMEOUT_S
    assert report.imported.exit == 0


@pytest.mark.slow
def test_good_photos_are_all_imported(report) -> None:
    good = [item.name for item in report.files if item.good]
    assert len(good) >= len(FORMATS) * 2
    assert all(report.probes[name].outcome == "imported" for name in good)
    assert all(report.imported.outcomes[name][0] == "imported" for name in good)
