"""Grid widgets shared by the pages: an icon-mode list view set up for large, uniform grids."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QAbstractItemView, QListView, QWidget

from albumtag.gui.views.thumbnail_delegate import ThumbnailDelegate


def icon_grid(cell: QSize, icon: QSize, parent: QWidget | None = None, grid: QListView | None = None) -> QListView:
    """A virtualised grid (``grid``, or a new list view): only visible cells are laid out,
    painted and loaded."""
    grid = grid if grid is not None else QListView(parent)
    grid.setViewMode(QListView.ViewMode.IconMode)
    grid.setUniformItemSizes(True)
    grid.setResizeMode(QListView.ResizeMode.Adjust)
    grid.setMovement(QListView.Movement.Static)
    grid.setLayoutMode(QListView.LayoutMode.Batched)
    grid.setBatchSize(1000)
    grid.setIconSize(icon)
    grid.setGridSize(cell)
    grid.setWordWrap(True)
    grid.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
    grid.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
    grid.setItemDelegate(ThumbnailDelegate(icon, grid))
    return grid
