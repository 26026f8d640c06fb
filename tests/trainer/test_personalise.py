"""The trainer's progress lines as the app reads them, and what personalise fits the library's
open-set tail on."""

from __future__ import annotations

import io

import numpy as np

from albumtag.app.training import parse_progress, personalise_command
from albumtag.recognize.adaptation import person_distances, person_templates
from albumtag.recognize.open_set import ImpostorTail
from trainer.progress import ProgressReporter
from trainer.recognition.personalise import impostor_distances


def test_progress_lines_round_trip_through_the_app_parser() -> None:
    stream = io.StringIO()
    reporter = ProgressReporter(total=4, stream=stream)
    reporter.report(0, "start")
    reporter.report(2, "half", loss=0.5)
    first, second = (parse_progress(line) for line in stream.getvalue().splitlines())
    assert (first.step, first.total, first.eta_s, first.message) == (0, 4, None, "start")
    assert second.percent == 50 and second.eta_s is not None and second.eta_s >= 0
    assert parse_progress("plain text from a task") is None and parse_progress('{"x": 1}') is None


def test_trainer_command_runs_this_interpreter_on_the_library(tmp_path) -> None:
    command = personalise_command(tmp_path / "lib.albumtag")
    assert command[1:4] == ["-m", "trainer", "personalise"] and command[-1].endswith("lib.albumtag")


def test_confirmed_faces_are_compared_with_the_other_named_people(johns_faces) -> None:
    """Three Johns named (their first 4 faces confirmed), the rest unconfirmed, two faces to a
    photo: every pair of one photo, and each confirmed face against the two other Johns (the
    nearer of their template and their nearest confirmed face)."""
    vectors, people = johns_faces
    confirmed = (people < 3) & (np.arange(len(people)) % 11 < 4)
    named: list[int | None] = [int(p) if c else None for p, c in zip(people, confirmed)]
    together, to_people = impostor_distances(vectors, [k // 2 for k in range(len(vectors))], named)
    assert len(together) == len(vectors) // 2 and len(to_people) == confirmed.sum() * 2
    first = np.flatnonzero(confirmed)[0]  # John 0's first face: its distances to Johns 1 and 2
    expected = person_distances(vectors[first][None], vectors[confirmed], people[confirmed])[0, 1:]
    assert np.allclose(to_people[:2], expected, atol=1e-5)
    assert np.all(expected <= np.linalg.norm(person_templates(vectors[confirmed], people[confirmed])[1:]
                                             - vectors[first], axis=1) + 1e-6)


def test_blending_moves_the_tail_towards_the_library_in_proportion() -> None:
    rng = np.random.default_rng(0)
    prior = ImpostorTail.from_distances(rng.normal(1.0, 0.1, 200_000))
    library = ImpostorTail.from_distances(rng.normal(0.8, 0.1, 200_000))
    none, half, full = (prior.blended(library, w).threshold(50) for w in (0.0, 0.5, 1.0))
    assert abs(none - prior.threshold(50)) < 1e-3
    assert abs(full - library.threshold(50)) < 1e-2
    assert full < half < none
