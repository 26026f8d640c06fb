"""The trainer's progress lines as the app reads them, and personalise's impostor pairs."""

from __future__ import annotations

import io

import numpy as np

from albumtag.app.training import parse_progress, personalise_command
from albumtag.recognize.open_set import ImpostorTail
from trainer.progress import ProgressReporter
from trainer.recognition.personalise import impostor_pairs


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


def test_impostors_are_faces_in_one_photo_and_different_named_people() -> None:
    photos = [1, 1, 1, 2, 3, 4]
    people = [None, None, None, 7, 7, 8]  # faces 3 and 4 are one person: never a pair
    pairs = {tuple(p) for p in impostor_pairs(photos, people).tolist()}
    assert {(0, 1), (0, 2), (1, 2)} <= pairs
    assert (3, 4) not in pairs and (4, 3) not in pairs
    assert {(3, 5), (4, 5)} & pairs or {(5, 3), (5, 4)} & pairs


def test_blending_moves_the_tail_towards_the_library_in_proportion() -> None:
    rng = np.random.default_rng(0)
    prior = ImpostorTail.from_distances(rng.normal(1.0, 0.1, 200_000))
    library = ImpostorTail.from_distances(rng.normal(0.8, 0.1, 200_000))
    none, half, full = (prior.blended(library, w).threshold(50) for w in (0.0, 0.5, 1.0))
    assert abs(none - prior.threshold(50)) < 1e-3
    assert abs(full - library.threshold(50)) < 1e-2
    assert full < half < none
