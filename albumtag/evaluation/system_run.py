"""What one system (AlbumTag or the reference) reports about a list of photos: the largest
face's descriptor per photo, the cluster that face ended in, and the time each stage took.
Saved as one ``.npz`` so a system can run in its own process (its memory measured alone)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


@dataclass
class SystemRun:
    found: np.ndarray  # bool [N]: a face was found in the photo
    vectors: np.ndarray  # float32 [N, D]: the largest face's descriptor (zeros where none)
    clusters: list[int | None]  # the largest face's cluster; None: no face or left alone
    faces: int  # every face found, not only the largest per photo
    seconds: dict[str, float] = field(default_factory=dict)  # per stage, and "total"
    threshold: float = 0.6  # the system's shipped "same person" distance
    peak_rss_mb: float = 0.0

    def save(self, path: Path) -> None:
        clusters = np.array([-1 if c is None else c for c in self.clusters], dtype=np.int64)
        meta = {"faces": self.faces, "seconds": self.seconds, "threshold": self.threshold}
        np.savez(path, found=self.found, vectors=self.vectors, clusters=clusters, meta=json.dumps(meta))

    @classmethod
    def load(cls, path: Path) -> SystemRun:
        with np.load(path) as data:
            meta = json.loads(str(data["meta"]))
            clusters = [None if c < 0 else int(c) for c in data["clusters"].tolist()]
            return cls(data["found"], data["vectors"], clusters, meta["faces"], meta["seconds"],
                       meta["threshold"])


def largest(boxes: list[tuple[float, float, float, float]]) -> int | None:
    """Index of the largest box by area (the benches' rule for a photo's labelled person)."""
    if not boxes:
        return None
    return int(np.argmax([(x2 - x1) * (y2 - y1) for x1, y1, x2, y2 in boxes]))
