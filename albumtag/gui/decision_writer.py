"""Writes confirm/reject decisions on a thread of its own, in the order they were made.

Someone reviewing suggestions presses Y, Y, N, Y as fast as they can read; the page already
shows each decision (the face's label changes, a rejected face leaves the grid), so the
write and the re-ranking behind it (``PeopleActions``: a transaction, a refit of the
suggestions) must not hold the window. Writes queue up on one thread, so they land in order,
and anything that must see them all first (undo, a rename, a merge) calls ``wait_idle``.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QObject, QThread, Signal, Slot

from albumtag.app.people_actions import PeopleActionError


class DecisionWriter(QObject):
    """``submit(write)`` runs ``write()`` on the writer's thread; ``landed`` (a write is in
    the library) and ``failed`` (its message) come back on the UI thread."""

    landed = Signal()
    failed = Signal(str)
    _queued = Signal(object)
    _ended = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.pending = 0  # touched on the UI thread only
        self.thread = QThread()
        self._receiver = _Receiver(self)
        self._receiver.moveToThread(self.thread)
        self._queued.connect(self._receiver.write)
        self._ended.connect(self._one_ended)
        self.thread.start()

    def submit(self, write: Callable[[], object]) -> None:
        self.pending += 1
        self._queued.emit(write)

    def wait_idle(self, timeout_s: float = 30.0) -> bool:
        """Let every queued write land (UI events keep flowing meanwhile); False on timeout."""
        deadline = time.monotonic() + timeout_s
        while self.pending and time.monotonic() < deadline:
            QCoreApplication.processEvents()
            time.sleep(0.005)
        return not self.pending

    def stop(self) -> None:
        """Finish the queued writes, then end the thread (on closing the window)."""
        self.wait_idle()
        self.thread.quit()
        self.thread.wait()

    @Slot()
    def _one_ended(self) -> None:
        self.pending -= 1


class _Receiver(QObject):
    """Lives on the writer's thread; its slot is where the writes run."""

    def __init__(self, writer: DecisionWriter) -> None:
        super().__init__()
        self._writer = writer

    @Slot(object)
    def write(self, write: Callable[[], object]) -> None:
        try:
            write()
            self._writer.landed.emit()
        except PeopleActionError as error:
            self._writer.failed.emit(str(error))
        except Exception as error:  # the page is reloaded from the library; nothing is half-written
            self._writer.failed.emit(f"The decision could not be saved: {error or type(error).__name__}")
        finally:
            self._writer._ended.emit()
