"""The People grid's model: one cell per person, showing their best face and photo count."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, QPersistentModelIndex, QSize, Qt

from albumtag.app.people import PersonSummary
from albumtag.app.thumbnails import face_thumbnail
from albumtag.gui.models.photo_list_model import placeholder
from albumtag.gui.thumbnail_loader import ThumbnailLoader, image_file

PersonRole = Qt.ItemDataRole.UserRole + 2
PERSON_CELL = QSize(150, 190)


def _face_image(thumbnails_dir: Path, person: PersonSummary):
    cover = person.cover
    return image_file(face_thumbnail(thumbnails_dir, cover.photo_path, cover.content_hash, cover.box)
                      if cover else None)


class PeopleModel(QAbstractListModel):
    def __init__(self, thumbnails_dir: Path, loader: ThumbnailLoader, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._people: list[PersonSummary] = []
        self._row_of: dict[int, int] = {}
        self._thumbnails_dir = thumbnails_dir
        self._loader = loader
        self._placeholder = placeholder(QSize(136, 136))
        loader.ready.connect(self._on_thumbnail)

    def set_people(self, people: list[PersonSummary]) -> None:
        self.beginResetModel()
        self._people = people
        self._row_of = {person.id: row for row, person in enumerate(people)}
        self.endResetModel()

    def person(self, row: int) -> PersonSummary:
        return self._people[row]

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._people)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        person = self._people[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{person.label}\n{person.photos} photo{'s' if person.photos != 1 else ''}"
        if role == Qt.ItemDataRole.DecorationRole:
            key = ("person", person.id, person.cover)
            pixmap = self._loader.cached(key)
            if pixmap is None:
                self._loader.request(key, partial(_face_image, self._thumbnails_dir, person))
                return self._placeholder
            return pixmap
        if role == Qt.ItemDataRole.SizeHintRole:
            return PERSON_CELL
        if role == PersonRole:
            return person
        return None

    def _on_thumbnail(self, key: object) -> None:
        if isinstance(key, tuple) and key[0] == "person" and key[1] in self._row_of:
            index = self.index(self._row_of[key[1]])
            self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])
