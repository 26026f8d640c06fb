"""Task ``fusion``: PIPER's fusion weights (one per feature kind: body, face, part:<type>),
learned on simulated albums of LFW training people x the FUSION half of CUHK03 val and shipped
as ``fusion/weights_v1.json``, the defaults of ``albumtag.recognize.identify`` until a library
learns its own (trainer.recognition.build_fusion). No torch; a few minutes on CPU."""

from __future__ import annotations

from typing import Any

from trainer.tasks import register


@register("fusion", order=5)  # uses the face, body, pose and poselet models
def build_fusion(config: dict[str, Any]) -> None:
    from trainer.recognition import build_fusion as builder

    entry = builder.build(config)
    print(f"fusion: {entry['version']}; held-out top-1 mean {entry['metrics']['held_out']['mean']}")
