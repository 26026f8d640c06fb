"""Rebuild a TFLite graph (``tflite_reader.Graph``) as a PyTorch module, for ONNX export.

Each TFLite operator becomes a small module holding its own weights in PyTorch's layout;
``TfliteModule`` runs them in the file's order. TFLite is NHWC, PyTorch convolutions NCHW:
every 4-D tensor is kept NCHW inside the module, and the few operators whose meaning depends
on the layout (PAD, CONCATENATION, DEPTH_TO_SPACE, RESHAPE) translate their axes. TFLite's
SAME padding puts the odd pixel at the bottom/right; it is computed from the file's static
spatial shapes and applied explicitly, so the result matches TFLite, not PyTorch's symmetric
padding. The batch dimension stays free.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from trainer.bodies.tflite_reader import Graph, Operator

NHWC_TO_NCHW_AXIS = {0: 0, 1: 2, 2: 3, 3: 1}


def activate(x: torch.Tensor, activation: str) -> torch.Tensor:
    if activation == "relu":
        return F.relu(x)
    if activation == "relu6":
        return F.relu6(x)
    return x


def same_padding(size: int, kernel: int, stride: int, dilation: int) -> tuple[int, int]:
    """TensorFlow's SAME padding of one spatial axis: (before, after), the odd pixel after."""
    effective = (kernel - 1) * dilation + 1
    total = max((math.ceil(size / stride) - 1) * stride + effective - size, 0)
    return total // 2, total - total // 2


def _spatial_padding(op: Operator, in_shape: tuple[int, ...], kernel: tuple[int, int]) -> tuple[int, ...]:
    """F.pad's (left, right, top, bottom) for a convolution or pool on an NHWC input shape."""
    if op.options["padding"] == "valid":
        return (0, 0, 0, 0)
    dilation = op.options.get("dilation", (1, 1))
    top, bottom = same_padding(in_shape[1], kernel[0], op.options["stride"][0], dilation[0])
    left, right = same_padding(in_shape[2], kernel[1], op.options["stride"][1], dilation[1])
    return (left, right, top, bottom)


class Conv(nn.Module):
    """CONV_2D (weights OHWI) and DEPTHWISE_CONV_2D (weights 1HW(C*M)) with fused activation."""

    def __init__(self, op: Operator, weight: np.ndarray, bias: np.ndarray | None,
                 in_shape: tuple[int, ...]) -> None:
        super().__init__()
        depthwise = op.kind == "DEPTHWISE_CONV_2D"
        layout = (3, 0, 1, 2) if depthwise else (0, 3, 1, 2)
        self.weight = nn.Parameter(torch.from_numpy(np.ascontiguousarray(weight.transpose(layout))))
        self.bias = None if bias is None else nn.Parameter(torch.from_numpy(bias.copy()))
        self.groups = in_shape[3] if depthwise else 1
        self.stride = op.options["stride"]
        self.dilation = op.options["dilation"]
        self.padding = _spatial_padding(op, in_shape, tuple(self.weight.shape[2:]))
        self.activation = op.options["activation"]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.pad(x, self.padding) if any(self.padding) else x
        x = F.conv2d(x, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)
        return activate(x, self.activation)


class MaxPool(nn.Module):
    def __init__(self, op: Operator, in_shape: tuple[int, ...]) -> None:
        super().__init__()
        self.window, self.stride = op.options["window"], op.options["stride"]
        self.padding = _spatial_padding(op, in_shape, self.window)
        self.activation = op.options["activation"]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.pad(x, self.padding, value=-math.inf) if any(self.padding) else x
        return activate(F.max_pool2d(x, self.window, self.stride), self.activation)


class Pad(nn.Module):
    """PAD with zeros; the paddings are an NHWC [4, 2] constant (channels may be padded too)."""

    def __init__(self, paddings: np.ndarray) -> None:
        super().__init__()
        (_, _), (top, bottom), (left, right), (front, back) = paddings.astype(int).tolist()
        if paddings[0].any():
            raise NotImplementedError("padding the batch axis")
        self.padding = (left, right, top, bottom, front, back)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.pad(x, self.padding)


class Add(nn.Module):
    def __init__(self, op: Operator) -> None:
        super().__init__()
        self.activation = op.options["activation"]

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return activate(x + y, self.activation)


class Concatenate(nn.Module):
    def __init__(self, op: Operator, rank: int) -> None:
        super().__init__()
        axis = op.options["axis"] % rank
        self.axis = NHWC_TO_NCHW_AXIS[axis] if rank == 4 else axis
        self.activation = op.options["activation"]

    def forward(self, *xs: torch.Tensor) -> torch.Tensor:
        return activate(torch.cat(xs, dim=self.axis), self.activation)


class DepthToSpace(nn.Module):
    """TensorFlow's DEPTH_TO_SPACE (DCR order: channel (i * block + j) * C + c), on NCHW."""

    def __init__(self, op: Operator) -> None:
        super().__init__()
        self.block = op.options["block"]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        b = self.block
        x = x.reshape(n, b, b, c // (b * b), h, w).permute(0, 3, 4, 1, 5, 2)
        return x.reshape(n, c // (b * b), h * b, w * b)


class ResizeBilinear(nn.Module):
    def __init__(self, op: Operator, size: np.ndarray) -> None:
        super().__init__()
        if not op.options["align_corners"] and not op.options["half_pixel_centers"]:
            raise NotImplementedError("TensorFlow's legacy (asymmetric) bilinear resize")
        self.size = tuple(int(v) for v in size)
        self.align_corners = op.options["align_corners"]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.interpolate(x, size=self.size, mode="bilinear", align_corners=self.align_corners)


class Reshape(nn.Module):
    """RESHAPE as TFLite means it: on the NHWC order of the elements; the batch stays free."""

    def __init__(self, in_rank: int, out_shape: tuple[int, ...]) -> None:
        super().__init__()
        self.from_nchw = in_rank == 4
        self.to_nchw = len(out_shape) == 4
        self.out_shape = out_shape[1:]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.from_nchw:
            x = x.permute(0, 2, 3, 1)
        x = x.reshape(x.shape[0], *self.out_shape)
        return x.permute(0, 3, 1, 2) if self.to_nchw else x


class Logistic(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(x)


def build_layer(op: Operator, graph: Graph) -> tuple[nn.Module, tuple[int, ...]]:
    """The module for one operator and the run-time (non-constant) inputs it takes."""
    shape = graph.tensors[op.inputs[0]].shape
    constant = graph.constants.get
    if op.kind in ("CONV_2D", "DEPTHWISE_CONV_2D"):
        bias = constant(op.inputs[2]) if len(op.inputs) > 2 and op.inputs[2] >= 0 else None
        return Conv(op, constant(op.inputs[1]), bias, shape), op.inputs[:1]
    if op.kind == "MAX_POOL_2D":
        return MaxPool(op, shape), op.inputs[:1]
    if op.kind == "PAD":
        return Pad(constant(op.inputs[1])), op.inputs[:1]
    if op.kind == "ADD":
        if any(i in graph.constants for i in op.inputs):
            raise NotImplementedError("ADD with a constant operand")
        return Add(op), op.inputs
    if op.kind == "CONCATENATION":
        return Concatenate(op, len(shape)), op.inputs
    if op.kind == "DEPTH_TO_SPACE":
        return DepthToSpace(op), op.inputs[:1]
    if op.kind == "RESIZE_BILINEAR":
        return ResizeBilinear(op, constant(op.inputs[1])), op.inputs[:1]
    if op.kind == "RESHAPE":
        return Reshape(len(shape), graph.tensors[op.outputs[0]].shape), op.inputs[:1]
    if op.kind == "LOGISTIC":
        return Logistic(), op.inputs
    raise NotImplementedError(f"TFLite operator {op.kind} has no PyTorch counterpart here")


class TfliteModule(nn.Module):
    """The graph's compute operators in file order; input NCHW float32 as the file expects it
    (already normalised), outputs the named tensors (4-D ones NCHW)."""

    def __init__(self, graph: Graph, outputs: list[str]) -> None:
        super().__init__()
        if len(graph.inputs) != 1:
            raise NotImplementedError("graphs with one input only")
        self.input_index = graph.inputs[0]
        self.output_indices = [graph.index(name) for name in outputs]
        needed = self._needed_operators(graph)
        layers, self.plan = [], []
        for op in needed:
            layer, inputs = build_layer(op, graph)
            layers.append(layer)
            self.plan.append((inputs, op.outputs[0]))
        self.layers = nn.ModuleList(layers)

    def _needed_operators(self, graph: Graph) -> list[Operator]:
        """Only the operators the chosen outputs depend on (an unused head costs nothing)."""
        wanted = set(self.output_indices)
        needed = []
        for op in reversed(graph.operators):
            if op.outputs[0] in wanted:
                needed.append(op)
                wanted.update(op.inputs)
        return needed[::-1]

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        values = {self.input_index: x}
        for layer, (inputs, output) in zip(self.layers, self.plan):
            values[output] = layer(*(values[i] for i in inputs))
        return tuple(values[i] for i in self.output_indices)
