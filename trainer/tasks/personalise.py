"""Task ``personalise``: adapt recognition to one library (``--set library=PATH``)."""

from __future__ import annotations

from typing import Any

from trainer.tasks import register


@register("personalise")
def run_personalise(config: dict[str, Any]) -> None:
    from trainer.recognition.personalise import personalise

    if not config.get("library"):
        raise SystemExit("personalise needs the library: --library PATH")
    personalise(config)
