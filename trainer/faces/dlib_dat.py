"""Reader for dlib's binary serialisation of a DNN (what ``dlib::serialize(net)`` writes).

We read dlib's ``.dat`` files ourselves so the trainer can turn dlib's face descriptor into
an ONNX graph without compiling or calling dlib. The format (dlib/serialize.h,
dlib/dnn/core.h, layers.h, input.h, loss.h, cuda/tensor.h) in short:

* Integers of every width: one control byte (low nibble = number of bytes that follow,
  bit 0x80 = negative), then the magnitude in little-endian bytes. ``0`` is ``01 00``.
* Floats and doubles: a 64-bit mantissa and a 16-bit exponent, both as integers above;
  the value is ``mantissa * 2**exponent`` (exponents 32000..32002 mean inf, -inf, NaN).
* Strings: length (an integer) then the bytes. Booleans: the ASCII byte ``'0'`` or ``'1'``.
* ``resizable_tensor``: version 2, num_samples, k, nr, nc, then raw little-endian float32
  values in row-major order. ``alias_tensor`` (a view's shape only): version 1 and the four
  sizes.
* The network is nested templates (``loss<layer<layer<...<input>>>>``) and each wrapper
  writes its version, then its *sub-network*, then its own layer's details: so the file
  holds the loss, then one version integer per wrapper from the output inwards, then the
  input layer, then each layer's details from the input outwards. Every computational layer
  (``add_layer``) is followed by bookkeeping (three booleans and cached tensors, empty in a
  saved net). Tag and skip wrappers write only their version, and ``add_prev`` writes no
  tag number: those come from the C++ type, so the caller passes the network's layout.

Layer details start with a version string (``con_4``, ``affine_``, ``relu_``, ...), which we
check against the layout. Only the layer types dlib's ResNet face descriptor uses are read.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

_FLOAT_SPECIALS = {32000: math.inf, 32001: -math.inf, 32002: math.nan}
_CONV_MODE = 0  # dlib's layer_mode: CONV_MODE = 0, FC_MODE = 1
_TAGGED = re.compile(r"(tag|skip|add_prev)(\d+)$")


class DatFormatError(ValueError):
    """The bytes do not follow dlib's serialisation of the expected network."""


@dataclass(frozen=True)
class Conv:
    """``con_``: filters [out, in, rows, cols] (cross-correlation, as in torch) and bias."""

    filters: np.ndarray
    bias: np.ndarray | None
    stride: tuple[int, int]
    padding: tuple[int, int]


@dataclass(frozen=True)
class Affine:
    """``affine_`` in conv mode: ``y = gamma[k] * x + beta[k]`` (a frozen batch norm)."""

    gamma: np.ndarray
    beta: np.ndarray


@dataclass(frozen=True)
class Relu:
    """``relu_``."""


@dataclass(frozen=True)
class Pool:
    """``max_pool_`` / ``avg_pool_``; a window of 0 means the whole input (``*_everything``)."""

    kind: str
    window: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]


@dataclass(frozen=True)
class FullyConnected:
    """``fc_``: weights stored [inputs, outputs] in the file, kept here as [outputs, inputs]."""

    weights: np.ndarray
    bias: np.ndarray | None


@dataclass(frozen=True)
class Tag:
    """``tagN``: remembers its input for a later ``skipN`` or ``add_prevN``."""

    id: int


@dataclass(frozen=True)
class Skip:
    """``skipN``: continues from tag N's output instead of the layer below."""

    id: int


@dataclass(frozen=True)
class AddPrev:
    """``add_prevN``: adds tag N's output, zero-padding the smaller tensor in every axis."""

    id: int


@dataclass(frozen=True)
class InputRGB:
    """``input_rgb_image_sized``: pixels become ``(value - mean[channel]) / 256``, planar RGB."""

    mean: tuple[float, float, float]
    size: tuple[int, int]


@dataclass(frozen=True)
class LossMetric:
    """``loss_metric_``: training margin and the distance under which two faces match."""

    margin: float
    distance_threshold: float


Layer = Conv | Affine | Relu | Pool | FullyConnected | Tag | Skip | AddPrev


@dataclass(frozen=True)
class DlibNet:
    """A parsed network: ``layers[0]`` is dlib's ``layer<1>`` (just below the loss)."""

    loss: LossMetric
    layers: list[Layer]
    input: InputRGB


class _Stream:
    """Cursor over the file's bytes with dlib's primitive decoders."""

    def __init__(self, data: bytes) -> None:
        self._data = memoryview(data)
        self.pos = 0

    def take(self, size: int) -> memoryview:
        if self.pos + size > len(self._data):
            raise DatFormatError(f"file ends at byte {len(self._data)}, needed {size} more at {self.pos}")
        chunk = self._data[self.pos:self.pos + size]
        self.pos += size
        return chunk

    def integer(self) -> int:
        control = self.take(1)[0]
        size = control & 0x0F
        if size == 0 or size > 8 or control & 0x70:
            raise DatFormatError(f"bad integer control byte {control:#04x} at {self.pos - 1}")
        value = int.from_bytes(self.take(size), "little")
        return -value if control & 0x80 else value

    def real(self) -> float:
        mantissa, exponent = self.integer(), self.integer()
        if exponent in _FLOAT_SPECIALS:
            return _FLOAT_SPECIALS[exponent]
        return math.ldexp(mantissa, exponent)

    def string(self) -> str:
        return bytes(self.take(self.integer())).decode("latin-1")

    def boolean(self) -> bool:
        char = bytes(self.take(1))
        if char not in (b"0", b"1"):
            raise DatFormatError(f"bad boolean {char!r} at {self.pos - 1}")
        return char == b"1"

    def version(self, allowed: Sequence[int], what: str) -> int:
        value = self.integer()
        if value not in allowed:
            raise DatFormatError(f"{what} version {value} at {self.pos}; expected one of {allowed}")
        return value

    def tensor(self) -> np.ndarray:
        self.version((2,), "resizable_tensor")
        shape = tuple(self.integer() for _ in range(4))
        count = math.prod(shape)
        values = np.frombuffer(self.take(4 * count), dtype="<f4", count=count)
        return values.astype(np.float32).reshape(shape)

    def alias_shape(self) -> tuple[int, ...]:
        self.version((1,), "alias_tensor")
        return tuple(self.integer() for _ in range(4))


def _split_params(params: np.ndarray, *shapes: tuple[int, ...]) -> list[np.ndarray]:
    """Cut a layer's flat parameter tensor into the views its alias_tensors describe."""
    flat, parts, offset = params.reshape(-1), [], 0
    for shape in shapes:
        size = math.prod(shape)
        parts.append(flat[offset:offset + size].reshape(shape))
        offset += size
    return parts


def _read_con(s: _Stream, version: str) -> Conv:
    params = s.tensor()
    s.integer()  # num_filters, also in the filter shape
    s.integer(), s.integer()  # filter rows and columns, ditto
    stride = (s.integer(), s.integer())
    padding = (s.integer(), s.integer())
    filter_shape, bias_shape = s.alias_shape(), s.alias_shape()
    for _ in range(4):  # learning-rate and weight-decay multipliers
        s.real()
    use_bias = s.boolean() if version in ("con_5", "con_6") else True
    if version == "con_6" and s.boolean():  # use_relu: a relu fused in by dlib's fuse_layers
        raise DatFormatError("con_ layers with a fused relu are not supported")
    shapes = (filter_shape, bias_shape) if use_bias else (filter_shape,)
    filters, *bias = _split_params(params, *shapes)
    return Conv(filters, bias[0].reshape(-1) if bias else None, stride, padding)


def _read_affine(s: _Stream, version: str) -> Affine:
    params = s.tensor()
    gamma, beta = _split_params(params, s.alias_shape(), s.alias_shape())
    if s.integer() != _CONV_MODE:
        raise DatFormatError("affine_ layer is not in conv mode (per-channel gamma and beta)")
    if version == "affine_2" and s.boolean():
        raise DatFormatError("disabled affine_ layers are not supported")
    return Affine(gamma.reshape(-1), beta.reshape(-1))


def _read_relu(s: _Stream, version: str) -> Relu:
    if version == "relu_2" and s.boolean():
        raise DatFormatError("disabled relu_ layers are not supported")
    return Relu()


def _read_pool(kind: str) -> Callable[[_Stream, str], Pool]:
    def read(s: _Stream, version: str) -> Pool:
        window = (s.integer(), s.integer())
        stride = (s.integer(), s.integer())
        return Pool(kind, window, stride, (s.integer(), s.integer()))

    return read


def _read_fc(s: _Stream, version: str) -> FullyConnected:
    s.integer(), s.integer()  # num_outputs, num_inputs: also in the weights' shape
    params = s.tensor()
    weight_shape, bias_shape = s.alias_shape(), s.alias_shape()
    has_bias = s.integer() == 0  # fc_bias_mode: FC_HAS_BIAS = 0, FC_NO_BIAS = 1
    for _ in range(4):
        s.real()
    if version == "fc_3":
        has_bias = s.boolean() and has_bias
    shapes = (weight_shape, bias_shape) if has_bias else (weight_shape,)
    weights, *bias = _split_params(params, *shapes)
    inputs, outputs = weight_shape[:2]
    return FullyConnected(weights.reshape(inputs, outputs).T.copy(), bias[0].reshape(-1) if bias else None)


def _read_input(s: _Stream) -> InputRGB:
    version = s.string()
    if version != "input_rgb_image_sized":
        raise DatFormatError(f"input layer is {version!r}, expected input_rgb_image_sized")
    mean = (s.real(), s.real(), s.real())
    return InputRGB(mean, (s.integer(), s.integer()))


def _read_loss(s: _Stream) -> LossMetric:
    s.version((1,), "add_loss_layer")
    version = s.string()
    if version == "loss_metric_":
        return LossMetric(0.1, 0.75)  # the values older dlib hard-coded
    if version != "loss_metric_2":
        raise DatFormatError(f"loss layer is {version!r}, expected loss_metric_")
    return LossMetric(s.real(), s.real())


# layout name -> (accepted version strings, reader of what follows the version string)
_READERS: dict[str, tuple[tuple[str, ...], Callable[[_Stream, str], Layer] | None]] = {
    "con": (("con_4", "con_5", "con_6"), _read_con),
    "affine": (("affine_", "affine_2"), _read_affine),
    "relu": (("relu_", "relu_2"), _read_relu),
    "max_pool": (("max_pool_2",), _read_pool("max")),
    "avg_pool": (("avg_pool_2",), _read_pool("avg")),
    "fc": (("fc_2", "fc_3"), _read_fc),
    "add_prev": (("add_prev_",), None),  # nothing follows; the tag number is in the layout
}


def _split_name(name: str) -> tuple[str, int | None]:
    """``"add_prev2"`` -> ``("add_prev", 2)``; ``"con"`` -> ``("con", None)``."""
    tagged = _TAGGED.match(name)
    return (tagged[1], int(tagged[2])) if tagged else (name, None)


def _read_details(s: _Stream, kind: str, tag: int | None) -> Layer:
    versions, reader = _READERS[kind]
    version = s.string()
    if version not in versions:
        raise DatFormatError(f"found {version!r} before byte {s.pos} where the layout expects {kind}")
    return AddPrev(tag) if reader is None else reader(s, version)


def _skip_bookkeeping(s: _Stream, wrapper_version: int, innermost: bool) -> None:
    """What ``add_layer`` writes after its details: state flags and cached tensors."""
    for _ in range(3):  # setup called, gradient stale, output and gradient disabled
        s.boolean()
    s.tensor(), s.tensor()  # x_grad, cached_output
    if innermost:
        s.tensor()  # grad_final
        if wrapper_version >= 3:
            s.integer()  # sample expansion factor
    elif wrapper_version >= 2:
        s.tensor()  # params_grad


# Wrappers that write only their version: tags and skips.
_WRAPPERS: dict[str, Callable[[int], Layer]] = {"tag": Tag, "skip": Skip}


def parse_net(data: bytes, layout: Sequence[str]) -> DlibNet:
    """Parse a serialised ``loss<...<input>>`` network whose layers, from the loss inwards,
    are named by ``layout`` as dlib prints them (``fc``, ``avg_pool``, ``relu``,
    ``add_prev2``, ``skip1``, ``tag1``, ``affine``, ``con``, ``max_pool``); the innermost
    layer must be computational, as it wraps the input."""
    s = _Stream(data)
    loss = _read_loss(s)
    names = [_split_name(name) for name in layout]
    innermost = len(names) - 1
    wrapper_versions = []
    for depth, (kind, _) in enumerate(names):
        if kind in _WRAPPERS:
            wrapper_versions.append(s.version((1,), kind))
        else:
            allowed = (2, 3) if depth == innermost else (1, 2)
            wrapper_versions.append(s.version(allowed, f"add_layer<{kind}>"))
    net_input = _read_input(s)
    layers: list[Layer] = []
    for depth in reversed(range(len(names))):
        kind, tag = names[depth]
        if kind in _WRAPPERS:
            layers.append(_WRAPPERS[kind](tag))
            continue
        layers.append(_read_details(s, kind, tag))
        _skip_bookkeeping(s, wrapper_versions[depth], innermost=depth == innermost)
    if s.pos != len(data):
        raise DatFormatError(f"{len(data) - s.pos} bytes left after the network")
    return DlibNet(loss, layers[::-1], net_input)


def read_net(path: Path, layout: Sequence[str]) -> DlibNet:
    """Parse a ``.dat`` file written by ``dlib::serialize(net)`` (see :func:`parse_net`)."""
    return parse_net(Path(path).read_bytes(), layout)
