"""Importing the trainer caps torch's CPU instruction set (so CPU training repeats across
machines), unless the caller chose one; checked in fresh interpreters, as torch reads the
variables once when it loads."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(platform.machine().lower() not in ("x86_64", "amd64"), reason="x86-64 only")

PROBE = ("import trainer, torch, os; print(torch.backends.cpu.get_cpu_capability(), "
         "os.environ['ONEDNN_MAX_CPU_ISA'])")


def _probe(**env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if k not in ("ATEN_CPU_CAPABILITY", "ONEDNN_MAX_CPU_ISA")}
    return subprocess.run([sys.executable, "-c", PROBE], env={**clean, **env}, capture_output=True,
                          text=True, check=True).stdout.split()


def test_importing_the_trainer_caps_torch_at_avx2() -> None:
    assert _probe() == ["AVX2", "AVX2"]


def test_a_cap_the_caller_chose_is_kept() -> None:
    assert _probe(ATEN_CPU_CAPABILITY="default", ONEDNN_MAX_CPU_ISA="SSE41") == ["DEFAULT", "SSE41"]
