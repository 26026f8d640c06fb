"""Task ``face-head``: the personalised-convolution head (trainer.face_head) on the face
descriptor's last convolutional maps, trained on LFW's training people and measured on the
held-out people against the plain descriptor. An experiment: it leaves the manifest and the
shipped models alone; the measurements go to ``CACHE/face-head/results-<checkpoint>.json`` and
the head, K_r an input (trainer.face_head.export), to ``CACHE/face-head/<checkpoint>.onnx``."""

from __future__ import annotations

import json
from typing import Any

from trainer.tasks import register


@register("face-head", order=6)  # an experiment: last
def build_face_head(config: dict[str, Any]) -> None:
    import torch

    from trainer.config import resolve
    from trainer.face_head.data import load_split
    from trainer.face_head.evaluate import commonality_of, evaluate, table
    from trainer.face_head.export import export_head
    from trainer.face_head.train import train, training_faces

    torch.set_num_threads(int(config.get("threads", 2)))
    lfw = resolve(config, "shared_data") / "faces-lfw"
    folder = resolve(config, "cache") / "face-head"
    limits = {"max_people": config.get("max_people") or None, "max_per_person": config.get("max_per_person") or None}
    train_data = load_split(lfw, folder, True, **limits)
    model, summary = train(config, train_data, folder)
    print(f"face-head: trained {summary}")
    if not config.get("evaluate", True):
        return
    held = load_split(lfw, folder, False)
    index, _, _ = training_faces(train_data, int(config["min_photos"]))
    result = evaluate(model, train_data, index, held, lfw, int(config["pairs"]), int(config["pairs_seed"]),
                      float(config["alpha"]), int(config["shots"]), quality_tau=float(config["quality_tau"]))
    result["training"] = summary
    stem = summary["checkpoint"].removesuffix(".pt")
    common = commonality_of(model, train_data.maps[index], float(config["alpha"]))
    result["onnx"] = export_head(model, held.maps[held.found][:64], common, folder / f"{stem}.onnx")
    print(table(result))
    print(json.dumps({k: v for k, v in result.items() if k != "rows"}))
    out = folder / f"results-{stem}.json"
    out.write_text(json.dumps(result, indent=1))
    print(f"face-head: results in {out}; ONNX (K_r an input) {folder / f'{stem}.onnx'}, "
          f"max abs diff vs torch {result['onnx']['onnx_vs_torch_max_abs_diff']:.2e}")
