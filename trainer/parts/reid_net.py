"""A narrow ResNet for person re-identification, small enough to train from scratch on CPU.

Four stride-2 steps take 128x64 crops to an 8x4 map (each stage a pair of basic blocks, as in
ResNet-18, but 32-192 channels: ~1.6 M parameters, ~0.12 GMAC per crop). After global
average pooling a linear layer gives the embedding and a BN-neck (Luo et al., "Bag of Tricks
for person re-ID") separates the two losses: the batch-hard triplet loss sees the features
before the BatchNorm, the identity classifier those after it, and retrieval uses the latter.
"""

from __future__ import annotations

from itertools import pairwise

import torch
from torch import nn
from torch.nn import functional as F

IMAGE_HEIGHT, IMAGE_WIDTH = 128, 64
# ImageNet statistics: a convention, the network learns whatever scale it gets.
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)


def conv_bn(cin: int, cout: int, stride: int = 1, kernel: int = 3) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, kernel, stride, kernel // 2, bias=False), nn.BatchNorm2d(cout))


class BasicBlock(nn.Module):
    """ResNet's two 3x3 convolutions with a shortcut (1x1 projection when the shape changes)."""

    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.body = nn.Sequential(conv_bn(cin, cout, stride), nn.ReLU(inplace=True), conv_bn(cout, cout))
        self.shortcut = nn.Identity() if cin == cout and stride == 1 else conv_bn(cin, cout, stride, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.body(x) + self.shortcut(x))


class ReidNet(nn.Module):
    """Normalised NCHW crops -> (features before the BN-neck, features after it)."""

    def __init__(self, widths: tuple[int, ...] = (32, 48, 96, 192), embedding: int = 256,
                 blocks: int = 2) -> None:
        super().__init__()
        layers: list[nn.Module] = [conv_bn(3, widths[0], 2), nn.ReLU(inplace=True)]
        for cin, cout in pairwise(widths):
            layers.append(BasicBlock(cin, cout, 2))
            layers.extend(BasicBlock(cout, cout, 1) for _ in range(blocks - 1))
        self.backbone = nn.Sequential(*layers)
        self.project = nn.Linear(widths[-1], embedding)
        self.neck = nn.BatchNorm1d(embedding)
        self.neck.bias.requires_grad_(False)  # BNNeck: no shift, so cosine geometry is kept
        self.embedding_size = embedding

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        pooled = self.backbone(x).mean(dim=(2, 3))
        features = self.project(pooled)
        return features, self.neck(features)


class ReidTrainer(nn.Module):
    """The network plus the identity classifier that only training needs."""

    def __init__(self, net: ReidNet, people: int) -> None:
        super().__init__()
        self.net = net
        self.classifier = nn.Linear(net.embedding_size, people, bias=False)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        features, necked = self.net(x)
        return features, self.classifier(necked)


class ExportedDescriptor(nn.Module):
    """What ships: float32 NHWC RGB 0..255 [N, 128, 64, 3] -> L2-normalised embeddings.

    Normalisation is inside the graph (as for the face descriptor), and the embedding is the
    mean of the crop's and its mirror image's, which costs a second pass but makes the
    descriptor indifferent to which way a person faces."""

    def __init__(self, net: ReidNet) -> None:
        super().__init__()
        self.net = net.eval()
        self.register_buffer("mean", torch.tensor(MEAN).view(1, 3, 1, 1) * 255.0)
        self.register_buffer("scale", 1.0 / (torch.tensor(STD).view(1, 3, 1, 1) * 255.0))

    def forward(self, crops: torch.Tensor) -> torch.Tensor:
        x = (crops.permute(0, 3, 1, 2) - self.mean) * self.scale
        both = self.net(torch.cat([x, torch.flip(x, dims=[3])]))[1]
        half = both.shape[0] // 2
        summed = both[:half] + both[half:]
        return summed / summed.norm(dim=1, keepdim=True).clamp_min(1e-12)


def parameter_count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())
