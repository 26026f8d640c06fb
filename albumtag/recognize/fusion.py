"""PIPER's shipped fusion weights: the defaults a library uses until it has enough confirmed
instances to learn its own (``albumtag.recognize.identify.learn_library_weights``).

``python -m trainer fusion`` learns them on simulated albums (LFW training people paired with
the FUSION half of CUHK03 val, ``albumtag.evaluation.composite_data``) and ships
``fusion/weights_v1.json`` = ``{"weights": {"body": w0, "face": w, "part:<type>": w, ...}}``
under the manifest entry ``fusion``. Read lazily, on the first identification; a models folder
without the entry (an older trained version, a test folder) gives uniform weights.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np

from albumtag.runtime.manifest import ModelNotFoundError, model_entry

MODEL_NAME = "fusion"


def parse_weights(text: str) -> dict[str, float]:
    """``{"weights": {kind: w}}`` -> {kind: w}; every weight finite and non-negative."""
    weights = {str(kind): float(w) for kind, w in json.loads(text)["weights"].items()}
    bad = {kind: w for kind, w in weights.items() if not np.isfinite(w) or w < 0}
    if bad:
        raise ValueError(f"fusion weights must be finite and non-negative: {bad}")
    return weights


@lru_cache(maxsize=8)
def _read(path: Path, sha256: str) -> dict[str, float]:  # sha256: a new file is read again
    return parse_weights(path.read_text(encoding="utf-8"))


def shipped_weights(models_root: Path | None = None) -> dict[str, float] | None:
    """The weights of the models in use (or in ``models_root``), by kind; None when the
    manifest has no ``fusion`` entry or its file is missing."""
    try:
        entry = model_entry(MODEL_NAME, models_root)
    except (ModelNotFoundError, FileNotFoundError):
        return None
    path = entry.path(models_root)
    if not path.is_file():
        return None
    return dict(_read(path, entry.sha256))
