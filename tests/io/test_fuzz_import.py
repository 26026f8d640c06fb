"""The fuzz benchmark's fast subset: 100 broken and good files (seed fixed) through the import.

Each file alone within the time bound and without a crash, hang or unexpected exception; every
file imported or listed with a reason by the importer's decode stage; a sample through
``albumtag import`` (the whole pipeline) exits 0 with the same; every good photo imported.
The mutations live in ``bench/fuzz_import.py`` (``python -m bench.fuzz_import`` runs 1,000).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from bench.fuzz_import import FORMATS, TIMEOUT_S, run_fuzz

COUNT, SEED, SAMPLE = 100, 7, 6


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory, shared_data: Path):
    return run_fuzz(tmp_path_factory.mktemp("fuzz"), COUNT, SEED, sample=SAMPLE)


@pytest.mark.slow
def test_every_file_is_imported_or_listed_with_a_reason(report) -> None:
    assert report.problems() == [], "\n".join(report.lines())
    assert len(report.files) == COUNT
    assert {item.format for item in report.files} == set(FORMATS)
    assert len({item.mutation for item in report.files}) >= 10
    # Both outcomes occur, so neither check passes vacuously.
    assert Counter(outcome for outcome, _ in report.decode_import.outcomes.values()).keys() == {"imported", "listed"}


@pytest.mark.slow
def test_no_crash_no_hang_and_each_file_within_the_bound(report) -> None:
    outcomes = Counter(probe.outcome for probe in report.probes.values())
    assert outcomes["crash"] == outcomes["hang"] == outcomes["unexpected"] == 0
    assert max(probe.seconds for probe in report.probes.values()) < TIMEOUT_S
    assert report.decode_import.exit == 0 and report.pipeline_import.exit == 0


@pytest.mark.slow
def test_good_photos_are_all_imported(report) -> None:
    good = [item.name for item in report.files if item.good]
    assert len(good) >= len(FORMATS) * 2
    assert all(report.decode_import.outcomes[name][0] == "imported" for name in good)
    sampled = [name for name in good if name in report.pipeline_import.outcomes]
    assert sampled and all(report.pipeline_import.outcomes[name][0] == "imported" for name in sampled)
