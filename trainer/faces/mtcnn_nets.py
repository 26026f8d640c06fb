"""MTCNN's three networks (Zhang et al. 2016) in torch, shaped to load facenet-pytorch's weights.

Layer names and shapes follow facenet-pytorch 2.6.0 so that its ``pnet.pt``/``rnet.pt``/
``onet.pt`` state dicts load unchanged. The weights descend from the original Caffe models,
which were trained on transposed (column-major) images: that is why RNet and ONet flatten
their feature maps in (W, H, C) order before the dense layers. Only inference is needed here,
so the nets have no training code; ``ForExport`` wraps one of them into the graph we ship.
"""

from __future__ import annotations

import torch
from torch import nn

# facenet-pytorch feeds (pixel - 127.5) / 128 to every stage.
PIXEL_MEAN = 127.5
PIXEL_SCALE = 0.0078125


class SplitPReLU(nn.PReLU):
    """PReLU computed as ``(1 - a) * relu(x) + a * x``: the same function, exported as Relu,
    Mul and Add, which onnxruntime's CPU kernels fuse with the convolutions around them. Its
    own PRelu kernel took 29% of ONet's and 37% of RNet's time, plus layout reorders around
    each of them (its profiler, 1 thread); the split graph runs ONet 22% and RNet 21% faster,
    outputs within 7e-7 (``python -m trainer faces`` reports the parity). PNet keeps the plain
    PReLU: on its 10-32 channels the split graph ran a 400x1208 band 12-20% slower (faster
    only on levels under about 0.1 MP), and large photos' time is mostly PNet's."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a = self.weight.reshape(1, -1, *([1] * (x.dim() - 2)))
        return (1 - a) * torch.relu(x) + a * x


def _conv_prelu(c_in: int, c_out: int, kernel: int, prelu: type[nn.PReLU] = SplitPReLU) -> tuple[nn.Conv2d, nn.PReLU]:
    return nn.Conv2d(c_in, c_out, kernel_size=kernel), prelu(c_out)


def _flatten_transposed(x: torch.Tensor) -> torch.Tensor:
    """Flatten NCHW maps in (W, H, C) order, as the Caffe-trained dense layers expect."""
    return x.permute(0, 3, 2, 1).reshape(x.shape[0], -1)


class PNet(nn.Module):
    """Proposal net: fully convolutional, one 12x12 window per output cell (stride 2)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1, self.prelu1 = _conv_prelu(3, 10, 3, nn.PReLU)
        self.pool1 = nn.MaxPool2d(2, 2, ceil_mode=True)
        self.conv2, self.prelu2 = _conv_prelu(10, 16, 3, nn.PReLU)
        self.conv3, self.prelu3 = _conv_prelu(16, 32, 3, nn.PReLU)
        self.conv4_1 = nn.Conv2d(32, 2, kernel_size=1)
        self.conv4_2 = nn.Conv2d(32, 4, kernel_size=1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Normalised NCHW -> (box regression [N,4,h,w], class probabilities [N,2,h,w])."""
        x = self.pool1(self.prelu1(self.conv1(x)))
        x = self.prelu3(self.conv3(self.prelu2(self.conv2(x))))
        return self.conv4_2(x), torch.softmax(self.conv4_1(x), dim=1)


class RNet(nn.Module):
    """Refine net: scores and regresses 24x24 crops of PNet's candidates."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1, self.prelu1 = _conv_prelu(3, 28, 3)
        self.pool1 = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.conv2, self.prelu2 = _conv_prelu(28, 48, 3)
        self.pool2 = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.conv3, self.prelu3 = _conv_prelu(48, 64, 2)
        self.dense4 = nn.Linear(576, 128)
        self.prelu4 = SplitPReLU(128)
        self.dense5_1 = nn.Linear(128, 2)
        self.dense5_2 = nn.Linear(128, 4)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Normalised [N,3,24,24] -> (box regression [N,4], class probabilities [N,2])."""
        x = self.pool1(self.prelu1(self.conv1(x)))
        x = self.pool2(self.prelu2(self.conv2(x)))
        x = self.prelu3(self.conv3(x))
        x = self.prelu4(self.dense4(_flatten_transposed(x)))
        return self.dense5_2(x), torch.softmax(self.dense5_1(x), dim=1)


class ONet(nn.Module):
    """Output net: final score, box regression and five landmarks on 48x48 crops."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1, self.prelu1 = _conv_prelu(3, 32, 3)
        self.pool1 = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.conv2, self.prelu2 = _conv_prelu(32, 64, 3)
        self.pool2 = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.conv3, self.prelu3 = _conv_prelu(64, 64, 3)
        self.pool3 = nn.MaxPool2d(2, 2, ceil_mode=True)
        self.conv4, self.prelu4 = _conv_prelu(64, 128, 2)
        self.dense5 = nn.Linear(1152, 256)
        self.prelu5 = SplitPReLU(256)
        self.dense6_1 = nn.Linear(256, 2)
        self.dense6_2 = nn.Linear(256, 4)
        self.dense6_3 = nn.Linear(256, 10)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Normalised [N,3,48,48] -> (box regression [N,4], landmarks [N,10] as x1..x5 then
        y1..y5 relative to the crop, class probabilities [N,2])."""
        x = self.pool1(self.prelu1(self.conv1(x)))
        x = self.pool2(self.prelu2(self.conv2(x)))
        x = self.pool3(self.prelu3(self.conv3(x)))
        x = self.prelu4(self.conv4(x))
        x = self.prelu5(self.dense5(_flatten_transposed(x)))
        return self.dense6_2(x), self.dense6_3(x), torch.softmax(self.dense6_1(x), dim=1)


class ForExport(nn.Module):
    """The graph we ship: RGB pixels in [0, 255] in, normalisation inside, face score out.

    Normalising inside the graph keeps the app's pre-processing to a resize and a transpose,
    and returning only the face class probability (channel 1 of the softmax) saves the app a
    slice. Outputs: ``reg`` then ``landmarks`` (ONet only) then ``score``.
    """

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, ...]:
        *rest, probs = self.net((image - PIXEL_MEAN) * PIXEL_SCALE)
        return (*rest, probs[:, 1])


NETS: dict[str, type[nn.Module]] = {"pnet": PNet, "rnet": RNet, "onet": ONet}


def load_net(name: str, state_dict: dict[str, torch.Tensor]) -> nn.Module:
    """One of the three nets with facenet-pytorch's weights, in eval mode."""
    net = NETS[name]()
    net.load_state_dict(state_dict)
    return net.eval()
