"""Training loop of the body descriptor: PK batches, flip / pad-and-crop / random-erasing
augmentation, Adam with warm-up and cosine decay, triplet + smoothed identity loss.

Deterministic from the config's seed: each epoch's batches and augmentations are drawn from
``seed + epoch``, and a checkpoint is written after every epoch (to the config's cache
folder), so a run that is killed resumes where it stopped and ends with the same weights.
Progress goes to stdout as JSON lines (trainer.progress).

Under torchrun (``WORLD_SIZE`` > 1) the same code trains with DistributedDataParallel
(trainer.distributed): each rank takes every N-th batch of the epoch's PK batches, so an
epoch has ceil(batches / N) steps of N batches each, its augmentations are drawn from
``seed + epoch + rank``, and only rank 0 prints and writes the checkpoint. The world size is
part of the checkpoint's hash (the weights differ from a one-process run's).

    python -m trainer.parts.train_reid [--device cpu|cuda] [--set epochs=2 ...]
    torchrun --nproc_per_node=2 -m trainer.parts.train_reid [--device cpu|cuda] [--set ...]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import time
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.nn import functional as F

from albumtag.io.atomic import write_atomic
from trainer import distributed
from trainer.config import load_config, resolve
from trainer.cpu_isa import cpu_isa
from trainer.parts.reid_data import PKSampler, load_crops, person_labels, training_crops
from trainer.parts.reid_loss import ReidLoss
from trainer.parts.reid_net import MEAN, STD, ReidNet, ReidTrainer
from trainer.progress import ProgressReporter

SMOKE = {"epochs": 1, "max_people": 12, "steps_per_epoch": 3, "batch_people": 4}
TRAINING_KEYS = ("seed", "epochs", "batch_people", "batch_images", "lr", "weight_decay", "warmup_epochs",
                 "embedding_size", "widths", "blocks", "margin", "label_smoothing", "max_people",
                 "steps_per_epoch", "pad", "erasing")


def effective_config(config: dict[str, Any]) -> dict[str, Any]:
    """The config with ``smoke: true`` expanded into a tiny run."""
    return {**config, **SMOKE} if config.get("smoke") else dict(config)


def signature(config: dict[str, Any]) -> str:
    """A short hash of everything that shapes the weights: a checkpoint of another setting
    is never resumed."""
    chosen = {key: config[key] for key in TRAINING_KEYS}
    if distributed.world_size() > 1:  # one process: the hash of every run before torchrun support
        chosen["world_size"] = distributed.world_size()
    if str(config["device"]) == "cpu":  # the sums differ by instruction set (trainer.cpu_isa)
        chosen["cpu_isa"], chosen["threads"] = cpu_isa(), int(config["threads"])
    return hashlib.sha256(json.dumps(chosen, sort_keys=True).encode()).hexdigest()[:12]


def checkpoint_path(config: dict[str, Any]) -> Path:
    return resolve(config, "cache") / "parts" / f"{config['run']}-{signature(config)}.pt"


def build_net(config: dict[str, Any]) -> ReidNet:
    return ReidNet(tuple(config["widths"]), config["embedding_size"], config["blocks"])


def augment(batch: torch.Tensor, rng: np.random.Generator, pad: int, erasing: float) -> torch.Tensor:
    """uint8 NHWC crops -> normalised NCHW floats, each flipped at random, shifted by up to
    ``pad`` pixels (zero padding, i.e. the mean colour) and, with probability ``erasing``,
    with a random rectangle blanked (Zhong et al.), so occluded bodies are not new to it."""
    mean = torch.tensor(MEAN, device=batch.device).view(1, 3, 1, 1)
    std = torch.tensor(STD, device=batch.device).view(1, 3, 1, 1)
    x = (batch.permute(0, 3, 1, 2).float() / 255.0 - mean) / std
    count, _, height, width = x.shape
    flips = torch.from_numpy(rng.random(count) < 0.5).to(x.device)
    x = torch.where(flips.view(-1, 1, 1, 1), x.flip(3), x)
    padded = F.pad(x, (pad, pad, pad, pad))
    shifts = rng.integers(0, 2 * pad + 1, size=(count, 2))
    x = torch.stack([padded[i, :, dy:dy + height, dx:dx + width] for i, (dy, dx) in enumerate(shifts)])
    for i in np.flatnonzero(rng.random(count) < erasing):
        _erase(x[i], rng)
    return x


def _erase(image: torch.Tensor, rng: np.random.Generator, tries: int = 10) -> None:
    height, width = image.shape[1:]
    for _ in range(tries):
        area = rng.uniform(0.02, 0.4) * height * width
        aspect = math.exp(rng.uniform(math.log(0.3), math.log(1 / 0.3)))
        h, w = round(math.sqrt(area * aspect)), round(math.sqrt(area / aspect))
        if 0 < h < height and 0 < w < width:
            top, left = rng.integers(0, height - h + 1), rng.integers(0, width - w + 1)
            image[:, top:top + h, left:left + w] = 0.0
            return


def learning_rate(config: dict[str, Any], step: int, total: int, per_epoch: int) -> float:
    """Linear warm-up, then cosine decay to 1% of the base rate."""
    base, warmup = config["lr"], config["warmup_epochs"] * per_epoch
    if step < warmup:
        return base * (step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return base * (0.01 + 0.99 * 0.5 * (1.0 + math.cos(math.pi * progress)))


@dataclass
class TrainingResult:
    net: ReidNet
    info: dict[str, Any]
    main: bool = True  # False on torchrun's ranks > 0, which write nothing


def _save(path: Path, state: dict[str, Any]) -> None:
    """Atomically, so a kill during the write leaves the previous epoch's checkpoint (no fsync:
    a cache, rebuilt if lost)."""
    write_atomic(path, lambda handle: torch.save(state, handle), durable=False)


def _seed(seed: int) -> None:
    torch.manual_seed(seed)
    np.random.seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)


def train(config: dict[str, Any]) -> TrainingResult:
    """Train (or resume, or just reload a finished run) and return the network in eval mode."""
    config = effective_config(config)
    context, device = distributed.setup(str(config["device"]))
    try:
        return _train(config, context, device)
    finally:
        distributed.teardown(context)


def _train(config: dict[str, Any], context: distributed.Context, device: torch.device) -> TrainingResult:
    if device.type == "cpu":
        torch.set_num_threads(int(config["threads"]))
    _seed(int(config["seed"]))
    crops = training_crops(resolve(config, "shared_data"), int(config["max_people"]))
    labels, people = person_labels(crops)
    images = torch.from_numpy(load_crops(crops))
    model = ReidTrainer(build_net(config), len(people)).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=config["lr"], weight_decay=config["weight_decay"])
    sampler = PKSampler(labels, int(config["batch_people"]), int(config["batch_images"]))
    per_epoch = int(config["steps_per_epoch"]) or sampler.batches
    if context.distributed:  # steps per rank: its share of the epoch's batches
        per_epoch = len(distributed.shard(range(min(per_epoch, sampler.batches)), context.rank, context.world))
    total = per_epoch * int(config["epochs"])
    path = checkpoint_path(config)
    start_epoch, elapsed = 0, 0.0
    if path.is_file():  # every rank resumes from the same file
        state = torch.load(path, map_location=device, weights_only=False)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        start_epoch, elapsed = state["epoch"], state["seconds"]
        if context.main:
            print(f"parts: resuming {path.name} after epoch {start_epoch}", flush=True)
    reporter = ProgressReporter(total, None if context.main else distributed.NullStream())
    reporter.started -= elapsed
    criterion = ReidLoss(config["margin"], config["label_smoothing"])
    tensor_labels = torch.from_numpy(labels).to(device)
    trainer = distributed.wrap(model, context, device)
    last: dict[str, float] = {}
    for epoch in range(start_epoch, int(config["epochs"])):
        began = time.monotonic()
        last = _epoch(trainer, optimizer, criterion, sampler, images, tensor_labels, config, epoch,
                      per_epoch, total, reporter, context)
        elapsed += time.monotonic() - began
        if context.main:
            _save(path, {"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                         "epoch": epoch + 1, "seconds": elapsed, "people": people, "last": last})
        distributed.barrier(context)
    if not last and path.is_file():
        last = torch.load(path, map_location="cpu", weights_only=False)["last"]
    info = {"epochs": int(config["epochs"]), "steps": total, "train_seconds": round(elapsed, 1),
            "people": len(people), "crops": len(crops), "checkpoint": path.name, **last}
    if context.distributed:
        info["world_size"] = context.world
    if device.type == "cpu":
        info["cpu_isa"], info["threads"] = cpu_isa(), int(config["threads"])
    return TrainingResult(model.net.cpu().eval(), info, context.main)


def _epoch(model: Any, optimizer: torch.optim.Optimizer, criterion: ReidLoss, sampler: PKSampler,
           images: torch.Tensor, labels: torch.Tensor, config: dict[str, Any], epoch: int,
           per_epoch: int, total: int, reporter: ProgressReporter,
           context: distributed.Context = distributed.Context()) -> dict[str, float]:
    """One epoch (this rank's share of it); returns the mean loss and training accuracy over
    all ranks (the progress "metric")."""
    model.train()
    seed = int(config["seed"])
    rng = np.random.default_rng([seed, epoch, context.rank] if context.distributed else [seed, epoch])
    device = labels.device
    batches = list(islice(sampler.epoch(seed * 100_003 + epoch), int(config["steps_per_epoch"]) or sampler.batches))
    batches = distributed.shard(batches, context.rank, context.world)[:per_epoch]
    losses, correct, seen, steps = 0.0, 0, 0, 0
    for i, batch in enumerate(batches):
        steps = i + 1
        step = epoch * per_epoch + i
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(config, step, total, per_epoch)
        index = torch.from_numpy(batch)
        x = augment(images[index].to(device), rng, int(config["pad"]), float(config["erasing"]))
        target = labels[index.to(device)]
        features, logits = model(x)
        loss = criterion(features, logits, target)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        losses += loss.item()
        correct += int((logits.argmax(dim=1) == target).sum())
        seen += len(batch)
        if (step + 1) % 10 == 0 or i + 1 == len(batches):
            reporter.report(step + 1, f"epoch {epoch + 1}/{config['epochs']}",
                            loss=round(losses / steps, 4), metric=round(correct / seen, 4))
    losses, correct, seen, steps = distributed.sum_across([losses, correct, seen, steps], context, device)
    return {"train_loss": round(losses / max(1, steps), 4), "train_accuracy": round(correct / max(1, seen), 4)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m trainer.parts.train_reid", description=__doc__)
    parser.add_argument("--device", choices=["cpu", "cuda"])
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args(argv)
    config = load_config("parts", None, args.set)
    if args.device:
        config["device"] = args.device
    result = train(config)
    if result.main:
        print(json.dumps(result.info), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
