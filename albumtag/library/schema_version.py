"""Schema versions: migrate an older library on open, refuse a newer one with a clear message."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

from albumtag.library.errors import LibraryError

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


class LibraryTooNewError(LibraryError):
    """The library was written by a newer AlbumTag whose schema this version does not know."""


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def ensure_current(connection: Connection) -> bool:
    """Bring the schema to this version's head; True when anything was migrated."""
    script = ScriptDirectory.from_config(alembic_config())
    current = current_revision(connection)
    head = script.get_current_head()
    if current == head:
        return False
    known = {rev.revision for rev in script.walk_revisions()}
    if current is not None and current not in known:
        raise LibraryTooNewError(
            f"this library was written by a newer AlbumTag (schema {current}); "
            f"this version understands schemas up to {head}. Please update AlbumTag."
        )
    command.upgrade(alembic_config(connection), "head")
    return True
