"""The face head as ONNX with K_r as an input, so an app can personalise it to its own library.

The model takes the face descriptor's last maps z_x and the commonality kernel K_r and returns
the personalised feature and the face's own kernels K_x. K_r is solved from unlabelled faces
(``model.solve_commonality``): an app keeps, per channel, the running sums K K^T and K 1 over
the kernels of its library's faces and re-solves K_r from them, no labels needed, as the paper
does with a matched reference set. Exported after evaluation with a parity check against
PyTorch on real held-out maps, for the experiment's record: the head is not shipped while it
loses to the plain descriptor (trainer/README.md).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch
from torch import nn

from trainer.face_head.model import FaceHead
from trainer.onnx_export import export_onnx_inputs

PARITY_BOUND = 1e-4  # max abs difference allowed between onnxruntime and torch


class PersonalisedFeatures(nn.Module):
    """(maps [B, C, H, W], common [C, k*k]) -> (feature [B, C], kernels [B, C, k*k])."""

    def __init__(self, head: FaceHead) -> None:
        super().__init__()
        self.head = head

    def forward(self, maps: torch.Tensor, common: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.head.features(maps, common)


def export_head(head: FaceHead, maps: np.ndarray, common: torch.Tensor, path: Path) -> dict[str, float | int]:
    """Write the ONNX file and compare onnxruntime with torch on ``maps`` (real faces'):
    {"onnx_vs_torch_max_abs_diff", "faces"}; raises when over PARITY_BOUND."""
    module = PersonalisedFeatures(head).eval()
    batch = torch.from_numpy(np.ascontiguousarray(maps, dtype=np.float32))
    common = common.detach().float()
    export_onnx_inputs(module, {"maps": batch, "common": common}, path, ["feature", "kernels"],
                       {"maps": {0: torch.export.Dim("batch", min=1)}, "common": None})
    with torch.no_grad():
        expected = [t.numpy() for t in module(batch, common)]
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = session.run(None, {"maps": batch.numpy(), "common": common.numpy()})
    diff = max(float(np.max(np.abs(a - b))) for a, b in zip(got, expected))
    if diff > PARITY_BOUND:
        raise RuntimeError(f"face head ONNX differs from torch by {diff:.2e} (bound {PARITY_BOUND:.0e})")
    return {"onnx_vs_torch_max_abs_diff": diff, "faces": len(batch)}
