"""What one system (AlbumTag or the reference) reports about a list of photos: the chosen
face's descriptor per photo, the cluster that face ended in, and the time each stage took.
Saved as one ``.npz`` so a system can run in its own process (``evaluation.isolated_run``).
Also ``pick_face``: the rule every system uses to choose which face is the photo's person."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from albumtag.recognize.open_set import ImpostorTail


@dataclass
class SystemRun:
    found: np.ndarray  # bool [N]: a face was found in the photo
    vectors: np.ndarray  # float32 [N, D]: the chosen face's descriptor (zeros where none)
    clusters: list[int | None]  # the chosen face's cluster; None: no face or left alone
    faces: int  # every face found, not only the chosen one per photo
    seconds: dict[str, float] = field(default_factory=dict)  # per stage, and "total"
    threshold: float = 0.6  # the system's shipped "same person" distance
    peak_rss_mb: float = 0.0
    impostor_tail: str | None = None  # a calibrated open-set tail (JSON) replacing the fixed threshold

    def threshold_for(self, gallery_faces: int) -> float:
        """The acceptance distance with this many enrolled faces: calibrated when the system
        ships a tail (``albumtag.recognize.open_set``), else its fixed threshold."""
        if self.impostor_tail is None:
            return self.threshold
        return ImpostorTail.from_json(self.impostor_tail).threshold(gallery_faces)

    def save(self, path: Path) -> None:
        clusters = np.array([-1 if c is None else c for c in self.clusters], dtype=np.int64)
        meta = {"faces": self.faces, "seconds": self.seconds, "threshold": self.threshold,
                "impostor_tail": self.impostor_tail}
        np.savez(path, found=self.found, vectors=self.vectors, clusters=clusters, meta=json.dumps(meta))

    @classmethod
    def load(cls, path: Path) -> SystemRun:
        with np.load(path) as data:
            meta = json.loads(str(data["meta"]))
            clusters = [None if c < 0 else int(c) for c in data["clusters"].tolist()]
            return cls(data["found"], data["vectors"], clusters, meta["faces"], meta["seconds"],
                       meta["threshold"], impostor_tail=meta["impostor_tail"])


Box = tuple[float, float, float, float]
PICK_RULES = ("largest", "central")


def pick_face(boxes: list[Box], width: int, height: int, rule: str = "largest") -> int | None:
    """Which face is the photo's labelled person: the largest (the rule for photo sets in
    general) or the one nearest the centre (LFW's construction: the named face is centred)."""
    if not boxes:
        return None
    array = np.asarray(boxes, dtype=np.float64)
    if rule == "largest":
        return int(np.argmax((array[:, 2] - array[:, 0]) * (array[:, 3] - array[:, 1])))
    if rule == "central":
        centres = (array[:, :2] + array[:, 2:]) / 2
        return int(np.argmin(np.linalg.norm(centres - [width / 2, height / 2], axis=1)))
    raise ValueError(f"unknown rule {rule!r}; one of {PICK_RULES}")
