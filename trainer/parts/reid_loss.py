"""The two losses of "Bag of Tricks" re-ID: batch-hard triplet (Hermans et al. 2017) on the
features before the BN-neck, and identity cross-entropy with label smoothing (which keeps
the classifier from over-fitting the few crops per person) on those after it."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


def batch_hard_triplet(features: torch.Tensor, labels: torch.Tensor, margin: float) -> torch.Tensor:
    """Mean over anchors of max(0, hardest positive distance - hardest negative + margin)."""
    squared = features.pow(2).sum(dim=1)
    distances = (squared[:, None] + squared[None, :] - 2.0 * features @ features.t()).clamp_min(1e-12).sqrt()
    same = labels[:, None] == labels[None, :]
    hardest_positive = (distances * same).max(dim=1).values
    hardest_negative = distances.masked_fill(same, float("inf")).min(dim=1).values
    return F.relu(hardest_positive - hardest_negative + margin).mean()


class ReidLoss(nn.Module):
    def __init__(self, margin: float = 0.3, smoothing: float = 0.1) -> None:
        super().__init__()
        self.margin = margin
        self.smoothing = smoothing

    def forward(self, features: torch.Tensor, logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        identity = F.cross_entropy(logits, labels, label_smoothing=self.smoothing)
        return identity + batch_hard_triplet(features, labels, self.margin)
