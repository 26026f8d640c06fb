"""Train the personalised-convolution head on cached z_x of LFW's training people.

Deterministic: the weights start from ``torch.manual_seed(seed)`` and each epoch's order comes
from ``numpy.random.default_rng([seed, epoch])``. A checkpoint (model, optimiser, epoch) is
written atomically after every epoch under ``CACHE/face-head/``, named by a hash of every
setting that shapes the weights and of the training photo list, so a killed run resumes at
its last finished epoch and ends with the same weights; a finished run is just reloaded.
During training K_r is solved from each batch's own (detached) kernels.

Options (config): ``quality_weighting`` (QAFace weights on L_f, trainer.face_head.quality) and
``set_template`` (LFENet-style set aggregation, trainer.face_head.set_template): each epoch one
random set per identity, drawn from ``numpy.random.default_rng([seed, epoch, 1])`` (its own
stream, so the batch order is the same with or without sets), dealt over the epoch's steps;
each step adds ``set_loss_weight`` times the feature classifier's loss on its sets'
templates, personalised with that step's K_r.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from albumtag.io.atomic import write_atomic
from trainer.face_head.data import FaceMaps
from trainer.face_head.loss import head_loss, template_loss
from trainer.face_head.model import FaceHead, apply_kernels, personalise, solve_commonality
from trainer.face_head.set_template import epoch_sets
from trainer.progress import ProgressReporter

TRAINING_KEYS = ("seed", "epochs", "batch", "lr", "weight_decay", "kernel", "conv_kernel", "scale",
                 "alpha", "kernel_loss_weight", "min_photos", "quality_weighting", "quality_tau",
                 "set_template", "set_size", "set_groups", "set_loss_weight")


def signature(config: dict[str, Any], data: FaceMaps) -> str:
    chosen = {key: config[key] for key in TRAINING_KEYS}
    chosen["photos"] = hashlib.sha256("\n".join(data.paths).encode()).hexdigest()
    return hashlib.sha256(json.dumps(chosen, sort_keys=True).encode()).hexdigest()[:12]


def training_faces(data: FaceMaps, min_photos: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Faces found, of people with at least ``min_photos`` of them: (indices, labels 0..P-1, P)."""
    found = np.flatnonzero(data.found)
    counts = np.bincount(data.labels[found], minlength=len(data.people))
    kept = found[counts[data.labels[found]] >= min_photos]
    people, labels = np.unique(data.labels[kept], return_inverse=True)
    return kept, labels, len(people)


def build_model(config: dict[str, Any], classes: int) -> FaceHead:
    torch.manual_seed(int(config["seed"]))
    return FaceHead(classes, kernel=int(config["kernel"]), conv_kernel=int(config["conv_kernel"]),
                    scale=float(config["scale"]),
                    template_groups=int(config["set_groups"]) if config["set_template"] else 0)


def _save(path: Path, state: dict[str, Any]) -> None:
    """Atomically, so a kill during the write leaves the previous epoch's checkpoint (no fsync:
    a cache, rebuilt if lost)."""
    write_atomic(path, lambda handle: torch.save(state, handle), durable=False)


def train(config: dict[str, Any], data: FaceMaps, folder: Path, log=print) -> tuple[FaceHead, dict[str, Any]]:
    """Train (or resume, or reload a finished run); the head in eval mode and its summary."""
    torch.set_num_threads(int(config.get("threads", 2)))
    index, labels, classes = training_faces(data, int(config["min_photos"]))
    maps = torch.from_numpy(data.maps[index])
    targets = torch.from_numpy(labels)
    model = build_model(config, classes)
    optimizer = torch.optim.Adam(model.parameters(), lr=float(config["lr"]),
                                 weight_decay=float(config["weight_decay"]))
    epochs, batch = int(config["epochs"]), int(config["batch"])
    per_epoch = -(-len(index) // batch)
    total = epochs * per_epoch
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: 0.5 * (1 + np.cos(np.pi * min(step, total) / total)))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{config.get('run', 'head')}-{signature(config, data)}.pt"
    start, seconds, history = 0, 0.0, []
    if path.is_file():
        state = torch.load(path, map_location="cpu", weights_only=False)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        start, seconds, history = state["epoch"], state["seconds"], state["history"]
        log(f"face-head: resuming {path.name} after epoch {start}/{epochs}")
    reporter = ProgressReporter(total)
    reporter.started -= seconds  # the ETA counts the time already spent
    alpha, weight = float(config["alpha"]), float(config["kernel_loss_weight"])
    quality_tau = float(config["quality_tau"]) if config["quality_weighting"] else None
    set_size, set_weight = int(config["set_size"]), float(config["set_loss_weight"])
    for epoch in range(start, epochs):
        clock = time.perf_counter()
        model.train()
        order = np.random.default_rng([int(config["seed"]), epoch]).permutation(len(index))
        sets = [] if model.template is None else epoch_sets(
            labels, set_size, per_epoch, np.random.default_rng([int(config["seed"]), epoch, 1]))
        sums = {"loss": 0.0, "accuracy": 0.0}
        for step in range(per_epoch):
            chosen = torch.from_numpy(order[step * batch:(step + 1) * batch])
            x, y = maps[chosen], targets[chosen]
            kernels = model.kernels(x)
            common = solve_commonality(kernels, alpha)  # [C, d] from this batch, no gradient
            features = apply_kernels(x, personalise(kernels, common))
            loss, parts = head_loss(model, features, kernels, y, weight, quality_tau)
            if step < len(sets):
                group = sets[step]
                templates = model.templates(maps[torch.from_numpy(group.faces)], torch.from_numpy(group.slots),
                                            torch.from_numpy(group.mask), common)
                loss = loss + set_weight * template_loss(model, templates, torch.from_numpy(group.labels))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            sums["loss"] += float(loss.detach()) * len(y)
            sums["accuracy"] += parts["accuracy"] * len(y)
            reporter.report(epoch * per_epoch + step + 1, f"epoch {epoch + 1}/{epochs}",
                            loss=round(float(loss.detach()), 4), metric=round(parts["accuracy"], 4))
        seconds += time.perf_counter() - clock
        history.append({"epoch": epoch + 1, "loss": round(sums["loss"] / len(index), 4),
                        "train_accuracy": round(sums["accuracy"] / len(index), 4)})
        _save(path, {"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                     "scheduler": scheduler.state_dict(), "epoch": epoch + 1, "seconds": seconds,
                     "history": history})
    model.eval()
    summary = {"checkpoint": path.name, "people": classes, "faces": len(index), "epochs": epochs,
               "steps": total, "train_seconds": round(seconds, 1), "last": history[-1] if history else None}
    return model, summary
