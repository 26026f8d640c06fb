"""Registry wheels that carry model weights, fetched once with pip into the trainer's cache.

Packages such as facenet-pytorch and mediapipe pin dependencies we cannot co-install, so they
are never installed: ``pip download --no-deps`` brings the wheel, and builders read weight
files straight out of the zip. A wheel already in the cache is reused: rebuilds are offline.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def _find(folder: Path, package: str, version: str) -> Path | None:
    stem = package.replace("-", "_")
    found = sorted(folder.glob(f"{stem}-{version}-*.whl"))
    return found[0] if found else None


def cached_wheel(cache: Path, package: str, version: str) -> Path:
    """``package==version``'s wheel in ``cache/wheels`` (downloaded on first use)."""
    folder = cache / "wheels"
    wheel = _find(folder, package, version)
    if wheel is None:
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                        f"{package}=={version}", "-d", str(folder)], check=True)
        wheel = _find(folder, package, version)
        if wheel is None:
            raise FileNotFoundError(f"pip did not leave a {package} {version} wheel in {folder}")
    return wheel
