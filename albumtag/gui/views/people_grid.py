"""The People grid, where dropping people onto someone merges them into that person."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QAbstractItemView, QListView, QWidget

from albumtag.gui.views.grids import icon_grid


class PeopleGrid(QListView):
    merge_dropped = Signal(list, int)  # rows dropped, row dropped onto

    def __init__(self, cell: QSize, icon: QSize, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        icon_grid(cell, icon, grid=self)
        self.setDragEnabled(True)
        self.setAcceptDrops(True)
        self.setDropIndicatorShown(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)

    def _from_here(self, event: QDragEnterEvent | QDragMoveEvent | QDropEvent) -> bool:
        return event.source() is self

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self._from_here(event):
            event.acceptProposedAction()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        target = self.indexAt(event.position().toPoint())
        dragged = {index.row() for index in self.selectedIndexes()}
        if self._from_here(event) and target.isValid() and target.row() not in dragged:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        target = self.indexAt(event.position().toPoint())
        dragged = sorted({index.row() for index in self.selectedIndexes()} - {target.row()})
        if self._from_here(event) and target.isValid() and dragged:
            # The model is not asked to move rows: the controller merges, then reloads.
            event.setDropAction(Qt.DropAction.IgnoreAction)
            event.accept()
            self.merge_dropped.emit(dragged, target.row())
        else:
            event.ignore()
