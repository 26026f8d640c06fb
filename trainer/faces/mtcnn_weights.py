"""MTCNN weights from facenet-pytorch's wheel, fetched with pip at build time.

facenet-pytorch pins old torch/numpy/Pillow, so it is never installed: we only download its
wheel (``pip download --no-deps``) into the trainer's cache and read the three state dicts
(``facenet_pytorch/data/{pnet,rnet,onet}.pt``, MIT) out of the zip. A wheel already in the
cache is reused, so a rebuild needs no network.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

import torch

from trainer.wheels import cached_wheel

PACKAGE = "facenet-pytorch"
NET_NAMES = ("pnet", "rnet", "onet")


@dataclass(frozen=True)
class WeightsSource:
    """Where the weights came from, for the manifest."""

    package: str
    version: str
    wheel: Path

    def member(self, net: str) -> str:
        return f"facenet_pytorch/data/{net}.pt"


def download_wheel(cache: Path, version: str) -> WeightsSource:
    """The facenet-pytorch wheel in ``cache/wheels``, downloaded once with pip."""
    return WeightsSource(package=PACKAGE, version=version, wheel=cached_wheel(cache, PACKAGE, version))


def load_state_dicts(source: WeightsSource) -> dict[str, dict[str, torch.Tensor]]:
    """The three state dicts, read straight from the wheel (plain tensors: weights_only)."""
    with zipfile.ZipFile(source.wheel) as wheel:
        return {
            net: torch.load(
                io.BytesIO(wheel.read(source.member(net))), map_location="cpu", weights_only=True
            )
            for net in NET_NAMES
        }
