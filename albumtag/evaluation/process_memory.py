"""Peak memory of a process and all its children together, sampled from /proc (Linux).

``ru_maxrss`` reports one process at a time; an import runs a main process and worker
processes at once, and what a user's machine must hold is their sum.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

PAGE_KB = 4


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def tree_rss_kb(root: int) -> int:
    total, pending = 0, [root]
    while pending:
        pid = pending.pop()
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_KB
        except (OSError, IndexError, ValueError):
            continue
        pending += _children(pid)
    return total


class TreePeakRss:
    """``with TreePeakRss() as peak: ...`` then ``peak.mb``: the largest sum seen over the
    process ``root`` (this one by default) and its descendants."""

    def __init__(self, interval_s: float = 0.1, root: int | None = None) -> None:
        self.interval_s = interval_s
        self.root = root or os.getpid()
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak_kb = max(self.peak_kb, tree_rss_kb(self.root))
            self._stop.wait(self.interval_s)

    def __enter__(self) -> TreePeakRss:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def mb(self) -> float:
        return self.peak_kb / 1024
