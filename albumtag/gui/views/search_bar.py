"""Filtering photos: by people (all of them in one photo) and by date range."""

from __future__ import annotations

from PySide6.QtCore import QDate, QStringListModel, Qt, Signal
from PySide6.QtWidgets import QCheckBox, QCompleter, QDateEdit, QHBoxLayout, QLabel, QLineEdit, QPushButton, QWidget


class PeopleCompleter(QCompleter):
    """Completes the name being typed after the last comma, keeping the ones before it."""

    def splitPath(self, path: str) -> list[str]:
        return [path.split(",")[-1].strip()]

    def pathFromIndex(self, index) -> str:
        typed = self.widget().text()
        before = [part.strip() for part in typed.split(",")[:-1] if part.strip()]
        return ", ".join([*before, index.data()]) + ", "


class SearchBar(QWidget):
    search_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.people_edit = QLineEdit()
        self.people_edit.setPlaceholderText("People in the photo, e.g. Ada, Grace")
        self.names = QStringListModel(self)
        completer = PeopleCompleter(self.names, self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.people_edit.setCompleter(completer)
        self.dated = QCheckBox("Taken between")
        self.since = QDateEdit(QDate.currentDate().addYears(-1), calendarPopup=True)
        self.until = QDateEdit(QDate.currentDate(), calendarPopup=True)
        for edit in (self.since, self.until):
            edit.setDisplayFormat("d MMM yyyy")
            edit.setEnabled(False)
            self.dated.toggled.connect(edit.setEnabled)
        self.search_button = QPushButton("Search")
        self.clear_button = QPushButton("Clear")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("Find:"))
        layout.addWidget(self.people_edit, 2)
        layout.addWidget(self.dated)
        layout.addWidget(self.since)
        layout.addWidget(QLabel("and"))
        layout.addWidget(self.until)
        layout.addWidget(self.search_button)
        layout.addWidget(self.clear_button)
        self.people_edit.returnPressed.connect(self.search_requested)
        self.search_button.clicked.connect(self.search_requested)
        self.clear_button.clicked.connect(self.clear)

    def set_names(self, names: list[str]) -> None:
        self.names.setStringList(sorted(names, key=str.casefold))

    def typed_names(self) -> list[str]:
        return [part.strip() for part in self.people_edit.text().split(",") if part.strip()]

    def filtering(self) -> bool:
        """Whether names or dates narrow what is shown."""
        return bool(self.typed_names()) or self.dated.isChecked()

    def clear(self) -> None:
        self.people_edit.clear()
        self.dated.setChecked(False)
        self.search_requested.emit()
