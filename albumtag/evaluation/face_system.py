"""AlbumTag's face stage alone (decode, detect, align + describe), timed step by step, with no
library around it: what ``bench/faces.py`` and ``bench/verification.py`` compare with dlib.

It runs the face stage's own analysis (``albumtag.embed.face_analysis``, with its batches and
prefetching decoder), so these figures are the pipeline's, not a re-implementation's.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from albumtag.embed.face_analysis import FaceAnalysis
from albumtag.embed.face_descriptor import MATCH_DISTANCE
from albumtag.embed.face_vector import FACE_VECTOR_SIZE
from albumtag.evaluation.photo_sets import LabelledPhoto
from albumtag.evaluation.run_result import SystemRun, pick_face
from albumtag.io.photo_batches import PhotoFile
from albumtag.runtime.providers import Device


def run(photos: list[LabelledPhoto], device: Device | str = Device.AUTO, models_root: Path | None = None,
        pick: str = "largest") -> SystemRun:
    analysis = FaceAnalysis(device, models_root)
    jobs = [PhotoFile(k, str(photo.path)) for k, photo in enumerate(photos)]
    found = np.zeros(len(photos), bool)
    vectors = np.zeros((len(photos), FACE_VECTOR_SIZE), np.float32)
    seconds = dict.fromkeys(("detect", "describe"), 0.0)
    faces, started = 0, time.perf_counter()
    for job, photo in analysis.analyse_files(jobs, seconds=seconds):
        if isinstance(photo, Exception):
            continue
        height, width = photo.image.shape[:2]
        chosen = pick_face([d.box for d in photo.detections], width, height, pick)
        faces += len(photo.detections)
        if chosen is not None:  # every face is kept: photo.faces[k] is photo.detections[k]
            found[job.key], vectors[job.key] = True, photo.faces[chosen].descriptor
    seconds["total"] = time.perf_counter() - started
    seconds["decode"] = seconds["total"] - seconds["detect"] - seconds["describe"]  # waiting on it
    return SystemRun(found, vectors, [None] * len(photos), faces, seconds, MATCH_DISTANCE)
