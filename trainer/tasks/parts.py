"""Task ``parts``: the body descriptor for PIPER-style recognition of people by their body,
a small re-identification CNN trained from scratch on CUHK03 + bodies-reid train, exported to
``body_descriptor/reid_v1.onnx`` and benchmarked on both val sets (trainer.parts)."""

from __future__ import annotations

from typing import Any

from trainer.tasks import register


@register("parts")
def build_parts(config: dict[str, Any]) -> None:
    from trainer.parts.build_reid import build

    build(config)
