"""Base for the app's grids: a flat list of items, each shown as a lazily loaded picture.

Subclasses say how an item is keyed, labelled and pictured; this class handles the cache,
the background loading and repainting a cell when its picture arrives.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, QPersistentModelIndex, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPixmap

from albumtag.gui.thumbnail_loader import ThumbnailLoader

T = TypeVar("T")
ItemRole = Qt.ItemDataRole.UserRole + 1


def placeholder(size: QSize) -> QPixmap:
    pixmap = QPixmap(size)
    pixmap.fill(QColor("#d9d9d9"))
    return pixmap


class ThumbnailListModel(QAbstractListModel, Generic[T]):
    cell = QSize(164, 164)
    icon = QSize(156, 156)

    def __init__(self, loader: ThumbnailLoader, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._items: list[T] = []
        self._row_of: dict[str, int] = {}
        self._loader = loader
        self._placeholder = placeholder(self.icon)
        loader.ready.connect(self._on_picture)

    # ----- what subclasses say ------------------------------------------------------------
    def item_id(self, item: T) -> object:
        raise NotImplementedError

    def picture(self, item: T) -> Callable[[], QImage]:
        """A function (run on a pool thread) that produces the item's picture."""
        raise NotImplementedError

    def label(self, item: T) -> str | None:
        return None

    def tooltip(self, item: T) -> str | None:
        return None

    # ----- the model ----------------------------------------------------------------------
    def _key(self, item: T) -> str:
        return f"{type(self).__name__}:{self.item_id(item)}"

    def set_items(self, items: list[T]) -> None:
        self.beginResetModel()
        self._items = list(items)
        self._row_of = {self._key(item): row for row, item in enumerate(self._items)}
        self.endResetModel()

    def replace_items(self, items: list[T]) -> None:
        """Swap items in place (same ``item_id``), repainting only their cells."""
        for item in items:
            row = self._row_of.get(self._key(item))
            if row is not None:
                self._items[row] = item
                self.dataChanged.emit(self.index(row), self.index(row))

    def remove_items(self, items: list[T]) -> None:
        """Take items out, row by row, so the view keeps its place."""
        for row in sorted((self._row_of[self._key(i)] for i in items if self._key(i) in self._row_of),
                          reverse=True):
            self.beginRemoveRows(QModelIndex(), row, row)
            del self._items[row]
            self.endRemoveRows()
        self._row_of = {self._key(item): row for row, item in enumerate(self._items)}

    def items(self) -> list[T]:
        return list(self._items)

    def item(self, row: int) -> T:
        return self._items[row]

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._items)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        item = self._items[index.row()]
        if role == Qt.ItemDataRole.DecorationRole:
            key = self._key(item)
            pixmap = self._loader.cached(key)
            if pixmap is None:
                self._loader.request(key, self.picture(item))
                return self._placeholder
            return pixmap
        if role == Qt.ItemDataRole.DisplayRole:
            return self.label(item)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.tooltip(item)
        if role == Qt.ItemDataRole.SizeHintRole:
            return self.cell
        if role == ItemRole:
            return item
        return None

    def _on_picture(self, key: str) -> None:
        row = self._row_of.get(key)
        if row is not None:
            index = self.index(row)
            self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])
