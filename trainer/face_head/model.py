"""Personalised convolution ("Personalized convolution for face recognition", Han et al.)
on the base network's last convolutional maps z_x ([C, H, W] = [256, 2, 2] for dlib's ResNet).

* ``KernelGenerator`` (G): a convolution over z_x, then a channel-wise fully connected layer
  (one small FC per channel, from its H*W activations to k*k) -> the face's own depthwise
  kernel K_x, [C, k*k].
* ``solve_commonality``: the commonality kernel K_r, per channel, in closed form from the
  kernels of an unlabelled reference set: the eigenvector of the least eigenvalue of
  ``((2a-1)/n) K K^T - (a/n^2) K 1 1^T K^T`` (K: the n reference kernels as columns, a = 0.6),
  a unit vector per channel, signed to point along the reference kernels' mean.
* ``personalise``: K^p_x = K_x - K_r (K_x^T K_r), per channel (orthogonal to K_r).
* ``local_responses``: K as a depthwise convolution on z_x (padding k // 2) -> the local
  features [C, H*W]; ``apply_kernels``: those, globally max-pooled -> the C-wide feature.
* ``FaceHead.template`` (optional, trainer.face_head.set_template): attention across the local
  features of several faces of one person -> one template feature.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from trainer.face_head.set_template import SetTemplate

ALPHA = 0.6


def solve_commonality(kernels: torch.Tensor, alpha: float = ALPHA) -> torch.Tensor:
    """Reference kernels ``[n, d]`` or ``[n, C, d]`` -> K_r ``[d]`` or ``[C, d]`` (unit length
    per channel). A pure function: no state, no gradient (the solution is detached)."""
    squeeze = kernels.dim() == 2
    k = kernels.detach().double()
    if squeeze:
        k = k[:, None, :]
    n = k.shape[0]
    columns = k.permute(1, 2, 0)  # [C, d, n]: per channel, the kernels as columns
    second = columns @ columns.transpose(1, 2)  # K K^T
    total = columns.sum(dim=2, keepdim=True)  # K 1
    matrix = (2 * alpha - 1) / n * second - alpha / n ** 2 * (total @ total.transpose(1, 2))
    _, vectors = torch.linalg.eigh(matrix)  # ascending eigenvalues
    least = vectors[..., 0]  # [C, d]
    sign = torch.sign((least * total[..., 0]).sum(dim=1, keepdim=True))
    least = least * torch.where(sign == 0, torch.ones_like(sign), sign)
    least = least.to(kernels.dtype)
    return least[0] if squeeze else least


def personalise(kernels: torch.Tensor, common: torch.Tensor) -> torch.Tensor:
    """K^p = K - K_r (K^T K_r) per channel: kernels ``[B, C, d]``, K_r ``[C, d]`` (unit)."""
    return kernels - (kernels * common).sum(dim=-1, keepdim=True) * common


def local_responses(maps: torch.Tensor, kernels: torch.Tensor) -> torch.Tensor:
    """Per-face depthwise convolution (cross-correlation, as ``conv2d``) of ``maps``
    [B, C, H, W] with ``kernels`` [B, C, k*k] (padding k // 2) -> the local features
    [B, C, H*W], before any pooling (what a set template attends over). Written as the k*k
    shifted windows of the padded maps times the kernels: a grouped conv2d with B*C groups is
    far slower on CPU, and so is ``unfold`` (im2col) of the B*C one-channel maps with 2
    threads on busy cores (7-17 s instead of 0.07 s for 512 faces)."""
    size = int(round(kernels.shape[-1] ** 0.5))
    pad = size // 2
    padded = F.pad(maps, (pad, pad, pad, pad))
    height, width = padded.shape[2] - size + 1, padded.shape[3] - size + 1
    windows = torch.stack([padded[:, :, i:i + height, j:j + width] for i in range(size) for j in range(size)],
                          dim=2)  # [B, C, k*k, H', W'], as unfold orders them
    return torch.einsum("bckp,bck->bcp", windows.flatten(3), kernels)


def apply_kernels(maps: torch.Tensor, kernels: torch.Tensor) -> torch.Tensor:
    """``local_responses`` then global max pooling -> the face's feature [B, C]."""
    return local_responses(maps, kernels).amax(dim=2)


class KernelGenerator(nn.Module):
    """G: z_x [B, C, H, W] -> K_x [B, C, k*k] (conv + ReLU, then channel-wise FC)."""

    def __init__(self, channels: int = 256, height: int = 2, width: int = 2, kernel: int = 3,
                 conv_kernel: int = 1) -> None:
        super().__init__()
        self.kernel = kernel
        self.conv = nn.Conv2d(channels, channels, conv_kernel, padding=conv_kernel // 2)
        self.fc_weight = nn.Parameter(torch.empty(channels, height * width, kernel * kernel))
        self.fc_bias = nn.Parameter(torch.zeros(channels, kernel * kernel))
        nn.init.kaiming_uniform_(self.fc_weight, a=5 ** 0.5)

    def forward(self, maps: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.conv(maps)).flatten(2)  # [B, C, H*W]
        return torch.einsum("bcs,csk->bck", x, self.fc_weight) + self.fc_bias


class CosineClassifier(nn.Module):
    """Softmax logits ``scale * cos(feature, class weight)`` (NormFace)."""

    def __init__(self, features: int, classes: int, scale: float) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(classes, features) * 0.01)
        self.scale = scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.scale * F.normalize(x, dim=1) @ F.normalize(self.weight, dim=1).T


class FaceHead(nn.Module):
    """G plus the two training classifiers: one on the personalised feature (L_f), one on
    the ordinary kernels K_x themselves (L_K); with ``template_groups`` > 0 also the set
    aggregation (``template``) whose templates the feature classifier is trained on."""

    def __init__(self, classes: int, channels: int = 256, height: int = 2, width: int = 2, kernel: int = 3,
                 conv_kernel: int = 1, scale: float = 16.0, template_groups: int = 0) -> None:
        super().__init__()
        self.generator = KernelGenerator(channels, height, width, kernel, conv_kernel)
        self.feature_classifier = CosineClassifier(channels, classes, scale)
        self.kernel_classifier = CosineClassifier(channels * kernel * kernel, classes, scale)
        self.template = SetTemplate(channels, template_groups) if template_groups else None

    def kernels(self, maps: torch.Tensor) -> torch.Tensor:
        return self.generator(maps)

    def local_features(self, maps: torch.Tensor, common: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        """(local features [B, C, H*W], K_x [B, C, k*k]); ``common`` None: the ordinary
        (non-personalised) kernels are applied."""
        kernels = self.generator(maps)
        applied = kernels if common is None else personalise(kernels, common)
        return local_responses(maps, applied), kernels

    def features(self, maps: torch.Tensor, common: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        """(personalised feature [B, C], K_x [B, C, k*k]), as ``local_features``."""
        local, kernels = self.local_features(maps, common)
        return local.amax(dim=2), kernels

    def templates(self, maps: torch.Tensor, slots: torch.Tensor, mask: torch.Tensor,
                  common: torch.Tensor | None) -> torch.Tensor:
        """Template features [S, C] of sets of the faces in ``maps`` [F, C, H, W] (``slots``
        and ``mask`` [S, n], as ``set_template.SetBatch``)."""
        local, _ = self.local_features(maps, common)
        return self.template(local[slots], mask)
