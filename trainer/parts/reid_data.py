"""Re-identification crops: listing (person from the file or folder name), loading, sampling.

Training uses only ``bodies-cuhk03/train_resized`` (``PPPP_NN.jpg``) and
``bodies-reid/data/train/<id>/``; the val splits are read by ``bench/reid.py`` alone. Every
crop is resized once, with the app's own ``resize_crop``, and kept in memory as uint8
(8,231 crops at 128x64 are 200 MB), so an epoch costs no JPEG decoding.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from albumtag.embed.body_descriptor import resize_crop

CUHK03_TRAIN = "bodies-cuhk03/train_resized"
REID_TRAIN = "bodies-reid/data/train"


@dataclass(frozen=True)
class Crop:
    path: Path
    person: str


def cuhk03_crops(folder: Path, prefix: str = "cuhk03/") -> list[Crop]:
    """``PPPP_NN.jpg``: the person is ``PPPP``."""
    return [Crop(path, prefix + path.stem.split("_")[0]) for path in sorted(folder.glob("*.jpg"))]


def folder_crops(folder: Path, prefix: str = "reid/") -> list[Crop]:
    """``<id>/<anything>.png``: the person is the folder's name."""
    return [Crop(path, prefix + path.parent.name) for path in sorted(folder.glob("*/*.png"))]


def training_crops(shared_data: Path, max_people: int = 0) -> list[Crop]:
    """Both training sets; ``max_people`` > 0 keeps the first people only (smoke runs)."""
    crops = cuhk03_crops(shared_data / CUHK03_TRAIN) + folder_crops(shared_data / REID_TRAIN)
    if not crops:
        raise FileNotFoundError(f"no training crops under {shared_data}")
    if max_people > 0:
        keep = set(sorted({crop.person for crop in crops})[:max_people])
        crops = [crop for crop in crops if crop.person in keep]
    return crops


def load_rgb(path: Path) -> np.ndarray:
    """An image file as uint8 RGB (the bodies-reid ``.png`` files hold JPEG data; Pillow
    goes by content, not name)."""
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


def load_crops(crops: list[Crop]) -> np.ndarray:
    """uint8 [N, 128, 64, 3], resized as the app resizes."""
    return np.stack([resize_crop(load_rgb(crop.path)) for crop in crops])


def person_labels(crops: list[Crop]) -> tuple[np.ndarray, list[str]]:
    """Class index per crop and the sorted person names the indices refer to."""
    names = sorted({crop.person for crop in crops})
    index = {name: i for i, name in enumerate(names)}
    return np.array([index[crop.person] for crop in crops], dtype=np.int64), names


class PKSampler:
    """Batches of P people x K crops each, which batch-hard triplet mining needs: every
    anchor has K-1 positives and (P-1)K negatives in its batch. People with fewer than K
    crops are sampled with replacement. An epoch has as many batches as fit the data once."""

    def __init__(self, labels: np.ndarray, people: int, per_person: int) -> None:
        self.by_person = [np.flatnonzero(labels == label) for label in range(int(labels.max()) + 1)]
        self.people = min(people, len(self.by_person))
        self.per_person = per_person
        self.batches = max(1, len(labels) // (self.people * per_person))

    def epoch(self, seed: int) -> Iterator[np.ndarray]:
        """The batches of one epoch, reproducible from ``seed`` (so a resumed run repeats it)."""
        rng = np.random.default_rng(seed)
        order: list[int] = []
        for _ in range(self.batches):
            if len(order) < self.people:
                order.extend(rng.permutation(len(self.by_person)).tolist())
            chosen, order = order[:self.people], order[self.people:]
            yield np.concatenate([self._pick(rng, person) for person in chosen])

    def _pick(self, rng: np.random.Generator, person: int) -> np.ndarray:
        items = self.by_person[person]
        return rng.choice(items, self.per_person, replace=len(items) < self.per_person)
