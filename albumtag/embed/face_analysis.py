"""The one face-analysis path: photo files -> decoded batch -> detect -> align -> describe.

The app's faces stage, ``albumtag.evaluation.face_system`` and the face head's training data
(``trainer/face_head/data.py``) all run it; what differs between them is a parameter:

- ``keep``: which of a photo's detections are aligned and described (every one by default;
  the face-head data keeps only the face nearest the centre);
- ``describe``: whether the descriptor runs (the face-head data only wants the chips, which its
  torch port of the ResNet reads);
- the photos per batch, the device, and ``seconds``, where detection and description time
  are added up for benchmarks;
- ``streams``: how many batches are analysed at once, each on a thread of its own
  (``analysis_streams``). MTCNN's graphs on a small photo are tiny and much of its time is
  Python between them, so one batch cannot keep two cores busy. A batch holds at most its
  stream's share of ``BATCH_PIXELS``, so large photos go side by side too, with the memory
  one batch of them held before. Small photos (``NARROW_PIXELS``) are detected on sessions
  with the stream's share of the cores as intra-op threads (one each on two cores), larger
  ones on sessions with every core, and the descriptor has the stream's share. Why, measured
  with 2 streams on 2 cores, ms a photo: with every session on every core the streams'
  thread pools fight over the cores on small photos (400 web photos of about 0.1 MP: 37.4
  against 33.3; 1024 px photos: 198-204 against 181-185), while on 1600 px photos one
  thread a stream is no faster (459-472 against 467-518) and on 12 MP photos slower (723-743
  against 814-842): two large convolutions at once evict each other from the cache.

Photos are decoded at working resolution (``albumtag.io.photo_batches``) on a helper thread
while the models work on the previous batch; the detector's batch step and the descriptor run
once per batch of photos. Detections and chips are in the working image's pixels;
``AnalysedPhoto.scale`` takes them back to the original photo's. The detector is whichever
``albumtag.vision.face_detectors`` picks (MTCNN), seen only through the ``FaceDetector``
interface.
"""

from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from albumtag.embed.face_vector import FACE_VECTOR_SIZE, FaceVectorModel
from albumtag.io.errors import PhotoError
from albumtag.io.photo_batches import BATCH_PIXELS, Cancellable, J, decoded_pixels, prefetched_batches
from albumtag.runtime.inference_model import default_threads, uses_cuda
from albumtag.runtime.providers import Device
from albumtag.vision.align import ARCFACE_TEMPLATE, face_chip, load_template
from albumtag.vision.face_detection import FaceDetection, FaceDetector
from albumtag.vision.face_detectors import DEFAULT_DETECTOR, create_face_detector

PHOTOS_PER_BATCH = 8  # photos decoded, detected and described together (the faces stage's batch)
NARROW_PIXELS = 1_000_000  # photos of at most this many pixels are detected on a stream's share of the cores

Keep = Callable[[list[FaceDetection], np.ndarray], Sequence[int]]
"""Which detections of a photo (best score first) to align and describe, given the photo's
working image: indices into the detections."""


def analysis_streams(device: Device | str) -> int:
    """Batches to analyse at once: two on a CPU of two cores or more, one on a GPU (which runs
    one batch's graphs faster than a second Python thread could feed it)."""
    return 1 if uses_cuda(device) or (os.cpu_count() or 1) < 2 else 2


def every_face(found: list[FaceDetection], _image: np.ndarray) -> Sequence[int]:
    return range(len(found))


@dataclass(frozen=True, eq=False)
class AnalysedFace:
    """One kept face: its detection (working pixels), its aligned chips (dlib's geometry,
    [150, 150, 3] uint8, and ArcFace's, [112, 112, 3]) and its face vector (float32 [256];
    None when the analysis does not describe)."""

    detection: FaceDetection
    chip: np.ndarray
    arcface_chip: np.ndarray
    descriptor: np.ndarray | None


@dataclass(frozen=True, eq=False)
class AnalysedPhoto:
    """One photo: ``scale`` (working -> original pixels), the working ``image``, every face the
    detector found (best first) and the kept ones, aligned, in ``keep``'s order."""

    scale: float
    image: np.ndarray
    detections: list[FaceDetection]
    faces: list[AnalysedFace]


class FaceAnalysis:
    """The detector, the alignment template and (``describe``) the descriptor, on ``device``."""

    def __init__(self, device: Device | str = Device.AUTO, models_root: Path | None = None,
                 describe: bool = True, detector: str = DEFAULT_DETECTOR, streams: int = 1) -> None:
        self.streams = max(1, streams)
        share = max(1, default_threads() // self.streams)
        self.detector: FaceDetector = create_face_detector(device, models_root, detector)
        self.narrow_detector = (create_face_detector(device, models_root, detector, share)
                                if share < default_threads() else self.detector)
        self.template = load_template(models_root)
        self.descriptor = FaceVectorModel(device, models_root, share) if describe else None

    @property
    def version(self) -> str:
        """What the results depend on: detector, template and descriptor versions."""
        parts = [self.detector.version, self.template.version]
        return ";".join(parts + ([self.descriptor.version] if self.descriptor is not None else []))

    def analyse_files(self, jobs: Iterable[J], batch_size: int = PHOTOS_PER_BATCH,
                      cancel: Cancellable | None = None, keep: Keep = every_face,
                      seconds: dict[str, float] | None = None) -> Iterator[tuple[J, AnalysedPhoto | PhotoError]]:
        """Each job (anything with a ``path``) with its analysed photo, or the error that kept
        it from decoding; per batch, the failed ones come first, and batches come in order.
        Stops between batches once ``cancel`` is cancelled."""
        with ThreadPoolExecutor(self.streams, thread_name_prefix="faces") as pool:
            running: deque[tuple[Future, int]] = deque()
            for batch, decoded in prefetched_batches(jobs, batch_size, cancel, BATCH_PIXELS // self.streams):
                pixels = sum(map(decoded_pixels, decoded))
                # A batch waits while the others under analysis hold BATCH_PIXELS: batches are cut
                # to a stream's share, so this holds back only a single photo larger than that.
                while running and (len(running) >= self.streams or sum(p for _, p in running) + pixels > BATCH_PIXELS):
                    yield from running.popleft()[0].result()
                running.append((pool.submit(self._analyse_batch, batch, decoded, keep, seconds), pixels))
            while running:
                yield from running.popleft()[0].result()

    def _analyse_batch(self, batch: list[J], decoded: list, keep: Keep, seconds: dict[str, float] | None
                       ) -> list[tuple[J, AnalysedPhoto | PhotoError]]:
        usable = [(job, item) for job, item in zip(batch, decoded) if not isinstance(item, Exception)]
        failed = [(job, item) for job, item in zip(batch, decoded) if isinstance(item, Exception)]
        if not usable:
            return failed
        photos = self.analyse([image for _, (_, image) in usable], [scale for _, (scale, _) in usable],
                              keep, seconds)
        return failed + list(zip([job for job, _ in usable], photos))

    def analyse(self, images: list[np.ndarray], scales: Sequence[float] | None = None, keep: Keep = every_face,
                seconds: dict[str, float] | None = None) -> list[AnalysedPhoto]:
        """Detect in every image at once, align the kept faces and describe them all in one
        run. ``scales``: each image's factor back to original pixels (default 1). ``seconds``:
        where to add the time spent detecting (``detect``) and aligning + describing
        (``describe``)."""
        clock = time.perf_counter()
        detections = self._detector_for(images).detect_batch(images)
        now = time.perf_counter()
        kept = [[found[k] for k in keep(found, image)] for image, found in zip(images, detections)]
        chips = [[face_chip(image, d.landmarks, self.template) for d in faces] for image, faces in zip(images, kept)]
        arcface_chips = [[face_chip(image, d.landmarks, ARCFACE_TEMPLATE, ARCFACE_TEMPLATE.size) for d in faces]
                         for image, faces in zip(images, kept)]
        vectors = self._describe(chips, arcface_chips)
        if seconds is not None:
            seconds["detect"] = seconds.get("detect", 0.0) + now - clock
            seconds["describe"] = seconds.get("describe", 0.0) + time.perf_counter() - now
        scales = [1.0] * len(images) if scales is None else scales
        return [AnalysedPhoto(scale, image, found, [AnalysedFace(*face) for face in zip(*per_face)])
                for scale, image, found, *per_face
                in zip(scales, images, detections, kept, chips, arcface_chips, vectors)]

    def _detector_for(self, images: list[np.ndarray]) -> FaceDetector:
        """The narrow detector for a batch of small photos, else the one on every core."""
        small = sum(image.shape[0] * image.shape[1] for image in images) <= NARROW_PIXELS * len(images)
        return self.narrow_detector if small else self.detector

    def _describe(self, chips: list[list[np.ndarray]], arcface_chips: list[list[np.ndarray]]
                  ) -> list[list[np.ndarray | None]]:
        """Every photo's chips described in one run of each descriptor (None each without one)."""
        if self.descriptor is None:
            return [[None] * len(per_photo) for per_photo in chips]
        flat = [chip for per_photo in chips for chip in per_photo]
        flat_arcface = [chip for per_photo in arcface_chips for chip in per_photo]
        vectors = (self.descriptor.describe(np.stack(flat), np.stack(flat_arcface)) if flat
                   else np.zeros((0, FACE_VECTOR_SIZE), np.float32))
        bounds = np.cumsum([0] + [len(c) for c in chips])
        return [list(vectors[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]
