"""Open-set acceptance: when is a face close enough to someone enrolled to be them?

A face of a stranger is falsely accepted when its nearest enrolled face is closer than the
threshold, so the false-accept rate depends on how many faces are enrolled: with ``M``
enrolled faces of other people and ``F`` the distribution of the distance between faces of
two different people, P(accept) = 1 - (1 - F(t))^M (nearest of M roughly independent
draws). Keeping the stated rate as the library grows therefore means lowering the
threshold as ``M`` grows; ``ImpostorTail`` holds the lower tail of ``F`` (measured by the
trainer on development faces) and solves for ``t``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from albumtag.runtime.manifest import model_entry

DEFAULT_FAR = 0.01  # the stated false-accept rate the app keeps
LIBRARY_VERSION = "library"  # the version of a tail read back from a library (personalise's)
MODEL_NAME = "open_set"
TAIL_PROBABILITIES = np.logspace(-8, np.log10(0.5), 80)


@dataclass(frozen=True)
class ImpostorTail:
    """Quantiles of the different-person face distance at small probabilities."""

    probabilities: np.ndarray  # ascending
    distances: np.ndarray  # the matching quantiles, ascending
    version: str = ""

    @classmethod
    def from_distances(cls, distances: np.ndarray, version: str = "") -> ImpostorTail:
        """Empirical quantiles; below 1/len(distances) the tail is flat at the minimum seen,
        which errs towards a lower threshold (fewer false accepts)."""
        finite = np.sort(np.asarray(distances, np.float64)[np.isfinite(distances)])
        quantiles = np.quantile(finite, TAIL_PROBABILITIES, method="inverted_cdf")
        return cls(TAIL_PROBABILITIES.copy(), quantiles, version)

    def threshold(self, gallery_faces: int, far: float = DEFAULT_FAR) -> float:
        """The distance below which a stranger is accepted with probability ``far`` when
        ``gallery_faces`` faces of other people are enrolled."""
        per_pair = 1.0 - (1.0 - far) ** (1.0 / max(gallery_faces, 1))
        return float(np.interp(np.log(per_pair), np.log(self.probabilities), self.distances))

    def cdf(self, distances: np.ndarray) -> np.ndarray:
        """P(different-person distance < d), read off the stored tail (log-interpolated)."""
        return np.exp(np.interp(distances, self.distances, np.log(self.probabilities)))

    def blended(self, other: ImpostorTail, weight: float, version: str = "") -> ImpostorTail:
        """The tail of the mixture ``weight * other + (1 - weight) * self``: a library's own
        impostors, trusted in proportion to how many there are, over the shipped prior."""
        grid = np.union1d(self.distances, other.distances)
        mixed = np.maximum.accumulate((1 - weight) * self.cdf(grid) + weight * other.cdf(grid))
        return ImpostorTail(self.probabilities.copy(), np.interp(self.probabilities, mixed, grid), version)

    def to_json(self) -> str:
        return json.dumps({"probabilities": self.probabilities.tolist(),
                           "distances": [round(float(d), 6) for d in self.distances]}, indent=1)

    @classmethod
    def from_json(cls, text: str, version: str = "") -> ImpostorTail:
        data = json.loads(text)
        return cls(np.array(data["probabilities"]), np.array(data["distances"]), version)


def load_tail(models_root: Path | None = None) -> ImpostorTail:
    """The shipped tail (``python -m trainer open-set``)."""
    entry = model_entry(MODEL_NAME, models_root)
    return ImpostorTail.from_json(entry.path(models_root).read_text(), entry.version)


def library_or_shipped_tail(stored: str | None, models_root: Path | None = None) -> ImpostorTail:
    """The tail ``python -m trainer personalise`` fitted to a library's own faces, from the JSON
    the library stores (``library.library_info.stored_open_set_tail``), else the shipped one."""
    return ImpostorTail.from_json(stored, LIBRARY_VERSION) if stored else load_tail(models_root)
