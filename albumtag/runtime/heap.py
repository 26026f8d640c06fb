"""Handing memory the process has freed back to the system (glibc's allocator; elsewhere a no-op).

An import's per-photo arrays (decoded photos, crops, onnxruntime's activations, which run
without its arena) are freed after each photo, but glibc keeps freed heap pages mapped, and
its mmap threshold rises as large blocks are freed, so more and more of them come from the
heap: importing 480 face crops left the process at 552 MB after the faces stage. Trimming
the heap after each batch of results gives those pages back at the cost of one call.
(Fixing the mmap threshold at 1 MB instead gave 319 MB but made numpy code with 1 MB
temporaries 4-5x slower: every such array was a fresh mapping.)
"""

from __future__ import annotations

import ctypes
import sys
from functools import cache


@cache
def _glibc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return None
    return libc if hasattr(libc, "malloc_trim") else None  # musl and others have none


def release_free_memory() -> bool:
    """Return the heap's free pages to the system; False where the C library is not glibc."""
    libc = _glibc()
    return bool(libc.malloc_trim(0)) if libc is not None else False
