"""Memory the process frees goes back to the system (glibc's allocator; elsewhere nothing to do).

glibc serves a block over its mmap threshold with its own mapping, unmapped when freed, but it
raises that threshold (up to 32 MB) each time such a block is freed, so after a few photos the
per-photo arrays (decoded photos, crops, and onnxruntime's activations, which run without its
arena) come from the heap instead, which fragments and keeps its high-water mark. Importing
480 face crops left the process at 552 MB after the faces stage; with the threshold fixed at
1 MB (and the heap trimmed past 1 MB) it peaked at 306 MB, measured with ``bench/stage_timing.py``.
"""

from __future__ import annotations

import ctypes
import sys

M_TRIM_THRESHOLD = -1  # glibc's mallopt parameters (malloc.h)
M_MMAP_THRESHOLD = -3
THRESHOLD = 1 << 20


def return_freed_memory() -> bool:
    """Fix glibc's mmap and trim thresholds at 1 MB for this process; False where the C
    library is not glibc (the call is harmless to repeat)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        return bool(libc.mallopt(M_MMAP_THRESHOLD, THRESHOLD)) and bool(libc.mallopt(M_TRIM_THRESHOLD, THRESHOLD))
    except (OSError, AttributeError):  # not glibc (musl has no mallopt)
        return False
