"""Where a library lives unless the user says otherwise."""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_path

APP_NAME = "AlbumTag"
LIBRARY_ENV = "ALBUMTAG_LIBRARY"
LIBRARY_FILE = "library.albumtag"


def env_library_path() -> Path | None:
    env = os.environ.get(LIBRARY_ENV)
    return Path(env).expanduser() if env else None


def default_library_path() -> Path:
    """``$ALBUMTAG_LIBRARY``, else ``library.albumtag`` in the platform's user data folder."""
    return env_library_path() or user_data_path(APP_NAME, appauthor=False) / LIBRARY_FILE
