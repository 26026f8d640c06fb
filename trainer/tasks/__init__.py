"""Name -> task function registry (each task takes its merged config dict)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Task = Callable[[dict[str, Any]], None]
TASKS: dict[str, Task] = {}


def register(name: str) -> Callable[[Task], Task]:
    def wrap(func: Task) -> Task:
        TASKS[name] = func
        return func
    return wrap


# Importing the task modules fills the registry.
from trainer.tasks import bodies, face_head, faces, fusion, open_set, parts, personalise  # noqa: E402,F401
