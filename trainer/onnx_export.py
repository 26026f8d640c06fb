"""Exporting torch modules to ONNX so that a rebuild gives the same bytes anywhere.

The exporter records stack traces (absolute paths, line numbers) in per-node metadata and
orders initializers and value_info by Python's string hashing; both are stripped or sorted
here, so the file depends only on the weights and the pinned torch/onnx versions, and the
manifest's sha256 is reproducible from a fresh clone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import onnx
import torch

OPSET = 18  # the exporter's lowest; converting down to 17 fails on Pad


def canonical(model: onnx.ModelProto) -> onnx.ModelProto:
    graph = model.graph
    for item in (*graph.node, *graph.input, *graph.output, *graph.value_info, *graph.initializer):
        del item.metadata_props[:]
        item.doc_string = ""
    for items in (graph.initializer, graph.value_info):
        ordered = sorted(items, key=lambda item: item.name)
        del items[:]
        items.extend(ordered)
    return model


def export_onnx(module: torch.nn.Module, example: torch.Tensor, path: Path, input_name: str,
                output_names: list[str], dynamic_axes: dict[int, Any]) -> None:
    """Export one module with one input, checked and canonicalised, to ``path``."""
    export_onnx_inputs(module, {input_name: example}, path, output_names, {input_name: dynamic_axes})


def export_onnx_inputs(module: torch.nn.Module, examples: dict[str, torch.Tensor], path: Path,
                       output_names: list[str], dynamic_shapes: dict[str, dict[int, Any] | None]) -> None:
    """Export a module whose forward takes the named ``examples`` (in that order, named as its
    arguments), checked and canonicalised, to ``path``."""
    program = torch.onnx.export(
        module,
        tuple(examples.values()),
        input_names=list(examples),
        output_names=output_names,
        dynamic_shapes=dynamic_shapes,
        opset_version=OPSET,
        dynamo=True,
        optimize=True,
        verbose=False,
    )
    model = canonical(program.model_proto)
    onnx.checker.check_model(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save_model(model, str(path))
