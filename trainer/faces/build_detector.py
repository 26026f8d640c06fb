"""Build the face detector: facenet-pytorch's MTCNN weights -> three ONNX graphs + manifest.

Each graph takes RGB pixels as float32 NCHW in [0, 255] and normalises them itself
((x - 127.5) / 128, facenet-pytorch's convention), so the app only resizes and transposes.
PNet is fully convolutional (dynamic batch, height and width); RNet and ONet take 24x24 and
48x48 crops with a dynamic batch. Outputs: ``reg`` (box regression), ``landmarks`` (ONet
only) and ``score`` (the face class probability). Each graph is checked against torch on
crops of a real photo before its manifest entry is written. The alignment template, which
needs the detector, is learned at the end.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np
import onnxruntime as ort
import torch

from trainer.config import resolve
from trainer.faces import build_alignment
from trainer.faces.mtcnn_nets import PIXEL_MEAN, PIXEL_SCALE, ForExport, load_net
from trainer.faces.mtcnn_weights import NET_NAMES, WeightsSource, download_wheel, load_state_dicts
from trainer.images import read_rgb
from trainer.manifest import update_manifest
from trainer.onnx_export import export_onnx

VERSION_PREFIX = "mtcnn-facenet-pytorch-"
PARITY_PHOTO = "faces-deepface/couple.jpg"
PARITY_TOLERANCE = 1e-4
CROP_SIZE = {"rnet": 24, "onet": 48}
OUTPUTS = {"pnet": ["reg", "score"], "rnet": ["reg", "score"], "onet": ["reg", "landmarks", "score"]}


def _example_input(net: str) -> torch.Tensor:
    """A tracing input of the right shape; the values do not matter for export."""
    side = CROP_SIZE.get(net, 48)
    return torch.full((2, 3, side, side), 127.0)


def _dynamic_shapes(net: str) -> dict[str, dict[int, torch.export.Dim]]:
    axes = {0: torch.export.Dim("batch", min=1)}
    if net == "pnet":
        axes[2] = torch.export.Dim("height", min=12)
        axes[3] = torch.export.Dim("width", min=12)
    return {"image": axes}


def export_net(module: torch.nn.Module, net: str, path: Path) -> None:
    """Export one wrapped net (see trainer.onnx_export for why the bytes are stable)."""
    export_onnx(module, _example_input(net), path, "image", OUTPUTS[net], _dynamic_shapes(net)["image"])


def parity_inputs(photo: np.ndarray, net: str, count: int = 32, seed: int = 0) -> np.ndarray:
    """Real pixels as the app feeds them: a downscaled photo for PNet, random square crops
    resized to 24/48 for RNet/ONet (float32 NCHW in [0, 255])."""
    if net == "pnet":
        small = cv2.resize(photo, None, fx=0.35, fy=0.37, interpolation=cv2.INTER_AREA)
        return small.transpose(2, 0, 1)[None].astype(np.float32)
    rng = np.random.default_rng(seed)
    height, width = photo.shape[:2]
    crops = []
    for _ in range(count):
        side = int(rng.integers(24, min(height, width) // 2))
        y, x = int(rng.integers(0, height - side)), int(rng.integers(0, width - side))
        crop = photo[y:y + side, x:x + side]
        crops.append(cv2.resize(crop, (CROP_SIZE[net],) * 2, interpolation=cv2.INTER_AREA))
    return np.stack(crops).transpose(0, 3, 1, 2).astype(np.float32)


def parity(module: torch.nn.Module, path: Path, inputs: np.ndarray) -> dict[str, float]:
    """Max absolute difference of every output, onnxruntime (CPU) vs torch."""
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = session.run(None, {"image": inputs})
    with torch.no_grad():
        want = module(torch.from_numpy(inputs))
    names = [o.name for o in session.get_outputs()]
    return {name: float(np.abs(g - w.numpy()).max()) for name, g, w in zip(names, got, want)}



def _inputs_spec(net: str) -> dict[str, Any]:
    side = CROP_SIZE.get(net)
    shape = ["batch", 3, side or "height", side or "width"]
    return {
        "image": {
            "shape": shape,
            "dtype": "float32",
            "layout": "NCHW",
            "colour": "RGB",
            "range": [0, 255],
            "normalisation": f"inside the graph: (x - {PIXEL_MEAN}) * {PIXEL_SCALE}",
        },
        "outputs": OUTPUTS[net],
    }


def _source(source: WeightsSource, net: str) -> dict[str, Any]:
    return {
        "package": source.package,
        "version": source.version,
        "file": source.member(net),
        "wheel": source.wheel.name,
        "url": f"https://pypi.org/project/{source.package}/{source.version}/",
    }


def build(config: dict[str, Any]) -> None:
    models_root = resolve(config, "out")
    source = download_wheel(resolve(config, "cache"), str(config["facenet_pytorch_version"]))
    state_dicts = load_state_dicts(source)
    photo = read_rgb(resolve(config, "shared_data") / PARITY_PHOTO)
    for net in NET_NAMES:
        module = ForExport(load_net(net, state_dicts[net])).eval()
        path = models_root / "face_detector" / f"{net}.onnx"
        export_net(module, net, path)
        diffs = parity(module, path, parity_inputs(photo, net))
        print(f"face_detector.{net}: max abs diff onnxruntime vs torch {diffs}")
        if max(diffs.values()) > PARITY_TOLERANCE:
            raise RuntimeError(f"{net}: ONNX output differs from torch: {diffs}")
        update_manifest(
            models_root,
            f"face_detector.{net}",
            path,
            version=VERSION_PREFIX + source.version,
            source=_source(source, net),
            licence="MIT",
            inputs=_inputs_spec(net),
            metrics={"parity_max_abs_diff": diffs, "parity_inputs": PARITY_PHOTO},
        )
    build_alignment.build(config)
