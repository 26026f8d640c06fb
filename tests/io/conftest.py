"""Fixtures for the XMP tests: the independent reader (exiftool) they cross-check against."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

ExifTool = Callable[..., dict]


@pytest.fixture(scope="session")
def exiftool() -> ExifTool:
    """``exiftool(path, *tags)``: what exiftool reads there (-struct JSON); skips the test when
    exiftool is not installed, since the cross-check with another reader needs it."""

    def read(path: Path, *tags: str) -> dict:
        program = shutil.which("exiftool")
        if program is None:
            pytest.skip("exiftool is not installed (apt-get install libimage-exiftool-perl); "
                        "the cross-check with another reader needs it")
        result = subprocess.run([program, "-j", "-struct", *tags, str(path)], capture_output=True, text=True,
                                check=True, timeout=60)
        return json.loads(result.stdout)[0]

    return read
