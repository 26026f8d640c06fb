"""Paints one grid cell: the picture centre-cropped to a square, and up to two lines below.

Square cells make a calm grid whatever the photos' shapes (as Apple Photos and digiKam do);
painting ourselves keeps every caption to its two lines, elided, never cut off.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPixmap
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

MARGIN = 4
RADIUS = 6.0
SELECTED = QColor(53, 132, 228)


def square_crop(pixmap: QPixmap) -> QPixmap:
    side = min(pixmap.width(), pixmap.height())
    return pixmap.copy((pixmap.width() - side) // 2, (pixmap.height() - side) // 2, side, side)


class ThumbnailDelegate(QStyledItemDelegate):
    def __init__(self, picture: QSize, parent=None) -> None:
        super().__init__(parent)
        self.picture = picture

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        hint = index.data(Qt.ItemDataRole.SizeHintRole)
        return hint if isinstance(hint, QSize) else super().sizeHint(option, index)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        cell = option.rect
        target = QRect(cell.left() + (cell.width() - self.picture.width()) // 2, cell.top() + MARGIN,
                       self.picture.width(), self.picture.height())
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        if selected:
            painter.fillRect(cell.adjusted(1, 1, -1, -1), SELECTED.lighter(185))
        pixmap = index.data(Qt.ItemDataRole.DecorationRole)
        if isinstance(pixmap, QPixmap) and not pixmap.isNull():
            path = QPainterPath()
            path.addRoundedRect(QRectF(target), RADIUS, RADIUS)
            painter.setClipPath(path)
            painter.drawPixmap(target, square_crop(pixmap))
            painter.setClipping(False)
        if selected:
            painter.setPen(SELECTED)
            painter.drawRoundedRect(QRectF(target).adjusted(-1, -1, 1, 1), RADIUS, RADIUS)
        self._paint_caption(painter, option, index, target)
        painter.restore()

    @staticmethod
    def _paint_caption(painter: QPainter, option: QStyleOptionViewItem, index, picture: QRect) -> None:
        text = index.data(Qt.ItemDataRole.DisplayRole)
        if not text:
            return
        metrics = option.fontMetrics
        top = picture.bottom() + MARGIN
        painter.setPen(option.palette.color(option.palette.ColorRole.Text))
        for line, colour in zip(str(text).split("\n")[:2], (None, QColor("#666666"))):
            if colour is not None:
                painter.setPen(colour)
            rect = QRect(option.rect.left() + 2, top, option.rect.width() - 4, metrics.height())
            painter.drawText(rect, Qt.AlignmentFlag.AlignHCenter,
                             metrics.elidedText(line, Qt.TextElideMode.ElideRight, rect.width()))
            top += metrics.height()
