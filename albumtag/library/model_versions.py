"""The model_version rows that stored features point to."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from albumtag.library.schema import ModelVersion


def model_version_id(session: Session, name: str, version: str, sha256: str | None = None) -> int:
    """Id of the (name, version) row, created on first use."""
    found = session.scalar(select(ModelVersion.id).where(ModelVersion.name == name,
                                                         ModelVersion.version == version))
    if found is not None:
        return found
    row = ModelVersion(name=name, version=version, sha256=sha256)
    session.add(row)
    session.flush()
    return row.id
