"""From a system's answers to the figures ``albumtag-bench`` prints and saves."""

from __future__ import annotations

from typing import Any

import numpy as np

from albumtag.evaluation.metrics import (
    bcubed,
    distance_matrix,
    kshot_accuracy,
    open_set_far,
    singletons_for_missing,
)
from albumtag.evaluation.photo_sets import LabelledPhoto
from albumtag.evaluation.run_result import SystemRun

OPEN_SET_ENROL = 5  # photos enrolled per person in the leave-one-person-out trial

KEYS = ("people", "photos", "detection_rate", "bcubed_precision", "bcubed_recall", "bcubed_f1",
        "clusters", "kshot_1", "kshot_5", "open_set_far", "photos_per_s", "peak_rss_mb")
HIGHER_IS_BETTER = {"detection_rate", "bcubed_precision", "bcubed_recall", "bcubed_f1", "kshot_1",
                    "kshot_5", "photos_per_s"}


def _kshot(labels: list[str | None], distances: np.ndarray, k: int) -> float | None:
    try:
        return kshot_accuracy(labels, distances, k)
    except ValueError:  # nobody has more than k photos: the figure does not exist
        return None


def figures(photos: list[LabelledPhoto], run: SystemRun) -> dict[str, Any]:
    labels = [p.label for p in photos]
    scored = np.array([y is not None for y in labels])
    clusters = singletons_for_missing(run.clusters)
    quality = bcubed(labels, clusters)
    distances = distance_matrix(run.vectors, run.found)
    people = {y for y in labels if y is not None}
    threshold = run.threshold_for(OPEN_SET_ENROL * (len(people) - 1))
    total = run.seconds.get("total", 0.0)
    return {
        "people": len(people),
        "photos": int(scored.sum()),
        "distractors": int((~scored).sum()),
        "detection_rate": float(run.found[scored].mean()),
        "faces": run.faces,
        "bcubed_precision": quality.precision,
        "bcubed_recall": quality.recall,
        "bcubed_f1": quality.f1,
        "clusters": len({c for c, s in zip(clusters, scored) if s}),
        "kshot_1": _kshot(labels, distances, 1),
        "kshot_5": _kshot(labels, distances, 5),
        "open_set_far": open_set_far(labels, distances, threshold, OPEN_SET_ENROL) if len(people) > 1 else None,
        "threshold": threshold,
        "photos_per_s": len(photos) / total if total else None,
        "stage_photos_per_s": {stage: len(photos) / s for stage, s in run.seconds.items() if s > 0},
        "seconds": run.seconds,
        "peak_rss_mb": run.peak_rss_mb,
    }


def ratios(ours: dict[str, Any], theirs: dict[str, Any]) -> dict[str, float | None]:
    """ours / theirs for every numeric headline figure (None where theirs is 0 or missing)."""
    out: dict[str, float | None] = {}
    for key in KEYS:
        a, b = ours.get(key), theirs.get(key)
        out[key] = a / b if isinstance(a, (int, float)) and isinstance(b, (int, float)) and b else None
    return out


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"
    return str(value)


def table(results: dict[str, dict[str, Any]]) -> str:
    """One row per headline figure, one column per system (and ours/theirs when both ran)."""
    systems = [s for s in ("albumtag", "reference", "ratio") if s in results]
    lines = [f"{'':<18}" + "".join(f"{s:>12}" for s in systems)]
    for key in KEYS:
        lines.append(f"{key:<18}" + "".join(f"{_cell(results[s].get(key)):>12}" for s in systems))
    for system in ("albumtag", "reference"):
        if system in results:
            stages = ", ".join(f"{k} {v:.1f}" for k, v in results[system]["stage_photos_per_s"].items())
            lines.append(f"{system} photos/s per stage: {stages}")
    return "\n".join(lines)
