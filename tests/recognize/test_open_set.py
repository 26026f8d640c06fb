"""The open-set threshold keeps its false-accept rate whatever the number of enrolled faces."""

from __future__ import annotations

import numpy as np
import pytest

from albumtag.recognize.open_set import ImpostorTail, load_tail


def test_threshold_solves_the_nearest_of_m_false_accept_rate() -> None:
    rng = np.random.default_rng(0)
    tail = ImpostorTail.from_distances(rng.uniform(0.3, 1.2, 2_000_000))
    for gallery in (10, 100, 1000):
        threshold = tail.threshold(gallery, far=0.01)
        expected = 0.3 + 0.9 * (1 - 0.99 ** (1 / gallery))  # uniform CDF solved by hand
        assert threshold == pytest.approx(expected, abs=2e-3)
        nearest = rng.uniform(0.3, 1.2, (20_000, gallery)).min(axis=1)  # strangers vs the gallery
        assert (nearest < threshold).mean() == pytest.approx(0.01, abs=0.004)


def test_threshold_falls_as_the_library_grows_and_round_trips() -> None:
    tail = ImpostorTail.from_distances(np.random.default_rng(1).normal(1.0, 0.1, 100_000))
    thresholds = [tail.threshold(m) for m in (1, 10, 100, 1000)]
    assert thresholds == sorted(thresholds, reverse=True)
    again = ImpostorTail.from_json(tail.to_json())
    assert again.threshold(50) == pytest.approx(tail.threshold(50), abs=1e-5)


def test_shipped_tail_is_below_dlibs_fixed_threshold_for_real_albums() -> None:
    tail = load_tail()
    assert tail.version.startswith("impostor-tail-")
    assert 0.3 < tail.threshold(5 * 49) < 0.6  # 50 people enrolled with 5 faces: stricter than 0.6
