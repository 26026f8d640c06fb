"""Writing entries of ``resources/models/manifest.json`` (read by albumtag.runtime.manifest)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from albumtag.io.atomic import write_bytes_atomic
from albumtag.runtime.manifest import MANIFEST_NAME, sha256_of


def update_manifest(models_root: Path, name: str, file: Path, **fields: Any) -> dict[str, Any]:
    """Add or replace one model's entry, atomically (albumtag.io.atomic: temp file, fsync, rename)."""
    manifest_path = models_root / MANIFEST_NAME
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {"schema": 1}
    entry = {"file": file.relative_to(models_root).as_posix(), "sha256": sha256_of(file), **fields}
    manifest.setdefault("models", {})[name] = entry
    manifest["models"] = dict(sorted(manifest["models"].items()))
    write_bytes_atomic(manifest_path, (json.dumps(manifest, indent=2, sort_keys=False) + "\n").encode("utf-8"))
    return entry
