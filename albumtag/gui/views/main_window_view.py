"""The main window's layout: menus, sidebar, page stack and the status-bar progress panel."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QLabel,
    QMainWindow,
    QSplitter,
    QStackedWidget,
    QTreeWidget,
    QVBoxLayout,
    QWidget,
)

from albumtag.gui.models.photo_list_model import PhotoListModel
from albumtag.gui.views.errors_view import ErrorsView
from albumtag.gui.views.faces_view import FacesView
from albumtag.gui.views.grids import icon_grid
from albumtag.gui.views.people_view import PeopleView
from albumtag.gui.views.photo_view import PhotoView
from albumtag.gui.views.progress_panel import ProgressPanel
from albumtag.gui.views.search_bar import SearchBar

STYLE = """
QTreeWidget#sidebar { border: none; background: #f3f3f3; font-size: 13px; }
QLabel#pageHeading { font-size: 18px; font-weight: 600; padding: 6px 2px; }
"""


class MainWindowView(QMainWindow):
    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle("AlbumTag")
        self.resize(1280, 820)
        self.setStyleSheet(STYLE)
        self._build_actions()
        self._build_menus()
        self.sidebar = QTreeWidget()
        self.sidebar.setObjectName("sidebar")
        self.sidebar.setHeaderHidden(True)
        self.sidebar.setMinimumWidth(200)
        self.grid_heading = QLabel()
        self.grid_heading.setObjectName("pageHeading")
        self.grid = icon_grid(PhotoListModel.cell, PhotoListModel.icon)
        self.grid.setObjectName("photoGrid")
        grid_page = QWidget()
        grid_layout = QVBoxLayout(grid_page)
        grid_layout.addWidget(self.grid_heading)
        self.search_bar = SearchBar()
        grid_layout.addWidget(self.search_bar)
        grid_layout.addWidget(self.grid, 1)
        self.photo_view = PhotoView()
        self.people_view = PeopleView()
        self.faces_view = FacesView()
        self.errors_view = ErrorsView()
        self.pages = QStackedWidget()
        for page in (grid_page, self.photo_view, self.people_view, self.faces_view, self.errors_view):
            self.pages.addWidget(page)
        self.grid_page = grid_page
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.sidebar)
        splitter.addWidget(self.pages)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([220, 1060])
        self.setCentralWidget(splitter)
        self.progress_panel = ProgressPanel()
        self.status_label = QLabel()
        self.statusBar().addWidget(self.status_label, 1)
        self.statusBar().addPermanentWidget(self.progress_panel)

    def _build_actions(self) -> None:
        self.add_folder_action = QAction("&Add folder…", self, shortcut=QKeySequence("Ctrl+O"))
        self.rescan_action = QAction("&Rescan albums", self, shortcut=QKeySequence("F5"))
        self.export_xmp_action = QAction("&Export tags to XMP…", self)
        self.export_xmp_action.setStatusTip("Write who is in each photo where digiKam, Lightroom and others read it")
        self.backup_action = QAction("&Back up people and tags…", self)
        self.backup_action.setStatusTip("Save every name and tag to a file that survives moving the photos")
        self.restore_action = QAction("Re&store from backup…", self)
        self.restore_action.setStatusTip("Put the names and tags of a backup on the matching photos")
        self.quit_action = QAction("&Quit", self, shortcut=QKeySequence.StandardKey.Quit)
        self.undo_action = QAction("&Undo", self, shortcut=QKeySequence.StandardKey.Undo)
        self.undo_action.setEnabled(False)
        self.settings_action = QAction("&Settings…", self, shortcut=QKeySequence.StandardKey.Preferences)
        self.personalise_action = QAction("&Personalise recognition…", self)
        self.personalise_action.setStatusTip("Adapt recognition to the people in this library (runs the trainer)")
        self.train_action = QAction("&Train models…", self)
        self.train_action.setStatusTip("Rebuild a model with the bundled trainer; the library's features follow")
        self.rollback_action = QAction("Use the &previous models", self)
        self.rollback_action.setStatusTip("Go back to the models in use before the last training")

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        file_menu.addAction(self.add_folder_action)
        file_menu.addAction(self.rescan_action)
        file_menu.addSeparator()
        file_menu.addAction(self.export_xmp_action)
        file_menu.addAction(self.backup_action)
        file_menu.addAction(self.restore_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        edit_menu = self.menuBar().addMenu("&Edit")
        edit_menu.addAction(self.undo_action)
        edit_menu.addSeparator()
        edit_menu.addAction(self.settings_action)
        models_menu = self.menuBar().addMenu("&Models")
        models_menu.addAction(self.personalise_action)
        models_menu.addAction(self.train_action)
        models_menu.addSeparator()
        models_menu.addAction(self.rollback_action)
