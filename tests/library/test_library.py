"""Opening libraries: pragmas, migrations matching the ORM, and clear refusals."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from albumtag.library.database import Library
from albumtag.library.errors import LibraryCorruptError, LibraryLockedError, LibraryNotFoundError
from albumtag.library.schema import Base
from albumtag.library.schema_version import LibraryTooNewError, head_revision


def test_new_library_has_wal_foreign_keys_and_head_schema(library: Library) -> None:
    with library.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    assert version == head_revision()
    assert library.integrity_ok()


def test_migrations_produce_exactly_the_orm_schema(library: Library) -> None:
    with library.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []


def test_library_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.albumtag"
    Library.open(path).close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    with pytest.raises(LibraryTooNewError, match="newer AlbumTag"):
        Library.open(path)


def test_older_library_is_migrated_on_open(tmp_path: Path) -> None:
    path = tmp_path / "old.albumtag"
    Library.open(path).close()
    with sqlite3.connect(path) as db:  # an empty, unversioned file is the oldest there is
        db.execute("DELETE FROM alembic_version")
        for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type='table' "
                                   "AND name != 'alembic_version'").fetchall():
            db.execute(f"DROP TABLE {table}")
    library = Library.open(path)
    with library.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    library.close()


def test_non_sqlite_file_is_reported_as_not_a_library(tmp_path: Path) -> None:
    path = tmp_path / "holiday.jpg"
    path.write_bytes(b"\xff\xd8\xff\xe0 definitely a JPEG, not a database" * 100)
    with pytest.raises(LibraryCorruptError, match="not an AlbumTag library"):
        Library.open(path)


def test_missing_library_and_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(LibraryNotFoundError, match="no library"):
        Library.open(tmp_path / "absent.albumtag", create=False)
    with pytest.raises(LibraryNotFoundError, match="does not exist"):
        Library.open(tmp_path / "no-such-folder" / "lib.albumtag")


def test_second_writer_is_refused_with_a_reason(tmp_path: Path) -> None:
    first = Library.open(tmp_path / "lib.albumtag")
    second = Library.open(tmp_path / "lib.albumtag")
    with first.writer():
        with pytest.raises(LibraryLockedError, match="another AlbumTag process"):
            with second.writer():
                pass
    with second.writer():  # released: now it may write
        pass
    first.close()
    second.close()


def test_library_at_the_first_schema_keeps_its_data_when_migrated(tmp_path: Path) -> None:
    from alembic import command

    from albumtag.library.database import make_engine
    from albumtag.library.schema_version import alembic_config

    path = tmp_path / "v1.albumtag"
    engine = make_engine(path)
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0001")
        connection.execute(text("INSERT INTO person (name, hidden, created_at) VALUES ('Ada', 0, '2020-01-01')"))
    engine.dispose()
    library = Library.open(path)
    with library.engine.connect() as connection:
        assert connection.execute(text("SELECT name FROM person")).scalar() == "Ada"
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    library.close()


def test_a_new_library_opened_by_several_processes_at_once(tmp_path: Path) -> None:
    """One creates the schema, the others wait for it and find it current."""
    import subprocess
    import sys

    path = tmp_path / "together.albumtag"
    code = f"from albumtag.library.database import Library; Library.open({str(path)!r}).close()"
    runs = [subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE, text=True) for _ in range(4)]
    for run in runs:
        assert run.wait(timeout=120) == 0, run.stderr.read()
    library = Library.open(path)
    with library.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    assert library.integrity_ok()
    library.close()
