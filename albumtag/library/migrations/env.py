"""Alembic environment: always runs on the connection the library hands over."""

from __future__ import annotations

from alembic import context

from albumtag.library.schema import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,  # SQLite alters tables by copy; batch mode does that for us
)
with context.begin_transaction():
    context.run_migrations()
