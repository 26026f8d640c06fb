"""Opening a library: the SQLite engine with its pragmas, schema check, sessions, writer lock."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.exc import DatabaseError, DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from albumtag.library.errors import (
    LibraryCorruptError,
    LibraryError,
    LibraryFullError,
    LibraryLockedError,
    LibraryNotFoundError,
    disk_full_message,
    is_disk_full,
)
from albumtag.library.schema_version import current_revision, ensure_current, head_revision

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
        """A session in one transaction: committed on success, rolled back on any error.

        SQLite's "database or disk is full" becomes ``LibraryFullError`` (the transaction is
        rolled back, the file stays sound), which the CLI and the window show as it is.
        """
        try:
            with self._sessions.begin() as session:
                yield session
        except DBAPIError as error:
            if is_disk_full(error):
                raise LibraryFullError(disk_full_message(self.path)) from error
            raise

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
            with engine.connect() as connection:
                connection.execute(text("SELECT count(*) FROM sqlite_master"))
                if current_revision(connection) != head_revision():
                    connection.rollback()
                    _migrate_in_one_transaction(connection)
    except Timeout:
        raise LibraryLockedError(
            f"the library {path} is being created or upgraded by another AlbumTag process; "
            "try again when it has finished") from None
    except PermissionError as error:
        raise LibraryError(f"cannot open the library {path}: its folder is not writable ({error.strerror})") from None


def _migrate_in_one_transaction(connection: Connection) -> None:
    """Create or upgrade the schema all at once or not at all.

    Python's sqlite3 (before 3.12) commits on its own before each CREATE or ALTER, so a
    creation that failed half-way, on a full disk, left half a schema that no later open could
    complete ("table album already exists"). Here the driver leaves transactions to us and
    the whole migration is one BEGIN IMMEDIATE ... COMMIT (SQLite's DDL is transactional).
    """
    driver = connection.connection.driver_connection
    previous = driver.isolation_level
    driver.isolation_level = None  # no implicit BEGIN/COMMIT from the driver
    try:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
        ensure_current(connection)
        connection.commit()  # the driver's commit() ends the transaction begun above
    except BaseException:
        connection.rollback()
        raise
    finally:
        driver.isolation_level = previous


def _classify(path: Path, error: Exception) -> Exception:
    message = str(getattr(error, "orig", error))
    if is_disk_full(error):
        return LibraryFullError(disk_full_message(path))
    if "locked" in message:
        return LibraryLockedError(f"the library {path} is locked by another program: {message}")
    if "not a database" in message or "malformed" in message or "corrupt" in message:
        return LibraryCorruptError(
            f"{path} is not an AlbumTag library or is damaged ({message}); "
            "restore it from a backup or choose another file")
    return LibraryCorruptError(f"cannot open the library {path}: {message}")
