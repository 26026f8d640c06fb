"""Configs: ``base.yaml`` holds the shared defaults, ``TASK.yaml`` overrides them.

As in insightface's arcface_torch, every experiment is a small file of differences from the
base, and ``--set key=value`` overrides one value from the command line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

CONFIG_DIR = Path(__file__).resolve().parent / "configs"
REPO_ROOT = Path(__file__).resolve().parents[1]


def _read(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def _parse_override(item: str) -> tuple[str, Any]:
    key, sep, value = item.partition("=")
    if not sep:
        raise SystemExit(f"--set needs KEY=VALUE, got {item!r}")
    return key.strip(), yaml.safe_load(value)


def load_config(task: str, path: Path | None = None, overrides: list[str] = ()) -> dict[str, Any]:
    config = _read(CONFIG_DIR / "base.yaml")
    task_file = path or CONFIG_DIR / f"{task}.yaml"
    if task_file.is_file():
        config.update(_read(task_file))
    elif path is not None:
        raise SystemExit(f"config file not found: {path}")
    config.update(dict(_parse_override(item) for item in overrides))
    config["task"] = task
    return config


def resolve(config: dict[str, Any], key: str) -> Path:
    """A path from the config, relative to the repository root when not absolute."""
    value = Path(str(config[key]))
    return value if value.is_absolute() else REPO_ROOT / value
