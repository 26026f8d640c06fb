"""Errors opening a library, each with a message fit to show a person as is."""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

# ENOSPC: the file system is full; EDQUOT: the user's quota on it is.
_FULL_ERRNOS = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}


class LibraryError(RuntimeError):
    """Base class: the library cannot be used; ``str(error)`` says why and what to do."""


class LibraryNotFoundError(LibraryError):
    pass


class LibraryCorruptError(LibraryError):
    pass


class LibraryLockedError(LibraryError):
    pass


class LibraryFullError(LibraryError):
    """No space left where the library writes (its file, or the thumbnails beside it). Nothing
    is half-written: SQLite rolled the transaction back and files are written whole or not at
    all, so an import stopped by it goes on where it stopped once there is room."""


def is_disk_full(error: BaseException | None) -> bool:
    """Whether a write failed because its disk (or the user's quota) is full: an OSError
    ENOSPC/EDQUOT, or SQLite's "database or disk is full" (SQLITE_FULL), also as SQLAlchemy
    wraps it (``.orig``) or as the cause of another error."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, OSError) and error.errno in _FULL_ERRNOS:
            return True
        if isinstance(error, sqlite3.Error) and (getattr(error, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL
                                                 or "database or disk is full" in str(error)):
            return True
        orig = getattr(error, "orig", None)
        error = orig if isinstance(orig, BaseException) else error.__cause__
    return False


def disk_full_message(where: Path, then: str = "try again") -> str:
    """What to tell a person whose disk filled up while AlbumTag wrote to ``where``."""
    return (f"no space left on the disk holding {where}: free some space, then {then} "
            "(nothing was half-written; what was finished is kept)")
