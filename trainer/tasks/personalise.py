"""Task ``personalise``: adapt recognition to one library (``--set library=PATH``)."""

from __future__ import annotations

from typing import Any

from trainer.tasks import register


@register("personalise", in_all=False, shared_data=False)  # adapts one library
def run_personalise(config: dict[str, Any]) -> None:
    from trainer.recognition.personalise import personalise

    if not config.get("library"):
        raise SystemExit("personalise needs the library: --library PATH")
    personalise(config)
