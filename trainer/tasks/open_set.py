"""Task ``open-set``: calibrate the open-set acceptance threshold on LFW's training half."""

from __future__ import annotations

from typing import Any

from trainer.tasks import register


@register("open-set", order=4)  # uses the face models (faces)
def build_open_set(config: dict[str, Any]) -> None:
    from trainer.recognition import build_open_set as builder

    entry = builder.build(config)
    print(f"open-set: {entry['metrics']}")
