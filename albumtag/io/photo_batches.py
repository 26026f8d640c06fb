"""Decoding photos for analysis (the app's stages, ``albumtag.embed.face_analysis``): a helper
thread decodes the next batch while the models work on this one (decoding releases the GIL;
onnxruntime does too)."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
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
# Decoded pixels one batch may hold: a 12 MP photo decodes at 2016x1512 (3 MP, 9 MB), so 8 of
# them a batch and 8 more decoding ahead held 146 MB of pixels, and the faces stage as much
# again in working copies; now 2 a batch and 2 ahead. Small photos still come 8 (or the
# stage's count) a batch.
BATCH_PIXELS = 6_500_000


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


def decoded_pixels(item: Decoded) -> int:
    """Pixels of one decoded photo (0 for one that failed)."""
    return 0 if isinstance(item, PhotoError) else item[1].shape[0] * item[1].shape[1]


def prefetched_batches(jobs: Iterable[J], size: int, cancel: Cancellable | None = None,
                       max_pixels: int = BATCH_PIXELS) -> Iterator[tuple[list[J], list[Decoded]]]:
    """Batches of at most ``size`` jobs and ``max_pixels`` decoded pixels (at least one photo)
    with their decoded photos, the next batch decoding meanwhile; stops between batches once
    ``cancel`` is cancelled (None: never).

    How many photos decode ahead follows the size of the last one decoded (one until the
    first is known): a batch of large photos is not held twice over before it is used."""
    source = iter(jobs)
    ahead: deque[tuple[J, Future[Decoded]]] = deque()
    last_pixels = max_pixels

    with ThreadPoolExecutor(1, thread_name_prefix="decode") as decoder:
        def top_up() -> None:
            limit = max(1, min(size, max_pixels // max(last_pixels, 1)))
            while len(ahead) < limit and (job := next(source, None)) is not None:
                ahead.append((job, decoder.submit(decode_for_analysis, job.path)))

        top_up()
        while ahead and not (cancel is not None and cancel.cancelled):
            batch: list[J] = []
            decoded: list[Decoded] = []
            held = 0
            # Whether the next photo fits is first judged by the last one's size, so a full
            # batch goes without waiting for a photo that is still decoding.
            while ahead and len(batch) < size and (not batch or held + last_pixels <= max_pixels):
                item = ahead[0][1].result()
                if batch and held + decoded_pixels(item) > max_pixels:
                    break
                batch.append(ahead.popleft()[0])
                decoded.append(item)
                held += decoded_pixels(item)
                last_pixels = decoded_pixels(item) or last_pixels
                top_up()
            yield batch, decoded
