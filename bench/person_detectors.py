"""Person detectors on the hand-checked group photos: the app's BlazePose ``PersonDetector``
beside OpenCV's HOG people detector and the Haar full-body and upper-body cascades.

    python -m bench.person_detectors [--shared ../shared/data] [--threads 2]

Photos and scoring are ``trainer.bodies.evaluate``'s: the photos of ``labelled_photos`` (the
group photos of ``GROUP_HEADS`` and the back view), each detection reduced to one head box,
which counts for the labelled person whose head box (grown by 30%) holds its centre; a second
one on the same person is a duplicate, one on nobody a false detection (``score_head_boxes``).
Each detector runs twice per photo and the second run is timed, as ``evaluate.evaluate`` does;
``ms/photo`` is the mean over the photos, with ``--threads`` threads (onnxruntime intra-op
for BlazePose, ``cv2.setNumThreads`` for OpenCV).

OpenCV 5 (the app's) has neither ``cv2.HOGDescriptor`` nor ``cv2.CascadeClassifier``, so the
first run installs ``OPENCV4`` (no dependencies: numpy is the venv's) with
``pip install --target`` into ``.cache/bench/opencv4/`` (git-ignored) and runs those detectors
in a subprocess with that folder first on ``PYTHONPATH``; the cascades are the XML files that
ship in that wheel (``cv2.data.haarcascades``). Settings are OpenCV's documented defaults:
HOG ``getDefaultPeopleDetector`` on the colour photo, ``winStride`` (8, 8) (the block stride),
no padding, ``scale`` 1.05, ``groupThreshold`` 2; cascades on the grey photo after
``equalizeHist`` (as OpenCV's cascade tutorial), ``scaleFactor`` 1.1, ``minNeighbors`` 3.

Head boxes of HOG and Haar detections come from fixed fractions of their boxes (``HeadRule``),
set from how each detector was trained, not tuned on these photos. Only the head box's centre
is scored, so in effect the rule places the head at the box's horizontal centre and at a fixed
fraction of its height:

- HOG (``FULL_BODY``): Dalal & Triggs' 64x128 window holds the person with about 16 px of
  margin on every side, so the head (about 1/7.5 of a 96 px tall person, 13 px) lies in
  rows 16-32: the band from 1/8 to 1/4 of the height, the middle quarter of the width.
- Haar full body: trained on MIT CBCL pedestrians (the cascade's XML notes), 64x128 crops
  with the person centred and background around them (shoulders to feet about 80 px), which
  puts the head in the same place: ``FULL_BODY`` too.
- Haar upper body (``UPPER_BODY``): a 22x18 head-and-shoulders window (background to the
  sides, per its notes): the head fills about the top half, the middle third of the width.

``any rule`` bounds what a better head rule could give: the most required people that the
detections could find if each one's head were put wherever suits it best inside its box (for
BlazePose its body box), i.e. a maximum matching of detections to required people whose grown
head box the detection's box overlaps.

Last, every HOG and Haar detection that counts for a required person is listed with its box's
height over that person's labelled head height: a whole person (full body) is several heads
tall, a head and shoulders about two; a box smaller than the head is a chance hit (say a
"full body" on an ear) that the head-centre scoring still counts.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

REPO = Path(__file__).resolve().parents[1]
OPENCV4 = "opencv-python-headless==4.10.0.84"  # exact, so every rerun gets the same detectors
OPENCV4_DIR = REPO / ".cache" / "bench" / "opencv4" / OPENCV4.replace("==", "-")

Box = tuple[float, float, float, float]
T = TypeVar("T")


@dataclass(frozen=True)
class HeadRule:
    """Where the head sits in a detector's box: from ``top`` to ``bottom`` (fractions of the
    box's height, from its top edge), the middle ``width`` of its width."""

    top: float
    bottom: float
    width: float


FULL_BODY = HeadRule(top=1 / 8, bottom=1 / 4, width=1 / 4)
UPPER_BODY = HeadRule(top=0.0, bottom=1 / 2, width=1 / 3)


def head_box(box: Sequence[float], rule: HeadRule) -> Box:
    """The head box x1, y1, x2, y2 that ``rule`` puts in detection ``box`` x1, y1, x2, y2."""
    x1, y1, x2, y2 = (float(v) for v in box)
    centre, half, height = (x1 + x2) / 2, (x2 - x1) * rule.width / 2, y2 - y1
    return centre - half, y1 + rule.top * height, centre + half, y1 + rule.bottom * height


def second_run(detect: Callable[[np.ndarray], T], image: np.ndarray) -> tuple[T, float]:
    """``detect(image)`` twice; the second result and its milliseconds (the first warms up)."""
    detect(image)
    start = time.perf_counter()
    found = detect(image)
    return found, (time.perf_counter() - start) * 1000


# --- OpenCV 4 side: runs in the subprocess, imports nothing from the repository but this file.

def _xyxy(rects: Any) -> list[Box]:
    return [(float(x), float(y), float(x + w), float(y + h)) for x, y, w, h in np.asarray(rects).reshape(-1, 4)]


def opencv4_worker(photos_npz: str, threads: int) -> None:
    """Print JSON: OpenCV's version and file, and per detector and photo (the order of
    ``photos_npz``'s arrays, RGB) the boxes x1, y1, x2, y2 and milliseconds."""
    import cv2

    cv2.setNumThreads(threads)
    hog = cv2.HOGDescriptor()
    hog.setSVMDetector(cv2.HOGDescriptor_getDefaultPeopleDetector())
    cascades = {name: cv2.CascadeClassifier(os.path.join(cv2.data.haarcascades, f"haarcascade_{name}.xml"))
                for name in ("fullbody", "upperbody")}
    if any(cascade.empty() for cascade in cascades.values()):
        raise RuntimeError(f"cascades not loaded from {cv2.data.haarcascades}")

    def run_hog(rgb: np.ndarray) -> list[Box]:
        bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
        rects, _ = hog.detectMultiScale(bgr, hitThreshold=0, winStride=(8, 8), padding=(0, 0), scale=1.05,
                                        groupThreshold=2)
        return _xyxy(rects)

    def run_cascade(name: str) -> Callable[[np.ndarray], list[Box]]:
        def run(rgb: np.ndarray) -> list[Box]:
            grey = cv2.equalizeHist(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY))
            return _xyxy(cascades[name].detectMultiScale(grey, scaleFactor=1.1, minNeighbors=3))
        return run

    detectors = {"hog": run_hog, "haar_fullbody": run_cascade("fullbody"), "haar_upperbody": run_cascade("upperbody")}
    with np.load(photos_npz) as stored:
        photos = [stored[key] for key in stored.files]
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in detectors}
    for photo in photos:
        for name, detect in detectors.items():
            boxes, ms = second_run(detect, photo)
            results[name].append({"boxes": boxes, "ms": ms})
    json.dump({"version": cv2.__version__, "file": cv2.__file__, "detectors": results}, sys.stdout)


# --- App side.

def ensure_opencv4(target: Path = OPENCV4_DIR) -> Path:
    """``OPENCV4`` installed under ``target`` (once; the wheel only, numpy stays the venv's)."""
    if (target / "cv2" / "data" / "haarcascade_fullbody.xml").is_file():
        return target
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    print(f"installing {OPENCV4} into {target.relative_to(REPO)} (first run only)", flush=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--only-binary", ":all:",
                    "--target", str(partial), OPENCV4], check=True)
    partial.rename(target)
    return target


def run_opencv4(photos: list[np.ndarray], threads: int) -> dict[str, Any]:
    """``opencv4_worker`` in a subprocess whose ``import cv2`` finds ``OPENCV4``."""
    target = ensure_opencv4()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(target), str(REPO)])}
    code = ("import sys; from bench.person_detectors import opencv4_worker; "
            "opencv4_worker(sys.argv[1], int(sys.argv[2]))")
    with tempfile.TemporaryDirectory() as tmp:
        npz = Path(tmp) / "photos.npz"
        np.savez(npz, *photos)
        done = subprocess.run([sys.executable, "-c", code, str(npz), str(threads)], env=env, cwd=tmp,
                              capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"OpenCV 4 subprocess failed:\n{done.stderr}")
    result = json.loads(done.stdout)
    if not result["version"].startswith("4.") or not Path(result["file"]).is_relative_to(target):
        raise RuntimeError(f"subprocess used OpenCV {result['version']} from {result['file']}, not {target}")
    return result


def best_case_found(boxes: list[Box], grown_heads: list[Box]) -> int:
    """Most people found if each box may count for any one person whose grown head it
    overlaps (maximum bipartite matching, augmenting paths)."""
    options = [[k for k, (hx1, hy1, hx2, hy2) in enumerate(grown_heads)
                 if x1 <= hx2 and hx1 <= x2 and y1 <= hy2 and hy1 <= y2] for x1, y1, x2, y2 in boxes]
    match: dict[int, int] = {}  # person -> box

    def assign(box: int, seen: set[int]) -> bool:
        for person in options[box]:
            if person not in seen:
                seen.add(person)
                if person not in match or assign(match[person], seen):
                    match[person] = box
                    return True
        return False

    return sum(assign(box, set()) for box in range(len(boxes)))


@dataclass(frozen=True)
class PhotoRun:
    """One detector on one photo: head boxes (scored), whole boxes (``any rule``), ms."""

    heads: list[Box]
    boxes: list[Box]
    ms: float


Labelled = list[tuple[str, np.ndarray, dict[str, list[list[int]]]]]
OPENCV4_RULES = {"hog": ("hog (opencv 4)", FULL_BODY), "haar_fullbody": ("haar fullbody", FULL_BODY),
                 "haar_upperbody": ("haar upperbody", UPPER_BODY)}


def short(name: str) -> str:
    """A photo's file name (the back view: its first word)."""
    return name.split(" (")[0].rsplit("/", 1)[-1]


def all_runs(labelled: Labelled, threads: int) -> tuple[dict[str, list[PhotoRun]], str]:
    """Every detector on every photo, and a line saying what ran."""
    from albumtag.vision.person_detector import PersonDetector

    detector = PersonDetector(device="cpu", threads=threads)
    runs: dict[str, list[PhotoRun]] = {"blazepose (app)": []}
    for _, photo, _ in labelled:
        people, ms = second_run(detector.detect, photo)
        runs["blazepose (app)"].append(PhotoRun([p.head_box for p in people], [p.box for p in people], ms))
    opencv4 = run_opencv4([photo for _, photo, _ in labelled], threads)
    for key, (label, rule) in OPENCV4_RULES.items():
        runs[label] = [PhotoRun([head_box(b, rule) for b in r["boxes"]], [tuple(b) for b in r["boxes"]], r["ms"])
                       for r in opencv4["detectors"][key]]
    where = Path(opencv4["file"]).parent.relative_to(REPO)
    return runs, f"BlazePose on onnxruntime, HOG/Haar on OpenCV {opencv4['version']} ({OPENCV4}, {where})"


def report(runs: dict[str, list[PhotoRun]], labelled: Labelled) -> None:
    from trainer.bodies.evaluate import grown_head, head_owner, score_head_boxes

    print("\nper photo: found/required, false, duplicates")
    print(f"{'photo':<24}" + "".join(f"{name:>18}" for name in runs))
    for k, (name, _, heads) in enumerate(labelled):
        scores = [score_head_boxes(per_photo[k].heads, heads) for per_photo in runs.values()]
        print(f"{short(name):<24}" + "".join(f"{f'{s.found}/{s.required} f{s.false} d{s.duplicates}':>18}"
                                             for s in scores))

    print(f"\n{'detector':<18}{'found':>8}{'recall':>8}{'false':>7}{'dupl.':>7}{'ms/photo':>10}{'any rule':>10}")
    for name, per_photo in runs.items():
        scores = [score_head_boxes(r.heads, heads) for r, (_, _, heads) in zip(per_photo, labelled)]
        found, required = sum(s.found for s in scores), sum(s.required for s in scores)
        bound = sum(best_case_found(r.boxes, [grown_head(h) for h in heads["required"]])
                    for r, (_, _, heads) in zip(per_photo, labelled))
        print(f"{name:<18}{f'{found}/{required}':>8}{found / required:>8.3f}{sum(s.false for s in scores):>7}"
              f"{sum(s.duplicates for s in scores):>7}{np.mean([r.ms for r in per_photo]):>10.0f}"
              f"{f'{bound}/{required}':>10}")

    print("\nHOG/Haar detections counted as found: box height / labelled head height")
    for label, _ in OPENCV4_RULES.values():
        for run, (name, _, heads) in zip(runs[label], labelled):
            for head, (x1, y1, x2, y2) in zip(run.heads, run.boxes):
                owner = head_owner(heads, np.asarray(head))
                if owner is not None and owner < len(heads["required"]):
                    hx1, hy1, hx2, hy2 = heads["required"][owner]
                    print(f"{label:<16}{short(name):<24}box {x2 - x1:.0f}x{y2 - y1:.0f} at ({x1:.0f}, {y1:.0f}), "
                          f"head {hx2 - hx1}x{hy2 - hy1}: {(y2 - y1) / (hy2 - hy1):.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    from trainer.bodies.evaluate import labelled_photos

    labelled = labelled_photos(args.shared)
    runs, what = all_runs(labelled, args.threads)
    print(f"{len(labelled)} photos from {args.shared}; {args.threads} threads; {what}")
    report(runs, labelled)


if __name__ == "__main__":
    main()
