"""Choosing onnxruntime execution providers: CUDA when it really initialises, else CPU.

``onnxruntime-gpu`` lists the CUDA provider even on machines without CUDA; a session asked
for it then logs errors and silently runs on the CPU. We therefore report the providers a
session actually got, and keep onnxruntime's own logging quiet.
"""

from __future__ import annotations

from enum import Enum

import onnxruntime as ort

ort.set_default_logger_severity(3)

CUDA = "CUDAExecutionProvider"
CPU = "CPUExecutionProvider"


class Device(str, Enum):
    """What the user asked for in Settings (or ``--device``)."""

    AUTO = "auto"
    CPU = "cpu"
    CUDA = "cuda"


def requested_providers(device: Device | str = Device.AUTO) -> list[str]:
    """Providers to ask onnxruntime for, in order of preference."""
    device = Device(device)
    available = ort.get_available_providers()
    if device is Device.CPU or CUDA not in available:
        return [CPU]
    return [CUDA, CPU]


def describe_providers(active: list[str]) -> str:
    """A short human label for the providers a session got, for Settings and the status bar."""
    return "GPU (CUDA)" if CUDA in active else "CPU"
