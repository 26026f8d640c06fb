"""``python -m trainer all``: every task in dependency order, then rebuilt vs shipped metrics.

The order is what each task declares where it registers (``@register(NAME, order=N)`` in
``trainer/tasks/``), read from the registry (``trainer.tasks.task_info``) when ``all`` runs, so
a task that is not registered is skipped and one registered later joins without a change
here; a registered task with no ``order`` runs after the numbered ones (alphabetically), and
one registered with ``in_all=False`` (``personalise``, which adapts one library) never runs.

Before the first task, the shipped manifest (``resources/models/manifest.json``, or
``--baseline FILE``) is read, since the tasks rewrite it when ``--out`` is the default; after
the last, every numeric metric of the manifest written is compared with it
(trainer.compare) and printed, and the exit status is 1 when any is outside 1% (0 with
``--no-compare``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from trainer.compare import compare_metrics, format_comparison, unmatched_models
from trainer.config import REPO_ROOT, resolve
from trainer.tasks import task_info

# Later tasks use the models of earlier ones: bodies' body-box rule the face detector (faces);
# parts' poselets the pose models (bodies); open-set the face models; fusion the face, body,
# pose and poselet models (faces, bodies, parts). The face head comes last. Each task's
# ``order`` in trainer/tasks/ says so. (bodies reads them from --out; poselets, open-set and
# fusion from the models in use, resources/models unless a Models > Train version is active:
# see trainer/README.md.)
SHIPPED_MANIFEST = REPO_ROOT / "resources" / "models" / "manifest.json"


def task_order(registered: Iterable[str]) -> list[str]:
    """The tasks ``all`` runs, in the order it runs them: by declared ``order``, then by name."""
    names = {name for name in registered if task_info(name).in_all}
    numbered = sorted((task_info(name).order, name) for name in names if task_info(name).order is not None)
    return [name for _, name in numbered] + sorted(names - {name for _, name in numbered})


def _read_manifest(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def run_all(registered: Iterable[str], configure: Callable[[str], dict[str, Any]],
            run_task: Callable[[str, dict[str, Any]], int], compare: bool = True,
            baseline: Path | None = None) -> int:
    """Run every task (``configure(task)`` gives its config, ``run_task`` runs it and returns
    its exit status); stop at the first that fails. Then compare, unless ``compare`` is false."""
    tasks = task_order(registered)
    baseline = baseline or SHIPPED_MANIFEST
    shipped: dict[str, Any] | None = None
    if compare:
        if not baseline.is_file():
            print(f"trainer all: no shipped manifest to compare with at {baseline} "
                  "(--baseline FILE, or --no-compare)", flush=True)
            return 2
        shipped = _read_manifest(baseline)
    configs = {task: configure(task) for task in tasks}
    out = resolve(configs[tasks[0]], "out") if tasks else resolve(configure("faces"), "out")
    print(f"all: {len(tasks)} tasks in order: {', '.join(tasks)}; writing {out}", flush=True)
    seconds: dict[str, float] = {}
    for number, task in enumerate(tasks, 1):
        print(f"all: [{number}/{len(tasks)}] {task}", flush=True)
        started = time.monotonic()
        status = run_task(task, configs[task])
        seconds[task] = time.monotonic() - started
        if status:
            print(f"all: {task} failed (exit status {status}) after {seconds[task]:.0f} s; "
                  f"the tasks after it did not run", flush=True)
            return status
        print(f"all: {task} done in {seconds[task]:.0f} s", flush=True)
    print("all: durations " + ", ".join(f"{task} {s:.0f} s" for task, s in seconds.items()), flush=True)
    if shipped is None:
        return 0
    rebuilt = _read_manifest(out / "manifest.json")
    print(f"all: metrics rebuilt ({out / 'manifest.json'}) vs shipped ({baseline})", flush=True)
    rows = compare_metrics(shipped, rebuilt)
    for line in format_comparison(rows):
        print(line, flush=True)
    old, new = shipped.get("models", {}), rebuilt.get("models", {})
    same = sorted(name for name in set(old) & set(new) if old[name].get("sha256") == new[name].get("sha256"))
    if same:
        print(f"all: byte-identical to the shipped file: {', '.join(same)}", flush=True)
    not_rebuilt, never_shipped = unmatched_models(shipped, rebuilt)
    if not_rebuilt:
        print(f"all: shipped but not in {out / 'manifest.json'}: {', '.join(not_rebuilt)}", flush=True)
    if never_shipped:
        print(f"all: new (nothing shipped to compare with): {', '.join(never_shipped)}", flush=True)
    return 1 if any(row.failed for row in rows) else 0
