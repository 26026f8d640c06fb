"""L = L_f + w L_K (w = 0.5): softmax cross-entropy over the training identities on the
personalised features (L_f) and on the ordinary, non-personalised kernels K_x (L_K)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from trainer.facehead.model import FaceHead


def head_loss(model: FaceHead, features: torch.Tensor, kernels: torch.Tensor, labels: torch.Tensor,
              kernel_weight: float = 0.5) -> tuple[torch.Tensor, dict[str, float]]:
    feature_logits = model.feature_classifier(features)
    kernel_logits = model.kernel_classifier(kernels.flatten(1))
    loss_f = F.cross_entropy(feature_logits, labels)
    loss_k = F.cross_entropy(kernel_logits, labels)
    loss = loss_f + kernel_weight * loss_k
    accuracy = (feature_logits.argmax(dim=1) == labels).float().mean()
    return loss, {"loss_f": float(loss_f.detach()), "loss_k": float(loss_k.detach()), "accuracy": float(accuracy)}
