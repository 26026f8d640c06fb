"""Opening a library: the SQLite engine with its pragmas, schema check, sessions, writer lock."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import DatabaseError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from albumtag.library.errors import LibraryCorruptError, LibraryError, LibraryLockedError, LibraryNotFoundError
from albumtag.library.schema_version import ensure_current

BUSY_TIMEOUT_MS = 10_000
# How long an open waits for another process that is creating or upgrading the same library.
SCHEMA_LOCK_TIMEOUT_S = 120.0


def _on_connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
    """WAL for concurrent readers during imports, foreign keys on, and patience for locks."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")  # with WAL: durable at checkpoints, never corrupt
    cursor.close()


def make_engine(path: Path) -> Engine:
    engine = create_engine(f"sqlite:///{path}", connect_args={"check_same_thread": False})
    event.listen(engine, "connect", _on_connect)
    return engine


class Library:
    """One library file. Thumbnails live in ``<file>.thumbnails/`` beside it."""

    def __init__(self, path: Path, engine: Engine) -> None:
        self.path = path
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._lock = FileLock(str(path) + ".lock")

    @classmethod
    def open(cls, path: Path | str, create: bool = True) -> Library:
        """Open (creating or migrating as needed); raises LibraryError subclasses with reasons."""
        path = Path(path).expanduser().resolve()
        if not path.exists():
            if not create:
                raise LibraryNotFoundError(f"no library at {path}")
            if not path.parent.is_dir():
                raise LibraryNotFoundError(f"folder {path.parent} does not exist")
        elif path.is_dir():
            raise LibraryCorruptError(f"{path} is a folder, not a library file")
        engine = make_engine(path)
        try:
            _bring_schema_current(path, engine)
        except (DatabaseError, OperationalError) as error:
            engine.dispose()
            raise _classify(path, error) from error
        except BaseException:
            engine.dispose()
            raise
        return cls(path, engine)

    @property
    def thumbnails_dir(self) -> Path:
        return self.path.with_name(self.path.name + ".thumbnails")

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on any error."""
        with self._sessions.begin() as session:
            yield session

    @contextmanager
    def writer(self) -> Iterator[None]:
        """Held while a pipeline writes, so two processes never import into one library."""
        try:
            self._lock.acquire(timeout=0)
        except Timeout:
            raise LibraryLockedError(
                f"the library {self.path} is being updated by another AlbumTag process; "
                "wait for it to finish, or close the other window"
            ) from None
        try:
            yield
        finally:
            self._lock.release()

    def integrity_ok(self) -> bool:
        with self.engine.connect() as connection:
            return connection.execute(text("PRAGMA integrity_check")).scalar() == "ok"

    def close(self) -> None:
        self.engine.dispose()


def _bring_schema_current(path: Path, engine: Engine) -> None:
    """Create or migrate the schema under a lock file beside the library, so that of several
    processes opening one library at once (the CLI, the window, a trainer run) one creates or
    upgrades it and the others wait, then find it current. Without it, two imports started
    together on a new library both created its tables, and one failed."""
    try:
        with FileLock(str(path) + ".schema.lock", timeout=SCHEMA_LOCK_TIMEOUT_S):
            with engine.begin() as connection:
                connection.execute(text("SELECT count(*) FROM sqlite_master"))
                ensure_current(connection)
    except Timeout:
        raise LibraryLockedError(
            f"the library {path} is being created or upgraded by another AlbumTag process; "
            "try again when it has finished") from None
    except PermissionError as error:
        raise LibraryError(f"cannot open the library {path}: its folder is not writable ({error.strerror})") from None


def _classify(path: Path, error: Exception) -> Exception:
    message = str(getattr(error, "orig", error))
    if "locked" in message:
        return LibraryLockedError(f"the library {path} is locked by another program: {message}")
    if "not a database" in message or "malformed" in message or "corrupt" in message:
        return LibraryCorruptError(
            f"{path} is not an AlbumTag library or is damaged ({message}); "
            "restore it from a backup or choose another file")
    return LibraryCorruptError(f"cannot open the library {path}: {message}")
