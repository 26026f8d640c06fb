"""Models trained on this machine, kept beside the bundled ones as numbered versions.

The bundled models are read-only (they ship with the app). Training from the app copies the
models in use into a new version folder, lets the trainer replace what it rebuilds there, and
only then points ``current`` at it, in one atomic rename: a cancelled or failed run leaves the
models in use untouched, and earlier versions stay on disk for rollback.

    <user data>/AlbumTag/models/versions/<YYYYmmdd-HHMMSS>/manifest.json ...
    <user data>/AlbumTag/models/current          (the active version's folder name)
"""

from __future__ import annotations

import os
import shutil
from datetime import datetime
from pathlib import Path

from platformdirs import user_data_path

STORE_ENV = "ALBUMTAG_MODELS_HOME"
MANIFEST = "manifest.json"
POINTER = "current"


def store_root() -> Path:
    """``$ALBUMTAG_MODELS_HOME``, else ``models`` in the user data folder."""
    env = os.environ.get(STORE_ENV)
    return Path(env).expanduser() if env else user_data_path("AlbumTag", appauthor=False) / "models"


def versions() -> list[Path]:
    """Complete version folders, oldest first."""
    folder = store_root() / "versions"
    return sorted(p for p in folder.iterdir() if (p / MANIFEST).is_file()) if folder.is_dir() else []


def active_version() -> Path | None:
    """The version in use, or None for the bundled models."""
    pointer = store_root() / POINTER
    if not pointer.is_file():
        return None
    folder = store_root() / "versions" / pointer.read_text().strip()
    return folder if (folder / MANIFEST).is_file() else None


def new_version(base: Path) -> Path:
    """A new version folder holding a copy of ``base`` (the models in use), not yet active.

    Copies, not hard links: the trainer may rewrite a file in place, which must never reach
    the bundled models or an earlier version."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    folder = store_root() / "versions" / stamp
    suffix = 1
    while folder.exists():
        folder = folder.with_name(f"{stamp}-{suffix}")
        suffix += 1
    shutil.copytree(base, folder, ignore=shutil.ignore_patterns("*.tmp"))
    return folder


def activate(version: Path | None) -> None:
    """Use ``version`` from now on (None: the bundled models again), atomically."""
    root = store_root()
    root.mkdir(parents=True, exist_ok=True)
    pointer = root / POINTER
    if version is None:
        pointer.unlink(missing_ok=True)
        return
    temporary = root / f"{POINTER}.tmp"
    temporary.write_text(version.name + "\n")
    os.replace(temporary, pointer)


def rollback() -> Path | None:
    """Go back to the version before the active one (or the bundled models); returns it."""
    active, known = active_version(), versions()
    if active is None:
        return None
    earlier = [v for v in known if v.name < active.name]
    previous = earlier[-1] if earlier else None
    activate(previous)
    return previous


def discard(version: Path) -> None:
    """Remove a version that was never activated (a cancelled or failed training run)."""
    if version != active_version():
        shutil.rmtree(version, ignore_errors=True)
