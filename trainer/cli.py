"""Command line of the trainer: one sub-command per task, each with a YAML config."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from albumtag.library.errors import LibraryError
from trainer.config import load_config
from trainer.tasks import TASKS


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m trainer", description=__doc__)
    parser.add_argument("task", choices=sorted(TASKS), help="what to build")
    parser.add_argument("--config", type=Path, help="YAML config (default: trainer/configs/TASK.yaml)")
    parser.add_argument("--device", choices=["cpu", "cuda"], help="override the config's device")
    parser.add_argument("--out", type=Path, help="models folder to write (default: resources/models)")
    parser.add_argument("--library", type=Path, help="the AlbumTag library (personalise)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override one config value, e.g. --set epochs=2")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    config = load_config(args.task, args.config, args.set)
    if args.device:
        config["device"] = args.device
    if args.out:
        config["out"] = str(args.out)
    if args.library:
        config["library"] = str(args.library)
    try:
        TASKS[args.task](config)
    except LibraryError as error:  # busy, missing or too new: say so, no traceback
        print(f"trainer {args.task}: {error}", file=sys.stderr)
        return 1
    return 0
