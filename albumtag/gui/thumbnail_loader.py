"""Loading thumbnails off the UI thread, with a bounded in-memory cache of pixmaps.

Scrolling a 50,000-photo grid asks for thumbnails far faster than disks deliver; requests
are de-duplicated, run on a thread pool, and the newest requests go first so what is on
screen now wins over what scrolled past.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

from PIL import Image
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal
from PySide6.QtGui import QImage, QPixmap

CACHE_ITEMS = 2000


class _Emitter(QObject):
    loaded = Signal(object, QImage)


def image_file(path: Path | None) -> QImage:
    """A QImage of an upright image file we wrote (thumbnails); null when there is none."""
    return QImage(str(path)) if path else QImage()


def pil_to_qimage(image: Image.Image) -> QImage:
    rgb = image.convert("RGB") if image.mode != "RGB" else image
    data = rgb.tobytes()
    return QImage(data, rgb.width, rgb.height, 3 * rgb.width, QImage.Format.Format_RGB888).copy()


class _LoadJob(QRunnable):
    def __init__(self, key: object, produce: Callable[[], QImage], emitter: _Emitter) -> None:
        super().__init__()
        self.key, self.produce, self.emitter = key, produce, emitter

    def run(self) -> None:
        self.emitter.loaded.emit(self.key, self.produce())


class ThumbnailLoader(QObject):
    """``request(key, produce)``: ``produce`` runs on a pool thread and returns a QImage."""

    ready = Signal(object)  # key, once its pixmap is in the cache

    def __init__(self, parent: QObject | None = None, threads: int = 2) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(threads)
        self._cache: OrderedDict[object, QPixmap] = OrderedDict()
        self._pending: set[object] = set()
        self._priority = 0
        self._emitter = _Emitter()
        self._emitter.loaded.connect(self._on_loaded)

    def cached(self, key: object) -> QPixmap | None:
        pixmap = self._cache.get(key)
        if pixmap is not None:
            self._cache.move_to_end(key)
        return pixmap

    def request(self, key: object, produce: Callable[[], QImage]) -> None:
        if key in self._cache or key in self._pending:
            return
        self._pending.add(key)
        self._priority += 1
        self._pool.start(_LoadJob(key, produce, self._emitter), self._priority)

    def _on_loaded(self, key: object, image: QImage) -> None:
        self._pending.discard(key)
        if image.isNull():
            return
        self._cache[key] = QPixmap.fromImage(image)
        while len(self._cache) > CACHE_ITEMS:
            self._cache.popitem(last=False)
        self.ready.emit(key)

    def wait_idle(self, msecs: int = 30_000) -> bool:
        """For tests and shutdown: wait until every queued load has finished."""
        return self._pool.waitForDone(msecs)
