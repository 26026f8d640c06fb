"""QAFace quality-aware weighting for the head's feature loss L_f.

A face's feature norm stands in for its quality. Within a batch the norms are standardised,
n^ = (||f|| - mean) / std, and each sample's cross-entropy weighs e^{-n^}: lower-norm (harder)
faces count more than the easy, high-norm ones, while a face with n^ < -tau is taken as too
poor to learn anything from and is dropped (weight 0). The weights are detached: they steer
the loss and must not become a way for the network to lower it by moving norms.
"""

from __future__ import annotations

import torch

TAU = 2.0
SPREAD_FLOOR = 1e-4  # relative to the batch's mean norm


def quality_weights(features: torch.Tensor, tau: float = TAU) -> torch.Tensor:
    """Features [B, D] -> loss weights [B] (no gradient): e^{-n^}, 0 where n^ < -tau. The
    spread is floored at ``SPREAD_FLOOR`` of the mean norm: norms equal up to rounding would
    otherwise be blown up into weights far from 1 (0.3 to 3.3 seen); with the floor they, and
    a batch of one, all weigh about 1."""
    norms = features.detach().norm(dim=1)
    spread = norms.std(correction=0).clamp_min(SPREAD_FLOOR * float(norms.mean()) + 1e-12)
    normalised = (norms - norms.mean()) / spread
    return torch.where(normalised < -tau, torch.zeros_like(normalised), torch.exp(-normalised))
