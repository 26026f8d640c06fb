"""Read a TFLite flatbuffer into plain Python: tensors, constant arrays and the operator list.

MediaPipe's pose models ship as .tflite files with float16 weights, some of them stored
sparse (DENSIFY), which no converter we tried handles (tflite2onnx 0.4.1 stops on DENSIFY
and on the float16 weights of the landmark model). So we read the flatbuffer ourselves with
the generated classes of the ``tflite`` package and fold every operator whose inputs are all
constant (DEQUANTIZE, DENSIFY) into numpy arrays here; what is left are the compute
operators that ``tflite_torch`` rebuilds in PyTorch. Only the operators and options those
models use are read; anything else raises, so a new model version cannot be half-converted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import tflite

OPERATOR_NAMES = {code: name for name, code in vars(tflite.BuiltinOperator).items() if not name.startswith("_")}
NUMPY_TYPES = {
    tflite.TensorType.FLOAT32: np.float32,
    tflite.TensorType.FLOAT16: np.float16,
    tflite.TensorType.INT32: np.int32,
    tflite.TensorType.INT64: np.int64,
    tflite.TensorType.UINT8: np.uint8,
    tflite.TensorType.INT8: np.int8,
}
ACTIVATIONS = {
    tflite.ActivationFunctionType.NONE: "none",
    tflite.ActivationFunctionType.RELU: "relu",
    tflite.ActivationFunctionType.RELU6: "relu6",
}
PADDINGS = {tflite.Padding.SAME: "same", tflite.Padding.VALID: "valid"}
INDEX_VECTORS = {
    tflite.SparseIndexVector.Int32Vector: tflite.Int32Vector,
    tflite.SparseIndexVector.Uint16Vector: tflite.Uint16Vector,
    tflite.SparseIndexVector.Uint8Vector: tflite.Uint8Vector,
}


@dataclass(frozen=True)
class TensorInfo:
    name: str
    shape: tuple[int, ...]


@dataclass(frozen=True)
class Operator:
    """One compute operator: its kind (``CONV_2D``...), tensor indices and decoded options."""

    kind: str
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Graph:
    """A subgraph with its constant operators folded: ``constants`` holds every tensor whose
    value is known before the graph runs (weights, shapes, paddings), as float32/int arrays."""

    tensors: list[TensorInfo]
    constants: dict[int, np.ndarray]
    operators: list[Operator]
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]

    def index(self, name: str) -> int:
        """The tensor index of a tensor name (inputs and outputs are named in the file)."""
        for position, tensor in enumerate(self.tensors):
            if tensor.name == name:
                return position
        raise KeyError(f"no tensor named {name!r}")


def _table(options: Any, cls: type) -> Any:
    table = cls()
    table.Init(options.Bytes, options.Pos)
    return table


def _conv(options: Any) -> dict[str, Any]:
    o = _table(options, tflite.Conv2DOptions)
    return {"padding": PADDINGS[o.Padding()], "stride": (o.StrideH(), o.StrideW()),
            "dilation": (o.DilationHFactor(), o.DilationWFactor()),
            "activation": ACTIVATIONS[o.FusedActivationFunction()]}


def _depthwise(options: Any) -> dict[str, Any]:
    o = _table(options, tflite.DepthwiseConv2DOptions)
    return {"padding": PADDINGS[o.Padding()], "stride": (o.StrideH(), o.StrideW()),
            "dilation": (o.DilationHFactor(), o.DilationWFactor()),
            "activation": ACTIVATIONS[o.FusedActivationFunction()]}


def _add(options: Any) -> dict[str, Any]:
    return {"activation": ACTIVATIONS[_table(options, tflite.AddOptions).FusedActivationFunction()]}


def _concatenation(options: Any) -> dict[str, Any]:
    o = _table(options, tflite.ConcatenationOptions)
    return {"axis": o.Axis(), "activation": ACTIVATIONS[o.FusedActivationFunction()]}


def _depth_to_space(options: Any) -> dict[str, Any]:
    return {"block": _table(options, tflite.DepthToSpaceOptions).BlockSize()}


def _resize_bilinear(options: Any) -> dict[str, Any]:
    o = _table(options, tflite.ResizeBilinearOptions)
    return {"align_corners": bool(o.AlignCorners()), "half_pixel_centers": bool(o.HalfPixelCenters())}


def _pool(options: Any) -> dict[str, Any]:
    o = _table(options, tflite.Pool2DOptions)
    return {"padding": PADDINGS[o.Padding()], "stride": (o.StrideH(), o.StrideW()),
            "window": (o.FilterHeight(), o.FilterWidth()),
            "activation": ACTIVATIONS[o.FusedActivationFunction()]}


def _no_options(options: Any) -> dict[str, Any]:
    return {}


OPTION_READERS: dict[str, Callable[[Any], dict[str, Any]]] = {
    "CONV_2D": _conv,
    "DEPTHWISE_CONV_2D": _depthwise,
    "ADD": _add,
    "CONCATENATION": _concatenation,
    "DEPTH_TO_SPACE": _depth_to_space,
    "RESIZE_BILINEAR": _resize_bilinear,
    "MAX_POOL_2D": _pool,
    "PAD": _no_options,
    "RESHAPE": _no_options,
    "LOGISTIC": _no_options,
    "DEQUANTIZE": _no_options,
    "DENSIFY": _no_options,
}


def sparse_to_dense(values: np.ndarray, shape: tuple[int, ...], traversal_order: list[int],
                    levels: list[tuple[str, int, np.ndarray, np.ndarray]]) -> np.ndarray:
    """TFLite's sparse tensor format (``FormatConverter::SparseToDense``) without block maps.

    ``levels`` follow ``traversal_order``; each is ``("dense", size, -, -)`` or
    ``("csr", -, segments, indices)``. The stored values are visited in order, so each level
    only maps the positions of its parent level to its own positions and coordinates.
    """
    positions = np.zeros(1, dtype=np.int64)
    coordinates = np.zeros((1, 0), dtype=np.int64)
    for kind, size, segments, indices in levels:
        if kind == "dense":
            parents = np.repeat(np.arange(len(positions)), size)
            own = np.tile(np.arange(size), len(positions))
            positions = positions[parents] * size + own
        else:
            starts, ends = segments[positions], segments[positions + 1]
            parents = np.repeat(np.arange(len(positions)), ends - starts)
            positions = np.concatenate([np.arange(s, e) for s, e in zip(starts, ends)]).astype(np.int64)
            own = indices[positions]
        coordinates = np.concatenate([coordinates[parents], own[:, None]], axis=1)
    dense = np.zeros(shape, dtype=values.dtype)
    dense[tuple(coordinates[:, np.argsort(traversal_order)].T)] = values[positions]
    return dense


def _index_vector(kind: int, table: Any) -> np.ndarray:
    vector = INDEX_VECTORS[kind]()
    vector.Init(table.Bytes, table.Pos)
    return vector.ValuesAsNumpy().astype(np.int64)


def _densify(tensor: Any, values: np.ndarray) -> np.ndarray:
    sparsity = tensor.Sparsity()
    if sparsity.BlockMapLength():
        raise NotImplementedError("block-sparse TFLite tensors are not supported")
    levels = []
    for k in range(sparsity.DimMetadataLength()):
        meta = sparsity.DimMetadata(k)
        if meta.Format() == tflite.DimensionType.DENSE:
            levels.append(("dense", meta.DenseSize(), None, None))
        else:
            levels.append(("csr", 0, _index_vector(meta.ArraySegmentsType(), meta.ArraySegments()),
                           _index_vector(meta.ArrayIndicesType(), meta.ArrayIndices())))
    shape = tuple(int(v) for v in tensor.ShapeAsNumpy())
    return sparse_to_dense(values, shape, list(sparsity.TraversalOrderAsNumpy()), levels)


def _buffer(model: Any, tensor: Any) -> np.ndarray | None:
    """The tensor's constant data (raw, as stored) or None for a tensor computed at run time."""
    data = model.Buffers(tensor.Buffer()).DataAsNumpy()
    if isinstance(data, int) or data.size == 0:
        return None
    array = np.frombuffer(data.tobytes(), dtype=NUMPY_TYPES[tensor.Type()])
    if tensor.Sparsity() is not None:
        return array
    return array.reshape(tuple(int(v) for v in tensor.ShapeAsNumpy()))


def _operator_kind(model: Any, operator: Any) -> str:
    code = model.OperatorCodes(operator.OpcodeIndex())
    kind = OPERATOR_NAMES[max(code.BuiltinCode(), code.DeprecatedBuiltinCode())]
    if kind not in OPTION_READERS:
        raise NotImplementedError(f"TFLite operator {kind} is not supported")
    return kind


def _fold(kind: str, graph: Any, operator: Operator, constants: dict[int, np.ndarray]) -> np.ndarray:
    """Evaluate an operator whose inputs are all constant."""
    source = constants[operator.inputs[0]]
    if kind == "DEQUANTIZE":
        return source.astype(np.float32)
    if kind == "DENSIFY":
        return _densify(graph.Tensors(operator.inputs[0]), source)
    raise NotImplementedError(f"cannot fold constant {kind}")


def read_graph(path: Path) -> Graph:
    """The first subgraph of a .tflite file, constant operators folded."""
    model = tflite.Model.GetRootAsModel(path.read_bytes(), 0)
    if model.SubgraphsLength() != 1:
        raise NotImplementedError(f"{path.name}: expected one subgraph, found {model.SubgraphsLength()}")
    graph = model.Subgraphs(0)
    tensors, constants = [], {}
    for k in range(graph.TensorsLength()):
        tensor = graph.Tensors(k)
        tensors.append(TensorInfo(tensor.Name().decode(), tuple(int(v) for v in tensor.ShapeAsNumpy())))
        data = _buffer(model, tensor)
        if data is not None:
            constants[k] = data
    operators = []
    for k in range(graph.OperatorsLength()):
        raw = graph.Operators(k)
        kind = _operator_kind(model, raw)
        options = OPTION_READERS[kind](raw.BuiltinOptions()) if raw.BuiltinOptions() else {}
        operator = Operator(kind, tuple(int(v) for v in raw.InputsAsNumpy()),
                            tuple(int(v) for v in raw.OutputsAsNumpy()), options)
        if all(i in constants for i in operator.inputs):
            constants[operator.outputs[0]] = _fold(kind, graph, operator, constants)
        else:
            operators.append(operator)
    return Graph(tensors, constants, operators,
                 tuple(int(v) for v in graph.InputsAsNumpy()), tuple(int(v) for v in graph.OutputsAsNumpy()))
