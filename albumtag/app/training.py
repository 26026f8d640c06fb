"""Running the bundled trainer from the app: which command, and reading its progress.

The trainer runs as a separate process (the GUI starts it with QProcess), so a crash or a
long training run never takes the window down, and it can be cancelled at any moment. It
prints progress as JSON lines (``trainer.progress``): ``step``, ``total``, ``loss``,
``metric``, ``eta``, ``message``.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from albumtag.runtime import model_store
from albumtag.runtime.resources import models_dir

PERSONALISE = "personalise"


@dataclass(frozen=True)
class TrainerProgress:
    step: int
    total: int
    message: str = ""
    eta_s: float | None = None

    @property
    def percent(self) -> int:
        return int(100 * self.step / self.total) if self.total else 0


# Tasks the Models menu can rebuild, with what they make. Each needs torch and the training
# data of trainer/README.md; personalise needs neither and has its own menu entry.
TRAINABLE = {
    "parts": "body descriptor and part types (re-identification CNN, about 30 min on CPU)",
    "open-set": "open-set calibration (the different-person distance tail, minutes)",
    "bodies": "person detector, pose and body-box rule (converted from mediapipe)",
    "faces": "face detector and descriptor (converted from the registry packages)",
}


def trainer_command(task: str, *arguments: str) -> list[str]:
    """The program and arguments that run ``task`` with this interpreter."""
    return [sys.executable, "-m", "trainer", task, *arguments]


def personalise_command(library: Path) -> list[str]:
    return trainer_command(PERSONALISE, "--library", str(library))


@dataclass(frozen=True)
class TrainingRun:
    """One Models › Train run: the task, and the new version folder it writes into."""

    task: str
    version: Path

    @property
    def command(self) -> list[str]:
        cache = model_store.store_root() / "cache"  # checkpoints, so a cancelled run resumes
        return trainer_command(self.task, "--out", str(self.version), "--set", f"cache={cache}")


def start_training(task: str) -> TrainingRun:
    """A new version folder, copied from the models in use, for ``task`` to rebuild into."""
    if task not in TRAINABLE:
        raise ValueError(f"unknown task {task!r}; one of {sorted(TRAINABLE)}")
    return TrainingRun(task, model_store.new_version(models_dir()))


def finish_training(run: TrainingRun, succeeded: bool) -> None:
    """Use the new models (features are refreshed by the next import or rescan, since each
    stage's version names its models), or throw the unfinished folder away."""
    if succeeded:
        model_store.activate(run.version)
    else:
        model_store.discard(run.version)


def trainer_missing() -> str | None:
    """None when the bundled trainer can run, else why not."""
    return None if importlib.util.find_spec("trainer") else "the trainer package is not installed"


def parse_progress(line: str) -> TrainerProgress | None:
    """The progress on a line of trainer output, or None for any other line."""
    try:
        value: Any = json.loads(line)
    except ValueError:
        return None
    if not isinstance(value, dict) or "step" not in value or "total" not in value:
        return None
    return TrainerProgress(int(value["step"]), int(value["total"]), str(value.get("message") or ""),
                           value.get("eta"))
