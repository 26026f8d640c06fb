"""GUI fixtures: a real main window on a given library, closed after the test."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from albumtag.gui.main_window import MainWindow
from albumtag.library.database import Library


@pytest.fixture
def open_window(qtbot) -> Iterator[Callable[[Library], MainWindow]]:
    windows: list[MainWindow] = []

    def open_on(library: Library) -> MainWindow:
        window = MainWindow(library)
        qtbot.addWidget(window)
        window.show()
        windows.append(window)
        return window

    yield open_on
    for window in windows:
        window.close()
