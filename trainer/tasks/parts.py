"""Task ``parts``: PIPER's body parts. The body descriptor, a small re-identification CNN
trained from scratch on CUHK03 + bodies-reid train, exported to ``body_descriptor/reid_v1.onnx``
and benchmarked on both val sets; and the poselet types, clusters of the pose configurations
found on the same training crops, written to ``poselets/types_v1.json`` (trainer.parts).

``--set only=reid`` or ``--set only=poselets`` builds one half: the CNN takes half an hour,
the poselets a few minutes (``python -m trainer.parts.poselets`` does the same).

Under ``torchrun --nproc_per_node=N`` the CNN trains on N processes (trainer.distributed);
rank 0 alone exports it and builds the poselets, which do not train."""

from __future__ import annotations

from typing import Any

from trainer.distributed import is_main_process
from trainer.tasks import register

HALVES = ("reid", "poselets")


@register("parts", order=3, distributed=True)  # poselets use the pose models (bodies)
def build_parts(config: dict[str, Any]) -> None:
    only = config.get("only") or ""
    if only and only not in HALVES:
        raise SystemExit(f"parts: only must be one of {HALVES} or empty, got {only!r}")
    if only in ("", "reid"):
        from trainer.parts.build_reid import build

        build(config)
    if only in ("", "poselets") and is_main_process():
        from trainer.parts import poselets

        poselets.build(config)
