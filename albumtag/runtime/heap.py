"""Handing memory the process has freed back to the system (glibc's allocator; elsewhere a no-op).

An import's per-photo arrays (decoded photos, crops, onnxruntime's activations, which run
without its arena) are freed after each photo, but glibc keeps freed heap pages mapped, and
its mmap threshold rises as large blocks are freed, so more and more of them come from the
heap: importing 480 face crops left the process at 552 MB after the faces stage. Trimming
the heap after each batch of results gives those pages back at the cost of one call.
(Fixing the mmap threshold at 1 MB instead gave 319 MB but made numpy code with 1 MB
temporaries 4-5x slower: every such array was a fresh mapping.)

Trimming between batches is not enough for large photos: within one batch of 12 MP photos
the heap's high-water mark grew to 630 MB (the face detector's activations and pyramid levels,
1-70 MB each, freed and reallocated in other sizes) where about 100 MB was live. So blocks of
``LARGE_BLOCK`` and more are mapped on their own (``map_large_blocks``) and go back to the
system the moment they are freed. Measured on 16 photos of 12 MP, one process, heap trimmed
after each batch: the faces stage peaked at 291 MB with 4 MB (347 with 8 MB, 395 without);
its CPU time stayed within the noise of a shared machine; the bodies stage paid about 100 ms
more system time a photo (1.7-1.9 s of CPU either way), its person detector's 19 MB
activations being mapped afresh each run. Small photos make few blocks that large.
"""

from __future__ import annotations

import ctypes
import sys
from functools import cache

M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter (malloc.h)
LARGE_BLOCK = 4 << 20


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


def map_large_blocks() -> bool:
    """Serve every block of ``LARGE_BLOCK`` bytes or more with its own mapping (glibc then no
    longer raises the threshold as such blocks are freed); False where the C library is not
    glibc. Harmless to repeat."""
    libc = _glibc()
    return bool(libc.mallopt(M_MMAP_THRESHOLD, LARGE_BLOCK)) if libc is not None and hasattr(libc, "mallopt") else False
