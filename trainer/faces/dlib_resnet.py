"""dlib's ResNet face descriptor (``dlib_face_recognition_resnet_model_v1``) in PyTorch.

The architecture is ``anet_type`` of dlib's examples/dnn_face_recognition_ex.cpp: a 7x7/2
convolution, 3x3/2 max pooling, 14 residual blocks (32 -> 256 channels) and a 128-wide fully
connected layer without bias over the averaged 2x2 map. dlib's conventions that differ from
a textbook ResNet, all reproduced here because the descriptor must equal dlib's:

* A strided convolution or pooling has no padding (dlib's default is ``size // 2`` only
  for stride 1), so 150 px shrink to 72, 35, 17, 8, 4 and 2 (the last two after
  the zero-padding below).
* A down-sampling block's shortcut is a 2x2/2 average pool of its input, which can be both
  narrower (fewer channels) and larger (4x4 against the body's 3x3) than the body's output;
  dlib's ``add_prev`` then zero-pads each to the larger size at the end of every axis.
* The input layer feeds ``(pixel - mean[channel]) / 256`` with dlib's RGB means.
* Batch norms were frozen into ``affine`` layers; we fold each into the convolution it
  follows, which makes the graph smaller and faster and changes only float rounding.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from trainer.faces.dlib_dat import Affine, Conv, DlibNet, FullyConnected, Pool, read_net

CHIP_SIZE = 150
EMBEDDING_SIZE = 128
# (channels, downsamples) of each residual block from the input outwards: dlib's alevel4
# (three ares<32>), alevel3 (ares_down<64> and three ares<64>), alevel2, alevel1, alevel0.
BLOCKS: tuple[tuple[int, bool], ...] = (
    ((32, False),) * 3
    + ((64, True),) + ((64, False),) * 3
    + ((128, True),) + ((128, False),) * 2
    + ((256, True),) + ((256, False),) * 2
    + ((256, True),)
)
_BODY = ["affine", "con", "relu", "affine", "con"]


def dlib_layout() -> list[str]:
    """The network's layers from the loss inwards, named as dlib prints them; the reader
    needs them because tags, skips and ``add_prev`` store no type information."""
    layout = ["fc", "avg_pool"]
    for _, down in reversed(BLOCKS):
        if down:
            layout += ["relu", "add_prev2", "avg_pool", "skip1", "tag2", *_BODY, "tag1"]
        else:
            layout += ["relu", "add_prev1", *_BODY, "tag1"]
    return layout + ["max_pool", "relu", "affine", "con"]


def _add_padded(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """dlib's ``add_prev``: the sum over the larger shape, the smaller tensor zero-padded
    at the end of the channel, row and column axes."""
    size = [max(sa, sb) for sa, sb in zip(a.shape[1:], b.shape[1:], strict=True)]

    def grow(t: torch.Tensor) -> torch.Tensor:
        (c, h, w), (tc, th, tw) = size, t.shape[1:]
        return t if (c, h, w) == (tc, th, tw) else F.pad(t, (0, w - tw, 0, h - th, 0, c - tc))

    return grow(a) + grow(b)


class ResidualBlock(nn.Module):
    """dlib's ``ares`` / ``ares_down``: ``relu(conv2(relu(conv1(x))) + shortcut(x))``."""

    def __init__(self, conv1: nn.Conv2d, conv2: nn.Conv2d, downsample: bool) -> None:
        super().__init__()
        self.conv1, self.conv2, self.downsample = conv1, conv2, downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        body = self.conv2(F.relu(self.conv1(x)))
        shortcut = F.avg_pool2d(x, 2, 2) if self.downsample else x
        return F.relu(_add_padded(body, shortcut))


class DlibResNet(nn.Module):
    """Chips ``[N, 150, 150, 3]`` RGB float in 0..255 (NHWC, as numpy holds images) ->
    dlib's raw 128-d descriptor (not re-normalised, so dlib's 0.6 threshold holds)."""

    def __init__(self, stem: nn.Conv2d, blocks: list[ResidualBlock], fc: nn.Linear,
                 mean_rgb: tuple[float, float, float]) -> None:
        super().__init__()
        self.stem = stem
        self.blocks = nn.Sequential(*blocks)
        self.fc = fc
        self.register_buffer("mean", torch.tensor(mean_rgb, dtype=torch.float32).view(1, 3, 1, 1))

    def forward(self, chips: torch.Tensor) -> torch.Tensor:
        x = (chips.permute(0, 3, 1, 2) - self.mean) * (1.0 / 256.0)
        x = F.max_pool2d(F.relu(self.stem(x)), 3, 2)
        x = self.blocks(x)
        return self.fc(x.mean(dim=(2, 3)))


def _fold(conv: Conv, affine: Affine) -> nn.Conv2d:
    """One ``nn.Conv2d`` computing ``affine(con(x))``: scale the filters and bias by gamma,
    then add beta (in float64, cast once)."""
    gamma, beta = affine.gamma.astype(np.float64), affine.beta.astype(np.float64)
    filters = conv.filters.astype(np.float64) * gamma[:, None, None, None]
    bias = (conv.bias.astype(np.float64) if conv.bias is not None else 0.0) * gamma + beta
    out_ch, in_ch, rows, cols = conv.filters.shape
    layer = nn.Conv2d(in_ch, out_ch, (rows, cols), stride=conv.stride, padding=conv.padding)
    with torch.no_grad():
        layer.weight.copy_(torch.from_numpy(filters.astype(np.float32)))
        layer.bias.copy_(torch.from_numpy(bias.astype(np.float32)))
    return layer


def _folded_convs(net: DlibNet) -> list[nn.Conv2d]:
    """Every convolution with the affine that follows it, from the input outwards."""
    inward_out = net.layers[::-1]
    convs = []
    for index, layer in enumerate(inward_out):
        if isinstance(layer, Conv):
            affine = inward_out[index + 1]
            if not isinstance(affine, Affine):
                raise ValueError(f"con at dlib layer {len(inward_out) - index} is not followed by affine")
            convs.append(_fold(layer, affine))
    return convs


def _check_geometry(net: DlibNet, convs: list[nn.Conv2d]) -> None:
    """The file's strides, paddings and pool windows must be the ones forward() hard-codes."""
    expected = [((2, 2), (0, 0))] + [
        geometry for _, down in BLOCKS
        for geometry in ((((2, 2), (0, 0)) if down else ((1, 1), (1, 1))), ((1, 1), (1, 1)))
    ]
    found = [(tuple(c.stride), tuple(c.padding)) for c in convs]
    if found != expected:
        raise ValueError(f"unexpected convolution geometry: {found}")
    pools = [(p.kind, p.window, p.stride, p.padding) for p in net.layers[::-1] if isinstance(p, Pool)]
    downs = sum(down for _, down in BLOCKS)
    want = [("max", (3, 3), (2, 2), (0, 0))] + [("avg", (2, 2), (2, 2), (0, 0))] * downs
    if pools != want + [("avg", (0, 0), (1, 1), (0, 0))]:
        raise ValueError(f"unexpected pooling geometry: {pools}")
    if net.input.size != (CHIP_SIZE, CHIP_SIZE):
        raise ValueError(f"input size {net.input.size}, expected {CHIP_SIZE}")


def build_from_net(net: DlibNet) -> DlibResNet:
    """The torch module holding the parsed network's weights (affines folded into convs)."""
    convs = _folded_convs(net)
    _check_geometry(net, convs)
    blocks = [ResidualBlock(convs[1 + 2 * i], convs[2 + 2 * i], down) for i, (_, down) in enumerate(BLOCKS)]
    head = net.layers[0]
    if not isinstance(head, FullyConnected) or head.bias is not None or len(head.weights) != EMBEDDING_SIZE:
        raise ValueError(f"the last layer must be fc_no_bias<{EMBEDDING_SIZE}>")
    fc = nn.Linear(head.weights.shape[1], head.weights.shape[0], bias=False)
    with torch.no_grad():
        fc.weight.copy_(torch.from_numpy(head.weights))
    mean = tuple(float(m) for m in net.input.mean)
    return DlibResNet(convs[0], blocks, fc, mean).eval()


def load_dlib_resnet(path: Path) -> DlibResNet:
    """Read ``dlib_face_recognition_resnet_model_v1.dat`` into an eval-mode module."""
    return build_from_net(read_net(path, dlib_layout()))
