"""The library's acceptance distance: the shipped calibration until personalise stores one."""

from __future__ import annotations

import numpy as np
import pytest

from albumtag.app.browse import suggestion_score
from albumtag.app.open_set import acceptance_distance
from albumtag.library.database import Library
from albumtag.library.library_info import store_open_set_tail, stored_open_set_tail
from albumtag.recognize.open_set import ImpostorTail, library_or_shipped_tail, load_tail


def test_shipped_then_library_calibration(library: Library) -> None:
    assert acceptance_distance(library) == pytest.approx(load_tail().threshold(0))
    own = ImpostorTail.from_distances(np.random.default_rng(0).normal(0.9, 0.05, 50_000))
    assert stored_open_set_tail(library) is None
    store_open_set_tail(library, own.to_json())
    assert library_or_shipped_tail(stored_open_set_tail(library)).version == "library"
    assert acceptance_distance(library) == pytest.approx(own.threshold(0), abs=1e-5)


def test_suggestion_scores_are_centred_on_the_acceptance_distance() -> None:
    assert suggestion_score(0.45, accept=0.45) == pytest.approx(0.5)
    assert suggestion_score(0.0, accept=0.45) == 1.0 and suggestion_score(2.0, accept=0.45) == 0.0
    assert suggestion_score(0.3, accept=0.45) > suggestion_score(0.4, accept=0.45)
