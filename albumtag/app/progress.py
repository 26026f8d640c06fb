"""Progress reporting and cancellation, shared by the CLI's bar and the GUI's Qt signals."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Progress:
    """Where one stage of a run stands. ``total`` is None while it is still unknown (scanning)."""

    stage: str
    label: str
    done: int
    total: int | None
    failed: int = 0
    elapsed_s: float = 0.0
    background: bool = False  # a pass that runs once the people show, and may be paused

    @property
    def fraction(self) -> float | None:
        return None if not self.total else min(1.0, self.done / self.total)

    @property
    def eta_s(self) -> float | None:
        """Seconds left at the rate so far; None until there is a rate to go on."""
        if not self.total or self.done <= 0 or self.elapsed_s <= 0:
            return None
        return max(0.0, (self.total - self.done) * self.elapsed_s / self.done)


ProgressCallback = Callable[[Progress], None]


def ignore_progress(_progress: Progress) -> None:
    """The default callback: report nothing."""


class CancelToken:
    """Set from any thread (a Cancel button, Ctrl+C); work checks it between batches. A token
    made with ``linked`` tokens also counts as cancelled once any of them is (Cancel stops the
    import, Pause only its background pass)."""

    def __init__(self, *linked: CancelToken) -> None:
        self._event = threading.Event()
        self._linked = linked

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set() or any(token.cancelled for token in self._linked)


@dataclass
class StageTimer:
    """Builds Progress values for one stage with elapsed time measured from its start."""

    stage: str
    label: str
    total: int | None
    done: int = 0
    failed: int = 0
    background: bool = False
    started: float = field(default_factory=time.monotonic)

    def snapshot(self) -> Progress:
        return Progress(self.stage, self.label, self.done, self.total, self.failed,
                        time.monotonic() - self.started, self.background)
