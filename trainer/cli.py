"""Command line of the trainer: one sub-command per task, each with a YAML config; ``all``
runs every task in dependency order and compares the rebuilt metrics with the shipped ones
(trainer/README.md).

Exit status: 0 done; 1 a task failed, the library cannot be used (busy, missing, too new), or
``all`` rebuilt a metric outside 1% of the shipped one; 2 bad usage or missing shared data."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from albumtag.library.errors import LibraryError
from trainer.config import load_config, resolve
from trainer.distributed import is_main_process, world_size
from trainer.tasks import INFO, TASKS, task_info

ALL = "all"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m trainer", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("task", choices=[*sorted(TASKS), ALL], help="what to build (all: every task)")
    parser.add_argument("--config", type=Path, help="YAML config (default: trainer/configs/TASK.yaml)")
    parser.add_argument("--device", choices=["cpu", "cuda"], help="override the config's device")
    parser.add_argument("--out", type=Path, help="models folder to write (default: resources/models)")
    parser.add_argument("--library", type=Path, help="the AlbumTag library (personalise)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override one config value, e.g. --set epochs=2 (all: for every task)")
    parser.add_argument("--no-compare", action="store_true",
                        help="all: skip comparing the rebuilt metrics with the shipped manifest")
    parser.add_argument("--baseline", type=Path,
                        help="all: the manifest to compare with (default: resources/models/manifest.json, "
                             "read before any task runs)")
    return parser


def task_config(task: str, args: argparse.Namespace, path: Path | None = None) -> dict[str, Any]:
    config = load_config(task, path, args.set)
    if args.device:
        config["device"] = args.device
    if args.out:
        config["out"] = str(args.out)
    if args.library:
        config["library"] = str(args.library)
    return config


def missing_shared_data(task: str, config: dict[str, Any]) -> Path | None:
    """The shared data folder when the task needs it and it is not there."""
    if not task_info(task).shared_data or "shared_data" not in config:
        return None
    folder = resolve(config, "shared_data")
    return None if folder.is_dir() else folder.resolve()


def _under(path: Path, folder: Path) -> bool:
    try:
        return path.resolve().is_relative_to(folder.resolve())
    except (OSError, ValueError):
        return False


def run_task(task: str, config: dict[str, Any]) -> int:
    """Run one task; a known failure becomes one line on stderr and an exit status."""
    missing = missing_shared_data(task, config)
    if missing is not None:
        print(f"trainer {task}: shared data folder not found: {missing} "
              "(set shared_data in trainer/configs/base.yaml or --set shared_data=PATH)", file=sys.stderr)
        return 2
    try:
        TASKS[task](config)
    except LibraryError as error:  # busy, missing or too new: say so, no traceback
        print(f"trainer {task}: {error}", file=sys.stderr)
        return 1
    except FileNotFoundError as error:  # a data set missing inside the shared data folder
        shared = resolve(config, "shared_data") if "shared_data" in config else None
        if shared is None or not (error.filename and _under(Path(error.filename), shared)
                                  or str(shared) in str(error)):
            raise
        what = f"shared data not found: {error.filename}" if error.filename else str(error)
        print(f"trainer {task}: {what}", file=sys.stderr)
        return 2
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if world_size() > 1 and not task_info(args.task).distributed:
        if is_main_process():
            distributed = sorted(name for name, info in INFO.items() if info.distributed)
            print(f"trainer {args.task}: only {', '.join(distributed)} runs under torchrun "
                  f"(WORLD_SIZE={world_size()}); run it with plain python", file=sys.stderr)
        return 2
    if args.task == ALL:
        if args.config:
            parser.error("all reads each task's own trainer/configs/TASK.yaml; --config is for one task")
        from trainer.run_all import run_all

        return run_all(TASKS, lambda task: task_config(task, args), run_task,
                       compare=not args.no_compare, baseline=args.baseline)
    return run_task(args.task, task_config(args.task, args, args.config))
