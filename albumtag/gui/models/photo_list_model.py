"""The photo grid's model: a flat list of photos; thumbnails are fetched lazily on display."""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, QPersistentModelIndex, QSize, Qt
from PySide6.QtGui import QColor, QPixmap

from albumtag.app.browse import PhotoItem
from albumtag.app.thumbnails import photo_thumbnail
from albumtag.gui.thumbnail_loader import ThumbnailLoader, image_file

PhotoRole = Qt.ItemDataRole.UserRole + 1
CELL = QSize(168, 168)


def placeholder(size: QSize = CELL) -> QPixmap:
    pixmap = QPixmap(size.width() - 8, size.height() - 8)
    pixmap.fill(QColor("#d9d9d9"))
    return pixmap


def _thumbnail_image(thumbnails_dir, photo: PhotoItem):
    return image_file(photo_thumbnail(thumbnails_dir, photo.path, photo.content_hash))


class PhotoListModel(QAbstractListModel):
    def __init__(self, thumbnails_dir, loader: ThumbnailLoader, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._photos: list[PhotoItem] = []
        self._row_of: dict[int, int] = {}
        self._thumbnails_dir = thumbnails_dir
        self._loader = loader
        self._placeholder = placeholder()
        loader.ready.connect(self._on_thumbnail)

    def set_photos(self, photos: list[PhotoItem]) -> None:
        self.beginResetModel()
        self._photos = photos
        self._row_of = {photo.id: row for row, photo in enumerate(photos)}
        self.endResetModel()

    def photo(self, row: int) -> PhotoItem:
        return self._photos[row]

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._photos)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        photo = self._photos[index.row()]
        if role == Qt.ItemDataRole.DecorationRole:
            key = ("photo", photo.id)
            pixmap = self._loader.cached(key)
            if pixmap is None:
                self._loader.request(key, partial(_thumbnail_image, self._thumbnails_dir, photo))
                return self._placeholder
            return pixmap
        if role == Qt.ItemDataRole.ToolTipRole:
            taken = photo.taken_at.strftime("%Y-%m-%d %H:%M") if photo.taken_at else "date unknown"
            return f"{photo.path.name}\n{taken}"
        if role == Qt.ItemDataRole.SizeHintRole:
            return CELL
        if role == PhotoRole:
            return photo
        return None

    def _on_thumbnail(self, key: object) -> None:
        if isinstance(key, tuple) and key[0] == "photo" and key[1] in self._row_of:
            index = self.index(self._row_of[key[1]])
            self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])
