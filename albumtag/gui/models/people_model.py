"""The People grid's model: one cell per person, showing their best face and photo count."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from PySide6.QtCore import QMimeData, QModelIndex, QPersistentModelIndex, QSize, Qt
from PySide6.QtGui import QImage

from albumtag.app.browse import PersonInstanceTile
from albumtag.app.people import FaceRef, PersonSummary
from albumtag.app.thumbnails import face_thumbnail
from albumtag.gui.models.thumbnail_list_model import ThumbnailListModel
from albumtag.gui.thumbnail_loader import ThumbnailLoader, image_file


def _face_picture(thumbnails_dir: Path, face: FaceRef | None) -> QImage:
    if face is None:
        return QImage()
    return image_file(face_thumbnail(thumbnails_dir, face.photo_path, face.content_hash, face.box))


PEOPLE_MIME = "application/x-albumtag-people"
FACE_CELL = QSize(156, 184)
FACE_ICON = QSize(136, 136)


class PeopleModel(ThumbnailListModel[PersonSummary]):
    cell, icon = FACE_CELL, FACE_ICON

    def __init__(self, thumbnails_dir: Path, loader: ThumbnailLoader, parent=None) -> None:
        super().__init__(loader, parent)
        self._thumbnails_dir = thumbnails_dir

    def item_id(self, item: PersonSummary) -> object:
        return (item.id, item.cover)

    def picture(self, item: PersonSummary):
        return partial(_face_picture, self._thumbnails_dir, item.cover)

    def label(self, item: PersonSummary) -> str:
        return f"{item.label}\n{item.photos} photo{'s' if item.photos != 1 else ''}"

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        base = super().flags(index)
        return base | Qt.ItemFlag.ItemIsDragEnabled | Qt.ItemFlag.ItemIsDropEnabled if index.isValid() else base

    def mimeTypes(self) -> list[str]:
        return [PEOPLE_MIME]

    def mimeData(self, indexes) -> QMimeData:
        """Only the ids travel: pictures and Python objects do not serialise."""
        data = QMimeData()
        data.setData(PEOPLE_MIME, ",".join(str(self.item(i.row()).id) for i in indexes).encode())
        return data

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction


class FacesModel(ThumbnailListModel[PersonInstanceTile]):
    """The faces of one person (or the suggestions for them), each with its state or score."""

    cell, icon = FACE_CELL, FACE_ICON

    def __init__(self, thumbnails_dir: Path, loader: ThumbnailLoader, parent=None) -> None:
        super().__init__(loader, parent)
        self._thumbnails_dir = thumbnails_dir

    def item_id(self, item: PersonInstanceTile) -> object:
        return item.instance_id

    def picture(self, item: PersonInstanceTile):
        return partial(_face_picture, self._thumbnails_dir, item.face)

    def label(self, item: PersonInstanceTile) -> str:
        return "✓ confirmed" if item.confirmed else f"suggested · {item.score:.0%}"

    def tooltip(self, item: PersonInstanceTile) -> str:
        return f"{item.face.photo_path.name}\nquality {item.quality:.2f}"
