"""Wording shared by the window's messages."""

from __future__ import annotations


def plural(count: int, one: str, many: str | None = None) -> str:
    """"1 photo", "3 photos", "2 people"."""
    return f"{count} {one if count == 1 else (many or one + 's')}"
