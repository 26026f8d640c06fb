"""Train the body descriptor, export ``body_descriptor/reid_v1.onnx``, check it and record it.

The exported graph (reid_net.ExportedDescriptor) is compared with torch on real training
crops (bodies-reid train; batch 1 and one batch) before anything is written to the manifest,
and the manifest's metrics are those of ``bench/reid.py`` on the two val sets, measured
through the app's own BodyDescriptor on the file just written.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
import torch

from trainer.config import resolve
from trainer.manifest import update_manifest
from trainer.onnx_export import export_onnx
from trainer.parts.reid_data import CUHK03_TRAIN, REID_TRAIN, folder_crops, load_crops
from trainer.parts.reid_net import (
    IMAGE_HEIGHT,
    IMAGE_WIDTH,
    ExportedDescriptor,
    ReidNet,
    parameter_count,
)
from trainer.parts.train_reid import effective_config, signature, train

NAME = "body_descriptor"
OUTPUT = Path("body_descriptor") / "reid_v1.onnx"
PARITY_CROPS = 48
TORCH_TOLERANCE = 1e-4  # max abs difference of unit-length embeddings
LICENCE = ("weights trained from scratch here, no pretrained weights; the training data bind "
           "them: CUHK03 is for non-commercial research only (respect the subjects' privacy), "
           "bodies-reid (aditi184/Person_Re-Identification) states no terms. Non-commercial research use.")
INPUTS = {
    "crops": {
        "shape": ["batch", IMAGE_HEIGHT, IMAGE_WIDTH, 3], "dtype": "float32", "layout": "NHWC",
        "colour": "RGB", "range": [0, 255],
        "resize": "any body crop, stretched to 64x128 (w x h) with Pillow bilinear",
        "normalisation": "inside the graph: ImageNet mean/std",
    },
    "outputs": {"embedding": "float32 [batch, D], L2-normalised mean of the crop's and its mirror's BN-neck features"},
}


def export(net: ReidNet, path: Path) -> ExportedDescriptor:
    module = ExportedDescriptor(net).eval()
    example = torch.full((2, IMAGE_HEIGHT, IMAGE_WIDTH, 3), 128.0)
    export_onnx(module, example, path, "crops", ["embedding"], {0: torch.export.Dim("batch", min=1)})
    return module


def parity(module: ExportedDescriptor, path: Path, crops: np.ndarray) -> float:
    """Max abs difference, onnxruntime vs torch, run one crop at a time and all at once."""
    floats = crops.astype(np.float32)
    with torch.no_grad():
        want = module(torch.from_numpy(floats)).numpy()
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    single = np.concatenate([session.run(None, {"crops": floats[i:i + 1]})[0] for i in range(len(floats))])
    batched = session.run(None, {"crops": floats})[0]
    return float(max(np.abs(single - want).max(), np.abs(batched - want).max()))


def parity_crops(shared_data: Path) -> np.ndarray:
    return load_crops(folder_crops(shared_data / REID_TRAIN)[:PARITY_CROPS])


def benchmark(models_root: Path, shared_data: Path) -> dict[str, Any]:
    """bench/reid.py's numbers for the file just written (app side only)."""
    from bench.reid import run_all

    return run_all(shared_data, models_root)


def build(config: dict[str, Any], evaluate: bool | None = None) -> dict[str, Any]:
    """Train (resuming any checkpoint), export, check parity, benchmark (unless ``evaluate``
    or the config's ``evaluate`` is false), write the manifest. Returns the manifest entry;
    ``{}`` on torchrun's ranks > 0."""
    config = effective_config(config)
    if evaluate is None:
        evaluate = bool(config.get("evaluate", True))
    models_root, shared_data = resolve(config, "out"), resolve(config, "shared_data")
    result = train(config)
    if not result.main:  # torchrun's ranks > 0: rank 0 exports, checks and records
        return {}
    path = models_root / OUTPUT
    module = export(result.net, path)
    difference = parity(module, path, parity_crops(shared_data))
    print(f"{NAME}: onnx vs torch max abs diff {difference:.3g}", flush=True)
    if difference > TORCH_TOLERANCE:
        raise RuntimeError(f"{NAME}: ONNX output differs from torch by {difference}")
    metrics: dict[str, Any] = {"onnx_vs_torch_max_abs_diff": difference,
                               "parity_inputs": f"{REID_TRAIN} (first {PARITY_CROPS})"}
    fields = {
        "version": f"reid-v1-{signature(config)}",
        "source": {"trained_by": "python -m trainer parts (trainer/configs/parts.yaml)",
                   "architecture": f"narrow ResNet {list(config['widths'])} x{config['blocks']} blocks, "
                                   f"BN-neck, {parameter_count(result.net)} parameters",
                   "data": [f"{CUHK03_TRAIN} (743 people)", f"{REID_TRAIN} (62 people)"],
                   "never_trained_on": ["bodies-cuhk03/val", "bodies-reid/data/val"],
                   "seed": config["seed"], "training": result.info},
        "licence": LICENCE,
        "inputs": INPUTS,
        "metrics": metrics,
    }
    entry = update_manifest(models_root, NAME, path, **fields)
    if evaluate:  # the bench reads the model through the manifest, so it runs after the first write
        metrics["val"] = benchmark(models_root, shared_data)
        print(f"{NAME}: {json.dumps(metrics['val'])}", flush=True)
        entry = update_manifest(models_root, NAME, path, **fields)
    return entry
