"""Rebuilt vs shipped: every numeric metric of two ``manifest.json`` files, side by side.

``python -m trainer all`` rebuilds every model and then calls :func:`compare_metrics` on the
manifest it was shipped with (read before anything was rebuilt) and the one it wrote. A
metric is *within* when ``|rebuilt - shipped| <= 1% x |shipped|``, or, for numbers at the
scale of float rounding (ONNX-vs-torch parity differences of ~1e-7), when the difference is
at most ``ABSOLUTE_FLOOR``. Timings (a name part ``ms``, ``seconds`` or ``secs``) depend on
the machine and its load: they are printed but never judged. A metric the shipped entry has
and the rebuilt one lacks counts as outside; one only the rebuilt entry has is new.

Pure functions of plain dicts: no files, no torch.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

TOLERANCE = 0.01  # relative
ABSOLUTE_FLOOR = 1e-5
TIMING_PARTS = frozenset({"ms", "seconds", "secs"})

WITHIN, OUTSIDE, MISSING, NEW, TIMING = "within", "OUTSIDE", "MISSING", "new", "timing"
FAILING = frozenset({OUTSIDE, MISSING})


@dataclass(frozen=True)
class MetricComparison:
    model: str
    metric: str  # dotted path inside the entry's ``metrics``, e.g. ``val.cuhk03.learned.rank1``
    shipped: float | None
    rebuilt: float | None
    status: str  # WITHIN, OUTSIDE, MISSING, NEW or TIMING

    @property
    def failed(self) -> bool:
        return self.status in FAILING

    @property
    def relative(self) -> float | None:
        """(rebuilt - shipped) / |shipped|; None when either is missing or shipped is 0."""
        if self.shipped is None or self.rebuilt is None or self.shipped == 0:
            return None
        return (self.rebuilt - self.shipped) / abs(self.shipped)


def numeric_leaves(value: Any, prefix: str = "") -> Iterator[tuple[str, float]]:
    """``(dotted path, number)`` for every int or float (not bool) inside nested dicts and
    lists; a list item's path part is its index."""
    if isinstance(value, bool):
        return
    if isinstance(value, (int, float)):
        yield prefix, float(value)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from numeric_leaves(item, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from numeric_leaves(item, f"{prefix}.{index}" if prefix else str(index))


def is_timing(metric: str) -> bool:
    return any(TIMING_PARTS & set(part.split("_")) for part in metric.split("."))


def within(shipped: float, rebuilt: float, tolerance: float = TOLERANCE,
           absolute_floor: float = ABSOLUTE_FLOOR) -> bool:
    if math.isnan(shipped) or math.isnan(rebuilt):
        return math.isnan(shipped) and math.isnan(rebuilt)
    return abs(rebuilt - shipped) <= max(tolerance * abs(shipped), absolute_floor)


def _models(manifest: Mapping[str, Any]) -> Mapping[str, Any]:
    """A whole manifest (``{"schema": 1, "models": {...}}``) or its ``models`` mapping."""
    models = manifest.get("models", manifest)
    return models if isinstance(models, Mapping) else {}


def compare_metrics(shipped: Mapping[str, Any], rebuilt: Mapping[str, Any], tolerance: float = TOLERANCE,
                    absolute_floor: float = ABSOLUTE_FLOOR) -> list[MetricComparison]:
    """One row per numeric metric of every model in ``rebuilt`` that ``shipped`` also has
    (models only one side has are not compared; see :func:`unmatched_models`), in model then
    shipped-metric order. Both arguments are manifests or their ``models`` mappings."""
    old, new = _models(shipped), _models(rebuilt)
    rows: list[MetricComparison] = []
    for name in sorted(set(old) & set(new)):
        before = dict(numeric_leaves(old[name].get("metrics") or {}))
        after = dict(numeric_leaves(new[name].get("metrics") or {}))
        for metric in [*before, *(m for m in after if m not in before)]:
            a, b = before.get(metric), after.get(metric)
            if a is None:
                status = NEW
            elif b is None:
                status = MISSING
            elif is_timing(metric):
                status = TIMING
            else:
                status = WITHIN if within(a, b, tolerance, absolute_floor) else OUTSIDE
            rows.append(MetricComparison(name, metric, a, b, status))
    return rows


def unmatched_models(shipped: Mapping[str, Any], rebuilt: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """(shipped models the rebuild lacks, rebuilt models that were never shipped)."""
    old, new = _models(shipped), _models(rebuilt)
    return sorted(set(old) - set(new)), sorted(set(new) - set(old))


def _number(value: float | None) -> str:
    if value is None:
        return "-"
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.6g}"


def format_comparison(rows: list[MetricComparison], tolerance: float = TOLERANCE) -> list[str]:
    """Readable lines: one per metric, grouped by model, then a summary line."""
    lines: list[str] = []
    widths: dict[str, int] = {}
    for row in rows:  # metric names aligned within each model
        widths[row.model] = max(widths.get(row.model, 0), len(row.metric))
    model = None
    for row in rows:
        if row.model != model:
            model = row.model
            lines.append(f"{model}:")
        width = widths[row.model]
        relative = "" if row.relative is None else f"{row.relative:+.2%}"
        lines.append(f"  {row.metric:<{width}}  shipped {_number(row.shipped):>12}  rebuilt "
                     f"{_number(row.rebuilt):>12}  {relative:>8}  {row.status}")
    failed = [row for row in rows if row.failed]
    judged = [row for row in rows if row.status in (WITHIN, OUTSIDE, MISSING)]
    lines.append(f"{len(judged) - len(failed)} of {len(judged)} metrics within {tolerance:.0%} of the shipped "
                 f"manifest" + (f"; {len(failed)} not: " + ", ".join(f"{r.model}:{r.metric}" for r in failed)
                                 if failed else ""))
    return lines
