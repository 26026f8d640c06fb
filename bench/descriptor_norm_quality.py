"""Does the face descriptor's norm track image quality (QAFace's premise)?

    python -m bench.descriptor_norm_quality [--people 150]

For the first photo of each held-out LFW person (not used to learn the alignment
template), describes the aligned face as it is, blurred (Gaussian sigma 3), downscaled to
40 px and back, and darkened to 25%, and prints the mean and spread of the descriptor norm
for each. A quality-aware feature would show clearly lower norms for degraded faces.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from albumtag.embed.face_descriptor import FaceDescriptor
from albumtag.evaluation.splits import is_training_person
from albumtag.vision.align import face_chip, load_template
from albumtag.vision.mtcnn_detector import MtcnnDetector
from trainer.images import read_rgb

LFW = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "faces-lfw"
DEGRADATIONS = {
    "as is": lambda image: image,
    "blurred": lambda image: cv2.GaussianBlur(image, (0, 0), 3),
    "40 px": lambda image: cv2.resize(cv2.resize(image, (40, 40)), image.shape[1::-1]),
    "dark": lambda image: (image * 0.25).astype(np.uint8),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=150)
    args = parser.parse_args()
    detector, template, descriptor = MtcnnDetector("cpu"), load_template(), FaceDescriptor("cpu")
    people = sorted(p for p in LFW.iterdir() if p.is_dir() and not is_training_person(p.name))[:args.people]
    norms: dict[str, list[float]] = {name: [] for name in DEGRADATIONS}
    for person in people:
        image = read_rgb(sorted(person.glob("*.jpg"))[0])
        found = detector.detect(image)
        if not found:
            continue
        chips = np.stack([face_chip(degrade(image), found[0].landmarks, template) for degrade in DEGRADATIONS.values()])
        for name, vector in zip(DEGRADATIONS, descriptor.describe(chips)):
            norms[name].append(float(np.linalg.norm(vector)))
    for name, values in norms.items():
        print(f"{name:<8} norm {np.mean(values):.3f} +- {np.std(values):.3f}  ({len(values)} faces)")


if __name__ == "__main__":
    main()
