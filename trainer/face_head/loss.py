"""L = L_f + w L_K (w = 0.5): softmax cross-entropy over the training identities on the
personalised features (L_f) and on the ordinary, non-personalised kernels K_x (L_K).

With QAFace weighting (``quality_tau`` given, trainer.face_head.quality) L_f is the weighted
mean of the per-sample cross-entropies instead of the plain mean; L_K stays unweighted. With
set templates the trainer adds ``set_loss_weight`` times ``template_loss``."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from trainer.face_head.model import FaceHead
from trainer.face_head.quality import quality_weights


def head_loss(model: FaceHead, features: torch.Tensor, kernels: torch.Tensor, labels: torch.Tensor,
              kernel_weight: float = 0.5, quality_tau: float | None = None) -> tuple[torch.Tensor, dict[str, float]]:
    feature_logits = model.feature_classifier(features)
    kernel_logits = model.kernel_classifier(kernels.flatten(1))
    per_sample = F.cross_entropy(feature_logits, labels, reduction="none")
    if quality_tau is None:
        loss_f = per_sample.mean()
    else:
        weights = quality_weights(features, quality_tau)
        loss_f = (weights * per_sample).sum() / weights.sum()
    loss_k = F.cross_entropy(kernel_logits, labels)
    loss = loss_f + kernel_weight * loss_k
    accuracy = (feature_logits.argmax(dim=1) == labels).float().mean()
    return loss, {"loss_f": float(loss_f.detach()), "loss_k": float(loss_k.detach()), "accuracy": float(accuracy)}


def template_loss(model: FaceHead, templates: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """The feature classifier's cross-entropy on set templates [S, C]: a template must be
    recognised as its identity, as a single face's feature is."""
    return F.cross_entropy(model.feature_classifier(templates), labels)
