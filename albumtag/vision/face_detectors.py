"""The one place that picks a face detector: implementations by name, MTCNN the default.

A second detector is a class with ``FaceDetector``'s methods (``albumtag.vision.face_detection``)
taking ``(device, models_root, threads)``, added to ``DETECTORS``; the faces stage and
``albumtag.embed.face_analysis`` only see the interface.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from albumtag.runtime.providers import Device
from albumtag.vision.face_detection import FaceDetector
from albumtag.vision.mtcnn_detector import MtcnnDetector

DETECTORS: dict[str, Callable[[Device | str, Path | None, int | None], FaceDetector]] = {"mtcnn": MtcnnDetector}
DEFAULT_DETECTOR = "mtcnn"


def create_face_detector(device: Device | str = Device.AUTO, models_root: Path | None = None,
                         name: str = DEFAULT_DETECTOR, threads: int | None = None) -> FaceDetector:
    """The detector called ``name`` on ``device`` (``models_root``: default bundled models;
    ``threads``: intra-op threads of its sessions, default every core)."""
    try:
        factory = DETECTORS[name]
    except KeyError:
        raise ValueError(f"unknown face detector {name!r}; known: {', '.join(sorted(DETECTORS))}") from None
    return factory(device, models_root, threads)
