"""Where the bundled resources (models, sample album, icons) live.

The source tree keeps them in the top-level ``resources/`` folder; an installed or packaged
build sets ``ALBUMTAG_RESOURCES`` or ships them under ``<prefix>/share/albumtag``; the
PyInstaller build (packaging/albumtag.spec) puts them in its bundle folder, ``sys._MEIPASS``.
"""

from __future__ import annotations

import os
import sys
from functools import cache
from pathlib import Path


class ResourcesNotFoundError(RuntimeError):
    """Raised when no resources folder can be found: the install is incomplete."""


def _candidates() -> list[Path]:
    env = os.environ.get("ALBUMTAG_RESOURCES")
    found = [Path(env)] if env else []
    found.append(Path(__file__).resolve().parents[2] / "resources")
    found.append(Path(sys.prefix) / "share" / "albumtag" / "resources")
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        found.append(Path(frozen) / "resources")
    return found


@cache
def resources_dir() -> Path:
    """The first resources folder that holds a model manifest."""
    for candidate in _candidates():
        if (candidate / "models" / "manifest.json").is_file():
            return candidate
    tried = ", ".join(str(c) for c in _candidates())
    raise ResourcesNotFoundError(f"AlbumTag's resources were not found (looked in: {tried})")


def models_dir() -> Path:
    """The models in use: the version trained on this machine and made active
    (``albumtag.runtime.model_store``), else the bundled ones."""
    from albumtag.runtime.model_store import active_version

    return active_version() or bundled_models_dir()


def bundled_models_dir() -> Path:
    return resources_dir() / "models"


def sample_album_dir() -> Path:
    return resources_dir() / "sample-album"


def icon_path(size: int = 256) -> Path:
    """The app icon as a PNG of ``size`` pixels (48, 128 or 256).

    PNG, not the SVG source, so the window icon needs no SVG image plugin in a packaged build.
    The files sit in the freedesktop hicolor layout that desktop menus read too.
    """
    return resources_dir() / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "albumtag.png"
