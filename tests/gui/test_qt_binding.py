"""The Qt binding keeps Python's reference counts straight in the calls our painting makes.

PySide6 6.12.0 released None once per void QPainter call; on Python 3.11 (None not immortal)
the grid then crashed after a minute of scrolling. This pins down that it cannot come back.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QRect, QRectF
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPixmap

CALLS = 2000


def test_void_painter_calls_keep_none_alive(qapp) -> None:
    pixmap = QPixmap(64, 64)
    pixmap.fill(QColor("white"))
    painter = QPainter(pixmap)
    path = QPainterPath()
    path.addRoundedRect(QRectF(0, 0, 10, 10), 3, 3)
    before = sys.getrefcount(None)
    for _ in range(CALLS):
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QColor(1, 2, 3))
        painter.setClipPath(path)
        painter.setClipping(False)
        painter.drawPixmap(QRect(0, 0, 8, 8), pixmap)
    drift = sys.getrefcount(None) - before
    painter.end()
    assert drift > -CALLS // 2, f"None lost {-drift} references over {CALLS} painter calls"
