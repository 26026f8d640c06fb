"""One photo, large, with every person in it boxed and named (or "?")."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from albumtag.app.browse import InstanceItem

FACE_COLOUR = QColor("#ffcc00")
NAMED_COLOUR = QColor("#35c46a")
BODY_COLOUR = QColor("#4aa3ff")


class PhotoCanvas(QWidget):
    """Paints the photo scaled to fit, face boxes always, a body box for the hovered person."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.image = QImage()
        self.instances: list[InstanceItem] = []
        self.hovered: int | None = None
        self.setMouseTracking(True)
        self.setMinimumSize(320, 240)

    def show_photo(self, image: QImage, instances: list[InstanceItem]) -> None:
        self.image, self.instances, self.hovered = image, instances, None
        self.update()

    def _geometry(self) -> tuple[float, QPointF]:
        if self.image.isNull():
            return 1.0, QPointF(0, 0)
        scale = min(self.width() / self.image.width(), self.height() / self.image.height())
        offset = QPointF((self.width() - self.image.width() * scale) / 2,
                         (self.height() - self.image.height() * scale) / 2)
        return scale, offset

    def _rect(self, box: tuple[float, float, float, float]) -> QRectF:
        scale, offset = self._geometry()
        x1, y1, x2, y2 = box
        return QRectF(offset.x() + x1 * scale, offset.y() + y1 * scale, (x2 - x1) * scale, (y2 - y1) * scale)

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("#202020"))
        if self.image.isNull():
            return
        scale, offset = self._geometry()
        target = QRectF(offset.x(), offset.y(), self.image.width() * scale, self.image.height() * scale)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.drawImage(target, self.image)
        font = QFont(painter.font())
        font.setBold(True)
        painter.setFont(font)
        for instance in self.instances:
            self._paint_instance(painter, instance)

    def _paint_instance(self, painter: QPainter, instance: InstanceItem) -> None:
        if instance.body_box and instance.id == self.hovered:
            painter.setPen(QPen(BODY_COLOUR, 2, Qt.PenStyle.DashLine))
            painter.drawRect(self._rect(instance.body_box))
        box = instance.face_box or instance.body_box
        if box is None:
            return
        colour = NAMED_COLOUR if instance.person_name else FACE_COLOUR
        rect = self._rect(box)
        painter.setPen(QPen(colour, 3 if instance.id == self.hovered else 2))
        painter.drawRect(rect)
        label = instance.person_name or "?"
        metrics = painter.fontMetrics()
        tag = QRectF(rect.left(), rect.bottom() + 2, metrics.horizontalAdvance(label) + 10, metrics.height() + 4)
        painter.fillRect(tag, colour)
        painter.setPen(QColor("#000000"))
        painter.drawText(tag, Qt.AlignmentFlag.AlignCenter, label)

    def instance_at(self, point: QPointF) -> int | None:
        """The person under the pointer: a face first (bodies overlap in group photos, and a
        neighbour's body box often covers a face), else the smallest body box holding it."""
        for boxes in ([(i, i.face_box) for i in self.instances],
                      sorted(((i, i.body_box) for i in self.instances if i.body_box),
                             key=lambda pair: (pair[1][2] - pair[1][0]) * (pair[1][3] - pair[1][1]))):
            found = next((i.id for i, box in boxes if box and self._rect(box).contains(point)), None)
            if found is not None:
                return found
        return None

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        hovered = self.instance_at(event.position())
        if hovered != self.hovered:
            self.hovered = hovered
            self.update()


class PhotoView(QWidget):
    """The photo page: a Back button, the file's name and date, and the canvas."""

    back_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.back_button = QPushButton("← Back")
        self.title = QLabel()
        self.canvas = PhotoCanvas()
        header = QHBoxLayout()
        header.addWidget(self.back_button)
        header.addWidget(self.title, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self.canvas, 1)
        self.back_button.clicked.connect(self.back_requested)
