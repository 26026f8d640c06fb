"""Content hashes: how a moved or renamed photo is recognised as the same photo."""

from __future__ import annotations

import hashlib

HASH_BYTES = 16  # 128-bit BLAKE2b: collisions are not a concern for a personal library


def content_hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=HASH_BYTES).hexdigest()
