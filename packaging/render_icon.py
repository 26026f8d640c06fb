"""Render AlbumTag's hand-written SVG icon to the PNG sizes desktops and the window use.

The SVG is the source; the PNGs are committed so neither the app nor an install needs an SVG
renderer. Sizes follow the freedesktop hicolor theme layout, so ``resources/icons/hicolor``
can be copied as it is into ``~/.local/share/icons/``. Run again after editing the SVG:

    .venv/bin/python packaging/render_icon.py
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # renders without a display

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

HICOLOR = Path(__file__).resolve().parents[1] / "resources" / "icons" / "hicolor"
SOURCE = HICOLOR / "scalable" / "apps" / "albumtag.svg"
SIZES = (48, 128, 256)


def render(renderer: QSvgRenderer, size: int) -> QImage:
    """The icon at ``size`` x ``size`` pixels on a transparent background."""
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    return image


def main() -> int:
    _app = QGuiApplication(sys.argv[:1])  # QImage text/paint engines need a Gui application
    renderer = QSvgRenderer(str(SOURCE))
    if not renderer.isValid():
        print(f"render_icon: cannot read {SOURCE}", file=sys.stderr)
        return 1
    for size in SIZES:
        target = HICOLOR / f"{size}x{size}" / "apps" / "albumtag.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        if not render(renderer, size).save(str(target)):
            print(f"render_icon: cannot write {target}", file=sys.stderr)
            return 1
        print(target.relative_to(HICOLOR.parents[1]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
