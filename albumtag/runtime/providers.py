"""Choosing onnxruntime execution providers: CUDA when it really initialises, else CPU.

``onnxruntime-gpu`` lists the CUDA provider even on machines without CUDA; a session asked
for it then logs errors and silently runs on the CPU. So CUDA is tried once per process, on
the first model loaded, with onnxruntime's logging silenced; whether it took is remembered,
and the providers a session actually got are what the app shows.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path

import onnxruntime as ort

CUDA = "CUDAExecutionProvider"
CPU = "CPUExecutionProvider"
QUIET, NORMAL = 4, 3  # onnxruntime log severities: fatal only / errors

ort.set_default_logger_severity(NORMAL)


class Device(str, Enum):
    """What the user asked for in Settings (or ``--device``)."""

    AUTO = "auto"
    CPU = "cpu"
    CUDA = "cuda"


_cuda_state: dict[str, bool] = {}


def cuda_works(probe_model: Path) -> bool:
    """True when CUDA really initialises; probed once per process, on the first model."""
    if "works" not in _cuda_state:
        _cuda_state["works"] = CUDA in ort.get_available_providers() and _probe(probe_model)
    return _cuda_state["works"]


def _probe(probe_model: Path) -> bool:
    ort.set_default_logger_severity(QUIET)
    try:
        session = ort.InferenceSession(str(probe_model), providers=[CUDA, CPU])
        return CUDA in session.get_providers()
    except Exception:  # a broken CUDA install must never stop the app: use the CPU
        return False
    finally:
        ort.set_default_logger_severity(NORMAL)


def requested_providers(device: Device | str, probe_model: Path) -> list[str]:
    """Providers to ask onnxruntime for, in order of preference."""
    if Device(device) is Device.CPU or not cuda_works(probe_model):
        return [CPU]
    return [CUDA, CPU]


def describe_providers(active: list[str]) -> str:
    """A short human label for the providers a session got, for Settings and the status bar."""
    return "GPU (CUDA)" if CUDA in active else "CPU"
