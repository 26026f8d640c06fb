"""The People and Unnamed pages: a grid of faces, one per person, with the people actions."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from albumtag.gui.models.people_model import FACE_CELL, FACE_ICON
from albumtag.gui.views.people_grid import PeopleGrid


class PeopleView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.heading = QLabel()
        self.heading.setObjectName("pageHeading")
        self.name_button = QPushButton("Name…")
        self.merge_button = QPushButton("Merge selected")
        self.hide_button = QPushButton("Hide")
        self.delete_button = QPushButton("Delete")
        self.name_button.setToolTip("Name this person (all their faces are confirmed)")
        self.merge_button.setToolTip("These are one person: merge them (select two or more, "
                                     "or drag people onto the person they are)")
        self.delete_button.setToolTip("Forget this person; their faces stay, as unknown")
        toolbar = QHBoxLayout()
        toolbar.addWidget(self.heading, 1)
        for button in (self.name_button, self.merge_button, self.hide_button, self.delete_button):
            toolbar.addWidget(button)
        self.grid = PeopleGrid(FACE_CELL, FACE_ICON)
        self.empty_hint = QLabel()
        self.empty_hint.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addLayout(toolbar)
        layout.addWidget(self.empty_hint)
        layout.addWidget(self.grid, 1)
