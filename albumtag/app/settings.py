"""The engine's user-facing settings, as one value the GUI persists and the pipeline takes."""

from __future__ import annotations

from dataclasses import dataclass, field

from albumtag.recognize.grouping import GroupingParams
from albumtag.runtime.providers import Device


@dataclass(frozen=True)
class EngineSettings:
    device: Device = Device.AUTO
    grouping: GroupingParams = field(default_factory=GroupingParams)
