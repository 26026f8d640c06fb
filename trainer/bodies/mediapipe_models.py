"""MediaPipe's BlazePose .tflite files, read from the mediapipe wheel fetched at build time.

mediapipe 0.10.21 pins numpy<2 and protobuf<5 and pulls jax: it cannot be installed beside
our stack, so, as with facenet-pytorch, only its wheel is downloaded (``pip download
--no-deps``) into the trainer's cache and the model files are read out of the zip. A wheel
already in the cache is reused, so a rebuild needs no network.

What the 0.10.21 wheel (cp311, manylinux x86_64, Apache-2.0) carries, for the record:
``pose_detection/pose_detection.tflite`` (BlazePose detector, 224x224, float16 weights, some
stored sparse) and ``pose_landmark/pose_landmark_full.tflite`` (256x256, 33+6 landmarks,
segmentation, heatmap); the lite and heavy landmark models and Objectron's SSD object
detector are *not* in it (the ``solutions`` API downloads them at run time), and the rest
(BlazeFace, face mesh, iris, hands, palm, selfie segmentation) finds no person bodies.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

from trainer.wheels import cached_wheel

PACKAGE = "mediapipe"
MODULES = "mediapipe/modules"
LICENCE = "Apache-2.0"


@dataclass(frozen=True)
class ModelFile:
    """One .tflite inside the wheel, extracted to ``path``; provenance for the manifest."""

    package: str
    version: str
    wheel: Path
    member: str
    path: Path

    def source(self) -> dict[str, str]:
        return {"package": self.package, "version": self.version, "file": self.member,
                "wheel": self.wheel.name, "url": f"https://pypi.org/project/{self.package}/{self.version}/"}


def download_wheel(cache: Path, version: str) -> Path:
    """The mediapipe wheel (this machine's platform tag; the .tflite files are the same in
    every platform's wheel)."""
    return cached_wheel(cache, PACKAGE, version)


def extract(cache: Path, version: str, relative: str) -> ModelFile:
    """``mediapipe/modules/<relative>`` out of the wheel into ``cache/mediapipe-<version>/``."""
    wheel = download_wheel(cache, version)
    member = f"{MODULES}/{relative}"
    target = cache / f"{PACKAGE}-{version}" / relative
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(wheel) as archive:
            target.write_bytes(archive.read(member))
    return ModelFile(PACKAGE, version, wheel, member, target)
