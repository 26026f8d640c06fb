"""One vector instruction set for CPU training, so a rebuild on another machine repeats.

PyTorch's CPU kernels (ATen) and oneDNN each pick the widest vector instructions the
processor has (AVX-512 on one machine, AVX2 on another), and each gives slightly different
floating-point sums. Measured: three training steps of the re-ID CNN from the same seed end
with different weights under AVX-512 and under AVX2 (and differently again when only one of
the two libraries is capped), while two runs on one machine are bit-identical; after a full
training run the difference is a few per cent in the benchmark metrics, more than
``trainer all``'s 1% tolerance. Capping both at AVX2 (on every x86-64 processor made since
2013) before torch loads makes CPU training repeat across such machines, given the same
thread count (the configs fix it). GPU training differs regardless.
"""

from __future__ import annotations

import os
import platform

ISA_CAPS = {"ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2"}


def pin_cpu_isa() -> None:
    """Cap the instruction set on x86-64 unless the caller set these variables already; it
    only takes effect if torch has not been imported yet (``trainer/__init__.py`` calls it)."""
    if platform.machine().lower() in ("x86_64", "amd64"):
        for name, value in ISA_CAPS.items():
            os.environ.setdefault(name, value)


def cpu_isa() -> str:
    """The caps in force, for checkpoint hashes and the manifest ("native" when uncapped)."""
    caps = [f"{name}={os.environ[name]}" for name in ISA_CAPS if os.environ.get(name)]
    return ",".join(caps) or "native"
