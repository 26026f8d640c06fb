"""Loading thumbnails off the UI thread, with a bounded in-memory cache of pixmaps.

Scrolling a 50,000-photo grid asks for thumbnails far faster than disks deliver; requests
are de-duplicated and served newest first (a LIFO queue), so what is on screen now wins
over what scrolled past. Plain Python threads do the loading (decoding releases the GIL)
and hand each image back to the GUI thread through a queued Qt signal.
"""

from __future__ import annotations

import queue
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

from PIL import Image
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage, QPixmap

CACHE_ITEMS = 2000
Produce = Callable[[], QImage]


def image_file(path: Path | None) -> QImage:
    """A QImage of an upright image file we wrote (thumbnails); null when there is none."""
    return QImage(str(path)) if path else QImage()


def pil_to_qimage(image: Image.Image) -> QImage:
    rgb = image.convert("RGB") if image.mode != "RGB" else image
    data = rgb.tobytes()
    return QImage(data, rgb.width, rgb.height, 3 * rgb.width, QImage.Format.Format_RGB888).copy()


class ThumbnailLoader(QObject):
    """``request(key, produce)``: ``produce`` runs on a loader thread and returns a QImage."""

    ready = Signal(str)  # key, once its pixmap is in the cache
    _loaded = Signal(str, QImage)  # from a loader thread to the GUI thread (queued)

    def __init__(self, parent: QObject | None = None, threads: int = 2) -> None:
        super().__init__(parent)
        self._cache: OrderedDict[str, QPixmap] = OrderedDict()
        self._pending: set[str] = set()
        self._jobs: queue.LifoQueue[tuple[str, Produce] | None] = queue.LifoQueue()
        self._busy = 0
        self._idle = threading.Condition()
        self._loaded.connect(self._on_loaded)
        self._threads = [threading.Thread(target=self._work, name=f"thumbnails-{i}", daemon=True)
                         for i in range(threads)]
        for thread in self._threads:
            thread.start()

    def cached(self, key: str) -> QPixmap | None:
        pixmap = self._cache.get(key)
        if pixmap is not None:
            self._cache.move_to_end(key)
        return pixmap

    def request(self, key: str, produce: Produce) -> None:
        if key in self._cache or key in self._pending:
            return
        self._pending.add(key)
        with self._idle:
            self._busy += 1
        self._jobs.put((key, produce))

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            key, produce = job
            try:
                image = produce()
            except Exception:  # an unreadable file shows the placeholder, never a crash
                image = QImage()
            self._loaded.emit(key, image)
            with self._idle:
                self._busy -= 1
                self._idle.notify_all()

    def _on_loaded(self, key: str, image: QImage) -> None:
        self._pending.discard(key)
        if image.isNull():
            return
        self._cache[key] = QPixmap.fromImage(image)
        while len(self._cache) > CACHE_ITEMS:
            self._cache.popitem(last=False)
        self.ready.emit(key)

    def wait_idle(self, timeout_s: float = 30.0) -> bool:
        """For tests and shutdown: wait until every queued load has finished."""
        with self._idle:
            return self._idle.wait_for(lambda: self._busy == 0, timeout_s)

    def stop(self) -> None:
        """End the loader threads (after the loads already queued)."""
        for _ in self._threads:
            self._jobs.put(None)
        for thread in self._threads:
            thread.join(timeout=5)
