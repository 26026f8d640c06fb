"""AlbumTag's face stage alone (decode, detect, align + describe), timed step by step, with no
library around it: what ``bench/faces.py`` and ``bench/verification.py`` compare with dlib.

It runs the face stage's own code (``FaceStage.process`` pieces and its prefetching decoder),
so these figures are the pipeline's, not a re-implementation's.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from albumtag.app.progress import CancelToken
from albumtag.app.stages.faces import PHOTOS_PER_BATCH, FaceJob, FaceStage
from albumtag.app.stages.photo_batches import prefetched_batches
from albumtag.embed.face_descriptor import EMBEDDING_SIZE, MATCH_DISTANCE
from albumtag.evaluation.photo_sets import LabelledPhoto
from albumtag.evaluation.system_run import SystemRun, pick_face
from albumtag.runtime.providers import Device


def run(photos: list[LabelledPhoto], device: Device | str = Device.AUTO, models_root: Path | None = None,
        pick: str = "largest") -> SystemRun:
    stage = FaceStage(device, models_root)
    jobs = [FaceJob(k, str(photo.path)) for k, photo in enumerate(photos)]
    found = np.zeros(len(photos), bool)
    vectors = np.zeros((len(photos), EMBEDDING_SIZE), np.float32)
    seconds = dict.fromkeys(("detect", "describe"), 0.0)
    faces, started = 0, time.perf_counter()
    for batch, decoded in prefetched_batches(jobs, PHOTOS_PER_BATCH, CancelToken()):
        usable = [(job, item[1]) for job, item in zip(batch, decoded) if not isinstance(item, Exception)]
        images = [image for _, image in usable]
        clock = time.perf_counter()
        detections = stage.detector.detect_batch(images)
        seconds["detect"] += (now := time.perf_counter()) - clock
        _, descriptors = stage.describe(images, detections)
        seconds["describe"] += time.perf_counter() - now
        for (job, image), found_faces, photo_vectors in zip(usable, detections, descriptors):
            chosen = pick_face([d.box for d in found_faces], image.shape[1], image.shape[0], pick)
            faces += len(found_faces)
            if chosen is not None:
                found[job.photo_id], vectors[job.photo_id] = True, photo_vectors[chosen]
    seconds["total"] = time.perf_counter() - started
    seconds["decode"] = seconds["total"] - seconds["detect"] - seconds["describe"]  # waiting on it
    return SystemRun(found, vectors, [None] * len(photos), faces, seconds, MATCH_DISTANCE)
