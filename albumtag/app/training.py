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


def trainer_command(task: str, library: Path) -> list[str]:
    """The program and arguments that run ``task`` on ``library`` with this interpreter."""
    return [sys.executable, "-m", "trainer", task, "--library", str(library)]


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
