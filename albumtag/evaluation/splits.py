"""The fixed split of ``faces-lfw`` into people the trainer may learn from and people kept
out for evaluation: a stable hash of the person's folder name, so the split needs no list
file, never changes when photos are added, and is the same in the trainer and the benches."""

from __future__ import annotations

import hashlib


def is_training_person(name: str) -> bool:
    """True for the training half (first sha256 byte of the folder name even)."""
    return hashlib.sha256(name.encode("utf-8")).digest()[0] % 2 == 0
