"""Decoding photos for analysis (the app's stages, ``albumtag.embed.face_analysis``): a helper
thread decodes the next batch while the models work on this one (decoding releases the GIL;
onnxruntime does too)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Protocol, TypeVar

import numpy as np

from albumtag.io.decode import decode_file, to_array
from albumtag.io.errors import PhotoError

# Analysis decodes at the smallest scale whose long side is still at least this: the face
# detector works at up to 1600 px, the person detector on 224 px tiles, body crops are 64x128.
# A 12 MP phone photo (4032 px) decodes at half size, a quarter of the pixels (was full size
# under 2048, since 2016 < 2048).
WORK_SIDE = 1600


class HasPath(Protocol):
    path: str


@dataclass(frozen=True)
class PhotoFile:
    """A photo to decode with the caller's key for it (e.g. its index in the caller's list)."""

    key: int
    path: str


class Cancellable(Protocol):
    """What ``prefetched_batches`` checks between batches (the app's ``CancelToken``)."""

    @property
    def cancelled(self) -> bool: ...


J = TypeVar("J", bound=HasPath)
Decoded = tuple[float, np.ndarray] | PhotoError  # (working -> original scale, RGB) or the error


def decode_for_analysis(path: str) -> Decoded:
    """The upright photo at working resolution, and the factor back to original pixels."""
    try:
        header, image = decode_file(Path(path), WORK_SIDE)
    except PhotoError as error:
        return error
    return header.width / image.width, to_array(image)


def prefetched_batches(jobs: Iterable[J], size: int, cancel: Cancellable | None = None
                       ) -> Iterator[tuple[list[J], list[Decoded]]]:
    """Batches of ``size`` jobs with their decoded photos, the next batch decoding meanwhile;
    stops between batches once ``cancel`` is cancelled (None: never)."""
    source = iter(jobs)

    def submit(decoder: ThreadPoolExecutor) -> tuple[list[J], list[Future]] | None:
        batch = list(islice(source, size))
        return (batch, [decoder.submit(decode_for_analysis, job.path) for job in batch]) if batch else None

    with ThreadPoolExecutor(1, thread_name_prefix="decode") as decoder:
        pending = submit(decoder)
        while pending is not None and not (cancel is not None and cancel.cancelled):
            batch, futures = pending
            pending = submit(decoder)
            yield batch, [future.result() for future in futures]
