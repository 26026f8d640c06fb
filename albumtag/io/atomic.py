"""Writing a file so that a crash leaves the old version or the new one, never half of one."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO


def write_atomic(path: Path, fill: Callable[[BinaryIO], None], durable: bool = True) -> None:
    """``fill`` writes into a temporary file beside ``path``, which then replaces ``path``.

    ``durable`` flushes to disk before the swap (a power cut then cannot leave an empty
    file); caches that are rebuilt anyway skip it, since it costs a disk round trip per file.
    A file replaced keeps its permissions: the temporary file is made private (0600), which
    would otherwise lock other users and programs out of a rewritten photo or sidecar.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            fill(handle)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        if path.exists():
            shutil.copymode(path, tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_bytes_atomic(path: Path, data: bytes) -> None:
    write_atomic(path, lambda handle: handle.write(data))
