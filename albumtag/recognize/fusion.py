"""PIPER's shipped fusion weights: the defaults a library uses until it has enough confirmed
instances to learn its own (``albumtag.recognize.identify.learn_library_weights``).

``python -m trainer fusion`` learns them on simulated albums (LFW training people paired with
the FUSION half of CUHK03 val, ``albumtag.evaluation.composite_data``) and ships
``fusion/weights_v1.json`` = ``{"weights": {"body": w0, "face": w, "part:<type>": w, ...},
"body_open_set": {"probabilities": [...], "distances": [...]}}`` under the manifest entry
``fusion``. Read lazily, on the first identification; a models folder without the entry (an
older trained version, a test folder) gives uniform weights.

``body_open_set`` is the open-set calibration of the body vector the library stores
(``describe_with_colour``): the lower tail of the distance between bodies of different people
(CUHK03 val FUSION half), an ``albumtag.recognize.open_set.ImpostorTail``. A stranger's body
is accepted as a person with ``n`` confirmed bodies when its nearest one is closer than
``tail.threshold(n ** exponent, far)``: nearest of ``n``, as the face side does for its gallery
size, except that one person's bodies look alike (same clothes, same build), so ``n`` of them
are worth fewer independent chances for a stranger to come close; ``gallery_exponent``
(fitted by the trainer on its own half, 1 when absent) says how many. A file without
``body_open_set`` (older) gives None, and body suggestions stay closed-set.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from albumtag.recognize.open_set import DEFAULT_FAR, ImpostorTail
from albumtag.runtime.manifest import ModelNotFoundError, model_entry

MODEL_NAME = "fusion"
BODY_TAIL_KEY = "body_open_set"
EXPONENT_KEY = "gallery_exponent"


@dataclass(frozen=True)
class BodyOpenSet:
    """The body impostor tail, and how many independent bodies ``n`` alike ones count as
    (``n ** exponent``)."""

    tail: ImpostorTail
    exponent: float = 1.0


def parse_weights(text: str) -> dict[str, float]:
    """``{"weights": {kind: w}}`` -> {kind: w}; every weight finite and non-negative."""
    weights = {str(kind): float(w) for kind, w in json.loads(text)["weights"].items()}
    bad = {kind: w for kind, w in weights.items() if not np.isfinite(w) or w < 0}
    if bad:
        raise ValueError(f"fusion weights must be finite and non-negative: {bad}")
    return weights


def parse_body_tail(text: str, version: str = "") -> BodyOpenSet | None:
    """The ``body_open_set`` calibration of a fusion file; None when the file has none."""
    stored = json.loads(text).get(BODY_TAIL_KEY)
    if stored is None:
        return None
    tail = ImpostorTail.from_json(json.dumps(stored), version)
    exponent = float(stored.get(EXPONENT_KEY, 1.0))
    if (len(tail.probabilities) != len(tail.distances) or not np.isfinite(tail.distances).all()
            or (np.diff(tail.probabilities) <= 0).any() or (np.diff(tail.distances) < 0).any()):
        raise ValueError(f"{BODY_TAIL_KEY}: probabilities must rise, distances be finite and not fall")
    if not 0 < exponent <= 1:
        raise ValueError(f"{BODY_TAIL_KEY}: {EXPONENT_KEY} must be in (0, 1], got {exponent}")
    return BodyOpenSet(tail, exponent)


@lru_cache(maxsize=8)
def _read(path: Path, sha256: str) -> tuple[dict[str, float], BodyOpenSet | None]:
    text = path.read_text(encoding="utf-8")  # sha256 in the key: a new file is read again
    return parse_weights(text), parse_body_tail(text, sha256[:12])


def _shipped(models_root: Path | None) -> tuple[dict[str, float], BodyOpenSet | None] | None:
    try:
        entry = model_entry(MODEL_NAME, models_root)
    except (ModelNotFoundError, FileNotFoundError):
        return None
    path = entry.path(models_root)
    if not path.is_file():
        return None
    return _read(path, entry.sha256)


def shipped_weights(models_root: Path | None = None) -> dict[str, float] | None:
    """The weights of the models in use (or in ``models_root``), by kind; None when the
    manifest has no ``fusion`` entry or its file is missing."""
    shipped = _shipped(models_root)
    return None if shipped is None else dict(shipped[0])


def shipped_body_tail(models_root: Path | None = None) -> BodyOpenSet | None:
    """The body open-set calibration of the models in use (or in ``models_root``); None when
    there is no ``fusion`` entry, its file is missing or carries no ``body_open_set``."""
    shipped = _shipped(models_root)
    return None if shipped is None else shipped[1]


def body_acceptance(calibration: BodyOpenSet, confirmed_bodies: int, far: float = DEFAULT_FAR) -> float:
    """The body distance under which a faceless instance may be taken for a person with
    ``confirmed_bodies`` confirmed bodies, at false-accept rate ``far`` for a stranger
    (nearest of ``confirmed_bodies ** exponent`` independent bodies: ``ImpostorTail.threshold``)."""
    return calibration.tail.threshold(max(confirmed_bodies, 1) ** calibration.exponent, far)
