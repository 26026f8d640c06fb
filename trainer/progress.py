"""Progress as JSON lines on stdout, one object per line: ``step``, ``total``, ``loss``,
``metric``, ``eta`` (seconds) and a human ``message``. The app reads them
(``albumtag.app.training.parse_progress``); anything else a task prints stays readable text
that the app's dialog shows as it is."""

from __future__ import annotations

import json
import sys
import time
from typing import Any


class ProgressReporter:
    """Reports steps of one task; the ETA extrapolates the time per step so far."""

    def __init__(self, total: int, stream: Any = None) -> None:
        self.total = total
        self.stream = stream or sys.stdout
        self.started = time.monotonic()

    def report(self, step: int, message: str = "", loss: float | None = None, metric: float | None = None) -> None:
        elapsed = time.monotonic() - self.started
        eta = elapsed / step * (self.total - step) if step else None
        line = {"step": step, "total": self.total, "loss": loss, "metric": metric,
                "eta": None if eta is None else round(eta, 1), "message": message}
        self.stream.write(json.dumps(line) + "\n")
        self.stream.flush()

