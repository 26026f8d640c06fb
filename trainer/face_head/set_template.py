"""LFENet-style set aggregation: the local features of up to ``set_size`` faces of one person
-> one template feature.

The local features are the personalised depthwise convolution's output before global max
pooling (``model.local_responses``: [C, H*W] = [256, 4] per face), not z_x itself, so the
template lives in the same space as the head's single-face feature. Every local feature (the
C-vector at one position of one face) is scored by one linear layer, one score per channel
group; the scores are softmaxed across the set's faces, separately for each position and
group, and the local features summed with those weights -> one [C, H*W] map, globally max
pooled -> the template [C]. The weights depend only on each face's own features and the sum
runs over faces, so the template does not depend on the faces' order; for a set of one face
the softmax is 1 and the template is exactly that face's own (max-pooled) feature.

Trained (``train.py``, ``set_template: true``) with the feature classifier's softmax on the
templates of random sets, one per identity per epoch (``epoch_sets``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn


class SetTemplate(nn.Module):
    """Local features [S, n, C, P] of S sets of up to n faces (``mask`` [S, n]: which slots
    hold a face; None: all) -> templates [S, C]. Every set needs at least one face."""

    def __init__(self, channels: int = 256, groups: int = 16) -> None:
        super().__init__()
        if channels % groups:
            raise ValueError(f"{channels} channels do not split into {groups} groups")
        self.groups = groups
        self.score = nn.Linear(channels, groups)
        # Zero scores: the template starts as the plain mean of the set's local features,
        # and the attention is learned as a departure from averaging.
        nn.init.zeros_(self.score.weight)
        nn.init.zeros_(self.score.bias)

    def forward(self, local: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        channels = local.shape[2]
        scores = self.score(local.transpose(2, 3))  # [S, n, P, G]
        if mask is not None:
            scores = scores.masked_fill(~mask[:, :, None, None], float("-inf"))
        attention = scores.softmax(dim=1).repeat_interleave(channels // self.groups, dim=3)  # [S, n, P, C]
        return (attention.transpose(2, 3) * local).sum(dim=1).amax(dim=2)


@dataclass
class SetBatch:
    """The sets of one training step."""

    faces: np.ndarray  # [F] rows of the training faces: the members of every set
    slots: np.ndarray  # [S, n] each set's members as positions in ``faces`` (padding: 0)
    mask: np.ndarray  # [S, n] bool: the slot holds a member
    labels: np.ndarray  # [S] the sets' identities


def epoch_sets(labels: np.ndarray, largest: int, steps: int, rng: np.random.Generator) -> list[SetBatch]:
    """One random set per identity with 2+ faces (size uniform in 2..min(largest, faces),
    members drawn without repeats), shuffled and dealt into ``steps`` batches (fewer when
    there are fewer sets than steps: the last steps then train without a set loss)."""
    sets = []
    for person in np.unique(labels):
        rows = np.flatnonzero(labels == person)
        if len(rows) >= 2:
            sets.append(rng.choice(rows, int(rng.integers(2, min(largest, len(rows)) + 1)), replace=False))
    if not sets:
        raise ValueError("set templates need identities with at least 2 training faces")
    order = rng.permutation(len(sets))
    batches = []
    for chunk in np.array_split(order, min(steps, len(sets))):
        members = [sets[k] for k in chunk]
        size = max(len(m) for m in members)
        mask = np.array([[j < len(m) for j in range(size)] for m in members])
        slots = np.zeros(mask.shape, np.int64)
        slots[mask] = np.arange(mask.sum())
        batches.append(SetBatch(np.concatenate(members), slots, mask, labels[[m[0] for m in members]]))
    return batches
