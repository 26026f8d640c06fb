"""Held-out measurements of the head against the plain descriptor, all on LFW people the head
never saw (``splits.is_training_person`` false).

Verification: the pairs and protocol of ``bench/verification.py`` (``pairs.lfw_pairs``: N same
+ N different pairs among the held-out people, seed 0; the face nearest the centre; 10-fold
accuracy with the threshold chosen on the other nine folds, through that bench's own
``scores``). The plain descriptor is scored on raw Euclidean distances, as there; every head
feature is L2-normalised first (Euclidean = cosine ranking), so only its 10-fold accuracy
means anything (the 0.6 threshold is the plain descriptor's).

Identification: held-out people with 10+ photos, 5 photos enrolled per person, the rest
queried, nearest enrolled face (``metrics.kshot_accuracy``, seeds 0-4).

K_r for the head is solved (a) from the training faces' kernels, (b) from the kernels of an
unlabelled reference set: the held-out photos that no verification pair uses (so no pair photo
is a reference face; the people do overlap, as a user's own library would).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from albumtag.evaluation.metrics import distance_matrix, kshot_accuracy
from albumtag.evaluation.pairs import lfw_pairs
from albumtag.evaluation.system_run import SystemRun
from trainer.facehead.data import FaceMaps
from trainer.facehead.model import FaceHead, apply_kernels, personalise, solve_commonality


def kernels_of(model: FaceHead, maps: np.ndarray, batch: int = 512) -> torch.Tensor:
    with torch.no_grad():
        return torch.cat([model.kernels(torch.from_numpy(maps[i:i + batch])) for i in range(0, len(maps), batch)])


def head_vectors(model: FaceHead, maps: np.ndarray, common: torch.Tensor | None, batch: int = 512) -> np.ndarray:
    """Unit-length head features [N, C]: personalised with ``common`` (K_r), or the ordinary
    kernels applied when ``common`` is None."""
    out = []
    with torch.no_grad():
        for i in range(0, len(maps), batch):
            x = torch.from_numpy(maps[i:i + batch])
            kernels = model.kernels(x)
            applied = kernels if common is None else personalise(kernels, common)
            out.append(F.normalize(apply_kernels(x, applied), dim=1))
    return torch.cat(out).numpy() if out else np.zeros((0, model.generator.fc_bias.shape[0]), np.float32)


def variants(model: FaceHead, held: FaceMaps, common_train: torch.Tensor, common_reference: torch.Tensor
             ) -> dict[str, np.ndarray]:
    """Every feature measured, per held-out photo (zeros where no face)."""
    maps = held.maps
    with torch.no_grad():
        flat_kernels = F.normalize(kernels_of(model, maps).flatten(1), dim=1).numpy()
        pooled = F.normalize(torch.from_numpy(maps).flatten(2).amax(dim=2), dim=1).numpy()
    return {
        "plain descriptor (128-d)": held.descriptors,
        "head, K_r from training set": head_vectors(model, maps, common_train),
        "head, K_r from held-out reference": head_vectors(model, maps, common_reference),
        "ordinary kernel feature (K_x)": head_vectors(model, maps, None),
        "flattened K_x (extra)": flat_kernels,
        "max-pooled z_x, no head (extra)": pooled,
    }


def evaluate(model: FaceHead, train_data: FaceMaps, train_index: np.ndarray, held: FaceMaps, lfw: Path,
             pairs_count: int = 3000, seed: int = 0, alpha: float = 0.6, shots: int = 5,
             min_photos_identification: int = 10) -> dict[str, Any]:
    from bench.verification import scores

    pairs = lfw_pairs(lfw, pairs_count, seed)
    position = {p: k for k, p in enumerate(held.paths)}
    pair_rows = np.array([position[p.relative_to(lfw).as_posix()] for p in pairs.photos])
    in_pairs = np.zeros(len(held.paths), bool)
    in_pairs[pair_rows] = True
    reference = held.found & ~in_pairs
    common_train = solve_commonality(kernels_of(model, train_data.maps[train_index]), alpha)
    common_reference = solve_commonality(kernels_of(model, held.maps[reference]), alpha)

    counts = np.bincount(held.labels, minlength=len(held.people))
    ident = counts[held.labels] >= min_photos_identification
    ident_labels = [int(y) for y in held.labels[ident]]
    features = variants(model, held, common_train, common_reference)
    rows = {}
    for name, vectors in features.items():
        run = SystemRun(held.found[pair_rows], vectors[pair_rows].astype(np.float32), [None] * len(pair_rows),
                        int(held.found[pair_rows].sum()))
        verification = scores(pairs, run)
        distances = distance_matrix(vectors[ident], held.found[ident])
        rows[name] = {
            "verification 10-fold %": round(verification["10-fold accuracy %"], 2),
            "verification at 0.6 %": round(verification["accuracy at 0.6 %"], 2) if name.startswith("plain") else None,
            f"{shots}-shot identification %": round(100 * kshot_accuracy(ident_labels, distances, shots, range(5)), 2),
        }
    cosine = float((common_train * common_reference).sum(dim=1).abs().mean())
    return {
        "rows": rows,
        "pairs": {"same": int(pairs.same.sum()), "different": int((~pairs.same).sum()), "photos": len(pairs.photos),
                  "photos_without_face": int((~held.found[pair_rows]).sum()), "seed": seed},
        "reference": {"faces": int(reference.sum()), "pair_photos_among_them": 0,
                      "people": int(len(np.unique(held.labels[reference]))),
                      "identification_photos_among_them": int((reference & ident).sum())},
        "identification": {"people": int(len(set(ident_labels))), "photos": int(ident.sum()), "shots": shots,
                           "seeds": [0, 1, 2, 3, 4]},
        "k_r_train_vs_reference_mean_abs_cosine": round(cosine, 4),
    }


def table(result: dict[str, Any]) -> str:
    rows = result["rows"]
    keys = list(next(iter(rows.values())))
    width = max(len(n) for n in rows) + 2
    lines = [f"{'':<{width}}" + "".join(f"{k:>26}" for k in keys)]
    for name, row in rows.items():
        lines.append(f"{name:<{width}}" + "".join(f"{'-' if row[k] is None else f'{row[k]:.2f}':>26}" for k in keys))
    return "\n".join(lines)
