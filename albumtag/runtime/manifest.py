"""The model manifest: which ONNX file serves each model name, and what made it.

``resources/models/manifest.json`` is written by ``python -m trainer`` and read here. Each
entry names its file (relative to the models folder), a version string that is stored with
every feature the model computes (so a newer model recomputes only what it changed), the
file's sha256, where its weights came from, their licence, the input spec and the metrics
measured when it was built.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from albumtag.runtime.resources import models_dir

MANIFEST_NAME = "manifest.json"


class ModelNotFoundError(KeyError):
    """A model name that the manifest does not list."""


@dataclass(frozen=True)
class ModelEntry:
    """One shipped model file and its provenance."""

    name: str
    file: str
    version: str
    sha256: str
    source: dict[str, Any] = field(default_factory=dict)
    licence: str = ""
    inputs: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def path(self, root: Path | None = None) -> Path:
        return (root or models_dir()) / self.file


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_manifest(root: Path | None = None) -> dict[str, ModelEntry]:
    """All entries of the manifest in ``root`` (default: the models in use, ``models_dir``)."""
    root = root or models_dir()
    raw = json.loads((root / MANIFEST_NAME).read_text(encoding="utf-8"))
    known = set(ModelEntry.__dataclass_fields__) - {"name"}
    entries = {}
    for name, spec in raw.get("models", {}).items():
        fields = {k: v for k, v in spec.items() if k in known}
        fields["extra"] = {k: v for k, v in spec.items() if k not in known}
        entries[name] = ModelEntry(name=name, **fields)
    return entries


def model_entry(name: str, root: Path | None = None) -> ModelEntry:
    entries = load_manifest(root)
    if name not in entries:
        raise ModelNotFoundError(f"model {name!r} is not in {(root or models_dir()) / MANIFEST_NAME}")
    return entries[name]
