"""Rows of ``library_info`` (``schema.LibraryInfo``) read and written in a transaction of their own.

The open-set tail ``python -m trainer personalise`` fits to a library's own faces is stored
here as the JSON ``recognize.open_set.ImpostorTail.to_json`` writes, so it travels with the
library; ``recognize.open_set.library_or_shipped_tail`` turns it back into a tail.
"""

from __future__ import annotations

from albumtag.library.database import Library
from albumtag.library.schema import LibraryInfo

OPEN_SET_TAIL_KEY = "open_set_tail"


def stored_open_set_tail(library: Library) -> str | None:
    """The library's own open-set tail as JSON, or None until ``personalise`` has stored one."""
    with library.session() as session:
        stored = session.get(LibraryInfo, OPEN_SET_TAIL_KEY)
        return stored.value if stored else None


def store_open_set_tail(library: Library, tail_json: str) -> None:
    with library.session() as session:
        session.merge(LibraryInfo(key=OPEN_SET_TAIL_KEY, value=tail_json))
