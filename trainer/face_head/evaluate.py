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

Template identification: the same people, seeds and draws (``metrics.kshot_enrolments``), but
each person's 5 enrolled faces become ONE template and a query takes the label of the nearest
template: the head's attention template (when trained with ``set_template``) and, for
comparison, the plain mean of the head's unit features, and the plain and the QAFace-weighted
mean of the plain descriptor (weights e^{-n^} with the norms standardised over every held-out
face; a face below -tau enrols nothing, like a photo without a face).

K_r for the head is solved (a) from the training faces' kernels, (b) from the kernels of an
unlabelled reference set: the held-out photos that no verification pair uses (so no pair photo
is a reference face; the people do overlap, as a user's own library would).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from albumtag.evaluation.metrics import distance_matrix, kshot_accuracy, kshot_enrolments
from albumtag.evaluation.pairs import lfw_pairs
from albumtag.evaluation.run_result import SystemRun
from trainer.face_head.data import FaceMaps
from trainer.face_head.model import FaceHead, apply_kernels, personalise, solve_commonality
from trainer.face_head.quality import TAU, quality_weights


def kernels_of(model: FaceHead, maps: np.ndarray, batch: int = 512) -> torch.Tensor:
    with torch.no_grad():
        return torch.cat([model.kernels(torch.from_numpy(maps[i:i + batch])) for i in range(0, len(maps), batch)])


def commonality_of(model: FaceHead, maps: np.ndarray, alpha: float) -> torch.Tensor:
    """K_r [C, k*k] solved from these faces' kernels."""
    return solve_commonality(kernels_of(model, maps), alpha)


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


def template_kshot_accuracy(labels: Sequence[int], vectors: np.ndarray, found: np.ndarray,
                            enrollable: np.ndarray, template: Callable[[np.ndarray], np.ndarray], shots: int,
                            seeds: Sequence[int] = range(5)) -> float:
    """``kshot_accuracy`` with each person's enrolled faces made ONE template (``template``:
    their rows -> a vector comparable with ``vectors``), on the same draws: a query takes the
    label of the nearest template (Euclidean). Enrolled photos not ``enrollable`` enrol
    nothing (a person with none has no template); a query without a face is wrong."""
    scores = []
    for seed in seeds:
        draws = kshot_enrolments(labels, shots, seed)
        people, templates = [], []
        for person, (enrolled, _) in draws.items():
            usable = enrolled[enrollable[enrolled]]
            if len(usable):
                people.append(person)
                templates.append(template(usable))
        queries = np.concatenate([rest for _, rest in draws.values()])
        distances = np.linalg.norm(vectors[queries, None, :] - np.stack(templates)[None], axis=2)
        nearest = np.array(people)[distances.argmin(axis=1)]
        scores.append(float(np.mean(found[queries] & (nearest == np.array([labels[q] for q in queries])))))
    return float(np.mean(scores))


def template_rows(model: FaceHead, held: FaceMaps, ident: np.ndarray, head: np.ndarray, common: torch.Tensor,
                  shots: int, tau: float) -> dict[str, float]:
    """``shots``-shot template identification % of each template kind (see the module's docstring);
    ``head``: the unit head features of the identification photos (K_r ``common``)."""
    labels = [int(y) for y in held.labels[ident]]
    found = held.found[ident]
    plain = held.descriptors[ident]
    weights = np.zeros(len(held.paths), np.float32)
    weights[held.found] = quality_weights(torch.from_numpy(held.descriptors[held.found]), tau).numpy()
    weights = weights[ident]
    kinds = {
        "plain descriptor, mean template": (plain, found, lambda rows: plain[rows].mean(axis=0)),
        "plain descriptor, QAFace-weighted mean template": (
            plain, found & (weights > 0), lambda rows: weights[rows] @ plain[rows] / weights[rows].sum()),
    }
    if model.template is not None:
        with torch.no_grad():
            local, _ = model.local_features(torch.from_numpy(held.maps[ident]), common)

        def attention(rows: np.ndarray) -> np.ndarray:
            with torch.no_grad():
                return F.normalize(model.template(local[rows][None]), dim=1)[0].numpy()

        kinds["head, attention template"] = (head, found, attention)
    kinds["head, mean template (extra)"] = (head, found, lambda rows: _unit(head[rows].mean(axis=0)))
    return {name: round(100 * template_kshot_accuracy(labels, vectors, found, enrollable, make, shots), 2)
            for name, (vectors, enrollable, make) in kinds.items()}


def _unit(vector: np.ndarray) -> np.ndarray:
    return vector / max(float(np.linalg.norm(vector)), 1e-12)


def evaluate(model: FaceHead, train_data: FaceMaps, train_index: np.ndarray, held: FaceMaps, lfw: Path,
             pairs_count: int = 3000, seed: int = 0, alpha: float = 0.6, shots: int = 5,
             min_photos_identification: int = 10, quality_tau: float = TAU) -> dict[str, Any]:
    from bench.verification import scores

    pairs = lfw_pairs(lfw, pairs_count, seed)
    position = {p: k for k, p in enumerate(held.paths)}
    pair_rows = np.array([position[p.relative_to(lfw).as_posix()] for p in pairs.photos])
    in_pairs = np.zeros(len(held.paths), bool)
    in_pairs[pair_rows] = True
    reference = held.found & ~in_pairs
    common_train = commonality_of(model, train_data.maps[train_index], alpha)
    common_reference = commonality_of(model, held.maps[reference], alpha)

    counts = np.bincount(held.labels, minlength=len(held.people))
    ident = counts[held.labels] >= min_photos_identification
    ident_labels = [int(y) for y in held.labels[ident]]
    features = variants(model, held, common_train, common_reference)
    template_column = f"{shots}-shot template %"
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
            template_column: None,
        }
    head = features["head, K_r from training set"][ident]
    for name, accuracy in template_rows(model, held, ident, head, common_train, shots, quality_tau).items():
        rows[name] = {**dict.fromkeys(next(iter(rows.values()))), template_column: accuracy}
    cosine = float((common_train * common_reference).sum(dim=1).abs().mean())
    return {
        "rows": rows,
        "pairs": {"same": int(pairs.same.sum()), "different": int((~pairs.same).sum()), "photos": len(pairs.photos),
                  "photos_without_face": int((~held.found[pair_rows]).sum()), "seed": seed},
        "reference": {"faces": int(reference.sum()), "pair_photos_among_them": 0,
                      "people": int(len(np.unique(held.labels[reference]))),
                      "identification_photos_among_them": int((reference & ident).sum())},
        "identification": {"people": int(len(set(ident_labels))), "photos": int(ident.sum()), "shots": shots,
                           "seeds": [0, 1, 2, 3, 4], "templates": "head rows: K_r from training set",
                           "quality_tau": quality_tau},
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
