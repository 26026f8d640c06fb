"""Returning freed memory to the system: the glibc calls work (and do nothing elsewhere)."""

from __future__ import annotations

import numpy as np

from albumtag.runtime import heap
from albumtag.runtime.heap import LARGE_BLOCK, map_large_blocks, release_free_memory


def test_large_blocks_are_mapped_and_trim_works_on_glibc() -> None:
    on_glibc = heap._glibc() is not None
    assert map_large_blocks() is on_glibc
    assert map_large_blocks() is on_glibc  # harmless to repeat
    block = np.ones(2 * LARGE_BLOCK, np.uint8)  # still an ordinary array
    assert int(block.sum()) == 2 * LARGE_BLOCK
    del block
    assert isinstance(release_free_memory(), bool)
