"""``python -m trainer fusion`` on three identities per side (CPU, well under a minute): the
weights file and its manifest entry are written, load in the app, are finite, non-negative
and keyed by feature kind, and the held-out check reports both default and uniform weights."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from albumtag.recognize.fusion import MODEL_NAME, body_acceptance, shipped_body_tail, shipped_weights
from albumtag.recognize.identify import GLOBAL_KIND, PiperIdentifier, gather
from albumtag.runtime.manifest import model_entry
from trainer.cli import main
from trainer.recognition.build_fusion import OUTPUT

pytestmark = pytest.mark.slow


def test_fusion_task_smoke(tmp_path: Path, shared_data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "models"
    assert main(["fusion", "--out", str(out), "--set", f"shared_data={shared_data}",
                 "--set", f"cache={tmp_path / 'cache'}", "--set", "fusion_max_people=3",
                 "--set", "fusion_albums=1", "--set", "fusion_eval_albums=1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    progress = [json.loads(line) for line in lines if line.startswith('{"step"')]
    assert [p["step"] for p in progress] == list(range(1, 7)) and progress[-1]["total"] == 6

    document = json.loads((out / OUTPUT).read_text())
    weights = document["weights"]
    assert list(weights)[:2] == [GLOBAL_KIND, "face"]
    assert all(kind.startswith("part:") for kind in list(weights)[2:]) and len(weights) > 2
    assert all(np.isfinite(w) and w >= 0 for w in weights.values()) and sum(weights.values()) > 0
    assert shipped_weights(out) == weights  # what the app reads
    tail = shipped_body_tail(out)  # the body open set, in the same file
    assert tail is not None and 0 < body_acceptance(tail, 10) < body_acceptance(tail, 1) < 2

    entry = model_entry(MODEL_NAME, out)
    assert entry.file == OUTPUT.as_posix() and entry.version.startswith("fusion-v1-")
    assert "faces-lfw held-out half" in entry.source["never_trained_on"]
    assert any("evaluation half" in item for item in entry.source["never_trained_on"])
    held_out = entry.metrics["held_out"]
    assert set(held_out["top1"]) == {"0%", "50%", "90%"}
    for row in held_out["top1"].values():
        assert 0.0 <= row["default"] <= 1.0 and 0.0 <= row["uniform"] <= 1.0
    body = entry.metrics["body_open_set"]
    assert body["target_far"] == 0.01 and body["impostor_pairs"] > 0
    by_count = body["held_out"]["by_confirmed_bodies"]
    assert set(by_count) == {"1", "3", "10"}
    for n, row in by_count.items():
        assert row["threshold"] == round(body_acceptance(tail, int(n)), 4)
        assert 0.0 <= row["far"] <= 1.0 and 0.0 <= row["tar_other_camera"] <= 1.0 and row["genuine_queries"] > 0

    # The app's identifier takes them for its kinds; a kind the file lacks gets the part mean.
    rng = np.random.default_rng(0)
    vectors = [{"body": rng.normal(size=4), "face": rng.normal(size=3), "part:never_seen": rng.normal(size=2)}
               for _ in range(4)]
    train = gather(vectors, {"body": 4, "face": 3, "part:never_seen": 2})
    model = PiperIdentifier.fit(train, np.array([0, 0, 1, 1]), 2, models_root=out)
    part_mean = np.mean([w for k, w in weights.items() if k != GLOBAL_KIND])
    assert np.allclose(model.weights, [weights["body"], weights["face"], part_mean])
