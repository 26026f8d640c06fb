"""A text progress bar for the CLI: redrawn in place on a terminal, a line now and then in logs."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from albumtag.app.progress import Progress

BAR_WIDTH = 28
LOG_INTERVAL_S = 5.0


def format_duration(seconds: float) -> str:
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def format_progress(p: Progress) -> str:
    if p.total is None:
        return f"{p.label}: {p.done} files"
    fraction = p.fraction or 0.0
    filled = int(fraction * BAR_WIDTH)
    bar = "#" * filled + "." * (BAR_WIDTH - filled)
    rate = p.done / p.elapsed_s if p.elapsed_s > 0 else 0.0
    parts = [f"{p.label:<16} [{bar}] {p.done}/{p.total}"]
    if p.failed:
        parts.append(f"{p.failed} failed")
    parts.append(f"{rate:.1f}/s")
    if p.eta_s is not None and p.done < p.total:
        parts.append(f"ETA {format_duration(p.eta_s)}")
    return "  ".join(parts)


class TextProgress:
    """Callable progress sink for the pipeline."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr  # looked up now: a default bound at import goes stale
        self.interactive = self.stream.isatty()
        self._last_line = 0.0
        self._current: str | None = None

    def __call__(self, progress: Progress) -> None:
        finished = progress.total is not None and progress.done >= progress.total
        text = format_progress(progress)
        if self.interactive:
            end = "\n" if finished else ""
            self.stream.write("\r\x1b[2K" + text + end)
            self.stream.flush()
            return
        now = time.monotonic()
        if finished or progress.done == 0 or now - self._last_line >= LOG_INTERVAL_S:
            self.stream.write(text + "\n")
            self.stream.flush()
            self._last_line = now
