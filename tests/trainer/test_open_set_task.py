"""``python -m trainer open-set`` on a few LFW people: writes the tail and its manifest entry."""

from __future__ import annotations

import json
from pathlib import Path

from albumtag.recognize.open_set import MODEL_NAME, load_tail
from trainer.cli import main


def test_open_set_task_smoke(tmp_path: Path, shared_data: Path) -> None:
    assert main(["open-set", "--out", str(tmp_path), "--set", f"shared_data={shared_data}",
                 "--set", "open_set_max_people=12", "--set", "open_set_per_person=4",
                 "--set", "open_set_album_people=[5]", "--set", "open_set_trials=2"]) == 0
    entry = json.loads((tmp_path / "manifest.json").read_text())["models"][MODEL_NAME]
    assert entry["metrics"]["impostor_pairs"] > 100
    assert 0.0 <= entry["metrics"]["held_out_far_5_people"] <= 1.0
    tail = load_tail(tmp_path)
    assert tail.threshold(10) >= tail.threshold(100) > 0.0
