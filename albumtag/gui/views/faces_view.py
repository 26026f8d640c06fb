"""One person's faces (or the suggestions for them): confirm with Y, reject with N."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from albumtag.gui.models.people_model import FACE_CELL, FACE_ICON
from albumtag.gui.views.grids import icon_grid


class FacesView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.back_button = QPushButton("← People")
        self.heading = QLabel()
        self.heading.setObjectName("pageHeading")
        self.confirm_button = QPushButton("It's them (Y)")
        self.reject_button = QPushButton("Not them (N)")
        self.move_button = QPushButton("Someone else… (M)")
        self.name_button = QPushButton("Name…")
        self.not_likely_button = QPushButton()  # "Not Ann": shown when a group is offered a name
        self.not_likely_button.hide()
        self.photos_button = QPushButton("Show photos")
        toolbar = QHBoxLayout()
        toolbar.addWidget(self.back_button)
        toolbar.addWidget(self.heading, 1)
        for button in (self.confirm_button, self.reject_button, self.move_button, self.name_button,
                       self.not_likely_button, self.photos_button):
            toolbar.addWidget(button)
        self.hint = QLabel("Select faces (Shift/Ctrl for several), then Y if they are this person, "
                           "N if not, or M to say who they are. Ctrl+Z undoes.")
        self.grid = icon_grid(FACE_CELL, FACE_ICON)
        layout = QVBoxLayout(self)
        layout.addLayout(toolbar)
        layout.addWidget(self.hint)
        layout.addWidget(self.grid, 1)
