"""The photo grid's model: every photo of the current album, search or person."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from PySide6.QtGui import QImage

from albumtag.app.browse import PhotoItem
from albumtag.app.thumbnails import photo_thumbnail
from albumtag.gui.models.thumbnail_list_model import ThumbnailListModel
from albumtag.gui.thumbnail_loader import ThumbnailLoader, image_file


def _photo_picture(thumbnails_dir: Path, photo: PhotoItem) -> QImage:
    return image_file(photo_thumbnail(thumbnails_dir, photo.path, photo.content_hash))


class PhotoListModel(ThumbnailListModel[PhotoItem]):
    def __init__(self, thumbnails_dir: Path, loader: ThumbnailLoader, parent=None) -> None:
        super().__init__(loader, parent)
        self._thumbnails_dir = thumbnails_dir

    def item_id(self, item: PhotoItem) -> object:
        return item.id

    def picture(self, item: PhotoItem):
        return partial(_photo_picture, self._thumbnails_dir, item)

    def tooltip(self, item: PhotoItem) -> str:
        taken = item.taken_at.strftime("%Y-%m-%d %H:%M") if item.taken_at else "date unknown"
        return f"{item.path.name}\n{taken}"
