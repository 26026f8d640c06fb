"""Build the person detector and pose landmark ONNX graphs from MediaPipe's BlazePose files.

Each .tflite is read (``tflite_reader``), rebuilt in PyTorch (``tflite_torch``) behind a
small wrapper that takes RGB pixels as float32 NCHW in [0, 255] and normalises them the way
MediaPipe does (detector: [-1, 1]; landmarks: [0, 1]), then exported with the trainer's
canonical exporter (dynamic batch). Only the outputs the app reads are kept: the landmark
model's heatmap and person segmentation heads are dropped (the segmentation costs 60% more
time per crop: 14.8 vs 8.8 ms here; add ``"segmentation": "Identity_2"`` to ``LANDMARKS``
to get a 256x256 person mask per crop, e.g. for clothing colours without background).
Before a manifest entry is written, onnxruntime's output is checked against PyTorch on real
photo pixels.

Checked by hand when this was written (not part of the build, as it needs another runtime):
the PyTorch rebuild against Google's LiteRT interpreter (``ai-edge-litert`` 2.3.0) on the
same inputs differs by at most 5e-4 (detector regressions of up to 210) and 5e-3 (landmark
coordinates of up to 180 pixels): float rounding, not a different graph.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
import torch

from albumtag.vision import person_ops as ops
from trainer.bodies.mediapipe_models import LICENCE, ModelFile, extract
from trainer.bodies.tflite_reader import read_graph
from trainer.bodies.tflite_torch import TfliteModule
from trainer.config import resolve
from trainer.images import read_rgb
from trainer.manifest import update_manifest
from trainer.onnx_export import export_onnx

PARITY_PHOTO = "faces-deepface/couple.jpg"
PARITY_TOLERANCE = 2e-3  # relative to each output's largest magnitude


@dataclass(frozen=True)
class PoseGraph:
    """How one MediaPipe file becomes one of our models."""

    name: str  # manifest name
    relative: str  # path under mediapipe/modules
    folder: str  # under the models folder
    size: int  # square input side
    scale: float  # normalisation inside the graph: x * scale + shift
    shift: float
    outputs: dict[str, str]  # our output name -> tensor name in the .tflite

    @property
    def path_name(self) -> str:
        return Path(self.relative).with_suffix(".onnx").name


DETECTOR = PoseGraph("person_detector.blazepose", "pose_detection/pose_detection.tflite", "person_detector",
                     224, 1 / 127.5, -1.0, {"boxes": "Identity", "scores": "Identity_1"})
LANDMARKS = PoseGraph("pose.landmarks_full", "pose_landmark/pose_landmark_full.tflite", "pose",
                      256, 1 / 255, 0.0, {"landmarks": "Identity", "presence": "Identity_1"})
ANCHORS = {"input_size": 224, "strides": [8, 16, 32], "per_cell": [2, 2, 6]}  # MediaPipe's pose_detection_cpu


class Normalised(torch.nn.Module):
    """The rebuilt graph behind MediaPipe's input normalisation, so the app feeds raw pixels."""

    def __init__(self, graph: torch.nn.Module, scale: float, shift: float) -> None:
        super().__init__()
        self.body, self.scale, self.shift = graph, scale, shift

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, ...]:
        return self.body(image * self.scale + self.shift)


def rebuild(spec: PoseGraph, tflite_path: Path) -> Normalised:
    graph = TfliteModule(read_graph(tflite_path), list(spec.outputs.values()))
    return Normalised(graph, spec.scale, spec.shift).eval()


def export(module: torch.nn.Module, spec: PoseGraph, path: Path) -> None:
    # Batch 2 in the example: a batch of 1 would be specialised away by the exporter.
    example = torch.full((2, 3, spec.size, spec.size), 127.0)
    export_onnx(module, example, path, "image", list(spec.outputs), {0: torch.export.Dim("batch", min=1)})


def parity_inputs(photo: np.ndarray, size: int, count: int = 6, seed: int = 0) -> np.ndarray:
    """Real pixels as the app feeds them: random square crops of a photo, letterboxed."""
    rng = np.random.default_rng(seed)
    height, width = photo.shape[:2]
    crops = []
    for _ in range(count):
        side = int(rng.integers(size, min(height, width)))
        y, x = int(rng.integers(0, height - side + 1)), int(rng.integers(0, width - side + 1))
        crops.append(ops.letterbox(photo[y:y + side, x:x + side], size))
    return np.stack(crops).transpose(0, 3, 1, 2).astype(np.float32)


def parity(module: torch.nn.Module, path: Path, inputs: np.ndarray) -> dict[str, float]:
    """Largest difference of each output, onnxruntime (CPU) vs PyTorch, relative to the
    output's largest magnitude (regressions and logits reach hundreds)."""
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = session.run(None, {"image": inputs})
    with torch.no_grad():
        want = [w.numpy() for w in module(torch.from_numpy(inputs))]
    names = [o.name for o in session.get_outputs()]
    return {name: float(np.abs(g - w).max() / max(np.abs(w).max(), 1.0)) for name, g, w in zip(names, got, want)}



def _inputs_spec(spec: PoseGraph) -> dict[str, Any]:
    return {
        "image": {"shape": ["batch", 3, spec.size, spec.size], "dtype": "float32", "layout": "NCHW",
                  "colour": "RGB", "range": [0, 255],
                  "normalisation": f"inside the graph: x * {spec.scale:.8g} + {spec.shift:g}"},
        "outputs": list(spec.outputs),
    }


def build_graph(spec: PoseGraph, model_file: ModelFile, models_root: Path, photo: np.ndarray,
                **fields: Any) -> None:
    """Convert, export, check and register one graph."""
    module = rebuild(spec, model_file.path)
    path = models_root / spec.folder / spec.path_name
    export(module, spec, path)
    diffs = parity(module, path, parity_inputs(photo, spec.size))
    print(f"{spec.name}: relative max diff onnxruntime vs torch {diffs}")
    if max(diffs.values()) > PARITY_TOLERANCE:
        raise RuntimeError(f"{spec.name}: ONNX output differs from torch: {diffs}")
    update_manifest(
        models_root, spec.name, path,
        version=f"blazepose-{Path(spec.relative).stem}-mediapipe-{model_file.version}",
        source=model_file.source(), licence=LICENCE, inputs=_inputs_spec(spec),
        metrics={"parity_relative_max_diff": diffs, "parity_inputs": PARITY_PHOTO},
        **fields,
    )


def build(config: dict[str, Any]) -> None:
    """Both graphs and their manifest entries (``evaluate`` adds the detection metrics)."""
    cache, version = resolve(config, "cache"), str(config["mediapipe_version"])
    models_root = resolve(config, "out")
    photo = read_rgb(resolve(config, "shared_data") / PARITY_PHOTO)
    build_graph(DETECTOR, extract(cache, version, DETECTOR.relative), models_root, photo,
                anchors=ANCHORS, keypoints=list(ops.DETECTOR_KEYPOINTS))
    build_graph(LANDMARKS, extract(cache, version, LANDMARKS.relative), models_root, photo,
                landmarks=list(ops.POSE_LANDMARKS))
