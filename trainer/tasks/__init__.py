"""Name -> task registry (each task takes its merged config dict).

Each task declares, where it registers, what the command line and ``all`` need to know about
it (:class:`TaskInfo`): its place in ``all``, whether it reads the shared data folder, and
whether it may run under torchrun. ``trainer.cli`` and ``trainer.run_all`` read them here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Task = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class TaskInfo:
    """What a task declares about itself when it registers."""

    order: int | None = None  # its place in ``all`` (lower runs first); None: after the numbered tasks, by name
    in_all: bool = True  # False: ``all`` never runs it
    shared_data: bool = True  # False: it reads no shared data folder, so none need exist
    distributed: bool = False  # True: it may run under torchrun (WORLD_SIZE > 1)


TASKS: dict[str, Task] = {}
INFO: dict[str, TaskInfo] = {}


def register(name: str, *, order: int | None = None, in_all: bool = True, shared_data: bool = True,
             distributed: bool = False) -> Callable[[Task], Task]:
    def wrap(func: Task) -> Task:
        TASKS[name] = func
        INFO[name] = TaskInfo(order=order, in_all=in_all, shared_data=shared_data, distributed=distributed)
        return func
    return wrap


def task_info(name: str) -> TaskInfo:
    """The task's declarations; the defaults for a name not registered (``all``, stand-ins)."""
    return INFO.get(name, TaskInfo())


# Importing the task modules fills the registry.
from trainer.tasks import bodies, face_head, faces, fusion, open_set, parts, personalise  # noqa: E402,F401
