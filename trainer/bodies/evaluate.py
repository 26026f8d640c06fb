"""Recall, false detections and time of the person detector on hand-checked photos.

``GROUP_HEADS`` was made by looking at each photo (drawn with a pixel grid, zoomed where
people are small or blurred): one head box per person, from the MTCNN face box where a face
was found and drawn by eye otherwise (back views, faces turned away). ``required`` people
are clearly visible; ``optional`` ones are mostly outside the frame or show no head (a
detection on them is neither required nor false). A detection counts for the person whose
head box (grown by 30%) holds the centre of its head box; a second one on the same person is
a duplicate, one on nobody a false detection.

``back_view_photo`` makes the photo of a person seen only from behind: CUHK03 crop
``val/0006_08.jpg`` (a man walking away, backpack, no face visible; picked by eye from a
contact sheet of the val crops) pasted 280 px tall on the public-domain meadow
``formats-immich/albums/nature/tanners_ridge.jpg`` where its path leaves the frame.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from albumtag.vision.person_detector import PersonDetection, PersonDetector
from trainer.images import read_rgb
from trainer.manifest import update_manifest

BBT = "group-bbt/examples/images"
GROUP_HEADS: dict[str, dict[str, list[list[int]]]] = {
    f"{BBT}/bbt1.jpg": {"required": [[214, 128, 307, 254], [475, 144, 568, 266], [734, 127, 820, 245],
                                     [1000, 74, 1097, 214]], "optional": []},
    # Two at the table, four behind them (one seen from behind, two half-turned, one at the
    # left edge); two standing people whose heads are above the frame are optional.
    f"{BBT}/bbt2.jpg": {"required": [[98, 118, 179, 226], [374, 113, 456, 226], [-5, 88, 52, 158],
                                     [168, 54, 264, 150], [386, 25, 457, 93], [550, 57, 621, 136]],
                        "optional": [[421, 0, 543, 143], [571, 0, 675, 93]]},
    f"{BBT}/bbt3.jpg": {"required": [[368, 108, 418, 174], [155, 86, 203, 157], [37, 25, 92, 99],
                                     [490, 93, 548, 171], [259, 100, 302, 161]], "optional": []},
    f"{BBT}/bbt4.jpg": {"required": [[231, 34, 319, 160], [84, 15, 169, 136], [53, 242, 150, 383],
                                     [578, 66, 657, 173], [466, 168, 557, 298], [259, 226, 342, 340]],
                        "optional": []},
    f"{BBT}/bbt5.jpg": {"required": [[574, 40, 656, 149], [221, 33, 294, 133], [437, 143, 522, 264],
                                     [99, 149, 199, 274], [711, 100, 804, 212]], "optional": []},
    "faces-deepface/couple.jpg": {"required": [[1391, 272, 1964, 1117], [329, 462, 987, 1304]], "optional": []},
    # Seven faces in a lift; two of them (bottom left, the photographer) cut by the frame.
    "faces-deepface/selfie-many-people.jpg": {
        "required": [[349, 111, 483, 288], [210, 125, 308, 250], [89, 292, 203, 445], [-6, 241, 72, 354],
                     [517, 68, 610, 210], [0, 386, 54, 571], [475, 264, 600, 604]], "optional": []},
    # Biden, Obama, the girl; a woman at the right edge shows hair and a red jacket only.
    "faces-knn/examples/knn_examples/test/obama_and_biden.jpg": {
        "required": [[756, 396, 929, 637], [1140, 360, 1331, 595], [1633, 1057, 1780, 1227]],
        "optional": [[1840, 580, 2000, 1428]]},
}
BACK_VIEW_NAME = "back-view (cuhk03 val/0006_08 on tanners_ridge)"
BACK_VIEW_HEAD = [628, 220, 690, 282]
BACK_VIEW_BODY = (610, 220, 704, 500)  # where the crop is pasted: x1, y1, x2, y2



def back_view_photo(shared: Path) -> np.ndarray:
    """The meadow with the man seen from behind (RGB, 800x534); see the module's docstring."""
    photo = read_rgb(shared / "formats-immich" / "albums" / "nature" / "tanners_ridge.jpg")
    person = read_rgb(shared / "bodies-cuhk03" / "val" / "0006_08.jpg")
    x1, y1, x2, y2 = BACK_VIEW_BODY
    photo[y1:y2, x1:x2] = cv2.resize(person, (x2 - x1, y2 - y1), interpolation=cv2.INTER_AREA)
    return photo


def labelled_photos(shared: Path) -> list[tuple[str, np.ndarray, dict[str, list[list[int]]]]]:
    """(name, RGB photo, head boxes) for every hand-checked photo, the back view last."""
    found = [(name, read_rgb(shared / name), heads) for name, heads in GROUP_HEADS.items()]
    return found + [(BACK_VIEW_NAME, back_view_photo(shared), {"required": [BACK_VIEW_HEAD], "optional": []})]


HEAD_GROW = 0.3  # labelled head boxes grow by this fraction of their size (half per side)


def grown_head(head: Sequence[float], grow: float = HEAD_GROW) -> tuple[float, float, float, float]:
    """A labelled head box x1, y1, x2, y2 grown by ``grow`` of its width and height."""
    x1, y1, x2, y2 = head
    gw, gh = (x2 - x1) * grow / 2, (y2 - y1) * grow / 2
    return x1 - gw, y1 - gh, x2 + gw, y2 + gh


def _holds(head: list[int], point: np.ndarray, grow: float = HEAD_GROW) -> bool:
    x1, y1, x2, y2 = grown_head(head, grow)
    return x1 <= point[0] <= x2 and y1 <= point[1] <= y2


@dataclass(frozen=True)
class PhotoScore:
    found: int
    required: int
    false: int
    duplicates: int


def head_owner(heads: dict[str, list[list[int]]], box: np.ndarray) -> int | None:
    """Index (required, then optional) of the labelled head that holds the box's centre."""
    centre = (np.asarray(box[:2], dtype=np.float64) + np.asarray(box[2:], dtype=np.float64)) / 2
    return next((k for k, head in enumerate(heads["required"] + heads["optional"]) if _holds(head, centre)), None)


def score_photo(people: list[PersonDetection], heads: dict[str, list[list[int]]]) -> PhotoScore:
    """Count found people, false detections and duplicates (see the module's docstring)."""
    return score_head_boxes([person.head_box for person in people], heads)


def score_head_boxes(boxes: Sequence[Sequence[float]], heads: dict[str, list[list[int]]]) -> PhotoScore:
    """``score_photo`` for any detector: one head box x1, y1, x2, y2 per detection."""
    hits = [0] * (len(heads["required"]) + len(heads["optional"]))
    false = 0
    for box in boxes:
        owner = head_owner(heads, np.asarray(box))
        if owner is None:
            false += 1
        else:
            hits[owner] += 1
    required = len(heads["required"])
    return PhotoScore(sum(1 for h in hits[:required] if h), required, false, sum(max(h - 1, 0) for h in hits))


def evaluate(detector: PersonDetector, shared: Path) -> dict[str, Any]:
    """Per-photo scores and milliseconds (second run: the first one warms the sessions up)."""
    rows = {}
    for name, photo, heads in labelled_photos(shared):
        detector.detect(photo)
        start = time.perf_counter()
        people = detector.detect(photo)
        elapsed = (time.perf_counter() - start) * 1000
        score = score_photo(people, heads)
        rows[name] = {**score.__dict__, "ms": round(elapsed)}
        print(f"{name}: found {score.found}/{score.required}, false {score.false}, "
              f"duplicates {score.duplicates}, {elapsed:.0f} ms")
    total = {key: sum(row[key] for row in rows.values()) for key in ("found", "required", "false", "duplicates")}
    return {
        "recall": round(total["found"] / total["required"], 3), **total,
        "mean_ms_2_threads": round(float(np.mean([row["ms"] for row in rows.values()]))),
        "per_photo": rows,
        "labels": "trainer/bodies/evaluate.py GROUP_HEADS (hand-checked) + the back-view photo",
    }


def add_metrics(models_root: Path, name: str, metrics: dict[str, Any]) -> None:
    """Merge ``metrics`` into one existing manifest entry (the file and its hash unchanged)."""
    entry = json.loads((models_root / "manifest.json").read_text(encoding="utf-8"))["models"][name]
    fields = {key: value for key, value in entry.items() if key not in ("file", "sha256")}
    fields["metrics"] = {**fields.get("metrics", {}), **metrics}
    update_manifest(models_root, name, models_root / entry["file"], **fields)
