"""The poselet half of ``python -m trainer parts`` on every 100th training crop: the types it
writes load in the app, name their views, and fire on the poses they were made from."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from albumtag.vision.poselets import POSELETS_MODEL, fire, load_poselets
from trainer.cli import main
from trainer.config import load_config
from trainer.parts.poselets import OUTPUT, Region, canonical, type_names, view

pytestmark = pytest.mark.slow


def test_poselets_half_of_the_parts_task(tmp_path: Path, shared_data: Path) -> None:
    config = load_config("parts")
    config["poselets"]["every"] = 100
    small = tmp_path / "parts.yaml"
    small.write_text(json.dumps(config))  # JSON is YAML
    assert main(["parts", "--config", str(small), "--out", str(tmp_path / "models"),
                 "--set", "only=poselets", "--set", f"shared_data={shared_data}",
                 "--set", f"cache={tmp_path / 'cache'}"]) == 0
    assert (tmp_path / "models" / OUTPUT).is_file()
    entry = json.loads((tmp_path / "models" / "manifest.json").read_text())["models"][POSELETS_MODEL]
    assert entry["metrics"]["crops"] == 83 and entry["metrics"]["people_found"] > 60
    assert "bodies-cuhk03/val" in entry["source"]["never_trained_on"]
    poselets = load_poselets(tmp_path / "models")
    regions = config["poselets"]["regions"]
    assert len(poselets.types) == sum(spec["types"] for spec in regions.values())
    assert set(poselets.regions()) == set(regions)
    # A type's own canonical configuration, placed in a photo, fires that type.
    for part in poselets.types:
        keypoints = np.zeros((33, 3), dtype=np.float32)
        keypoints[list(part.keypoints), :2] = part.canonical * 3 + 50
        keypoints[:, 2] = 1.0
        assert part.name in [p.type.name for p in fire(poselets, keypoints, 1000, 1000)]


def test_unknown_half_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        main(["parts", "--out", str(tmp_path), "--set", "only=everything"])


def test_views_and_names() -> None:
    assert [view(g, 2.0, 0.25) for g in (1.5, -1.0, 0.3)] == ["frontal", "back", "profile"]
    region = Region("torso", (11, 12, 23, 24), 3, (64, 80), (0.1, 0.1, 0.9, 0.9))
    assert type_names(region, ["frontal", "back", "frontal"]) == ["torso_frontal_1", "torso_back", "torso_frontal_2"]
    placed = canonical(np.array([[1.0, -1.0], [-1.0, -1.0], [0.5, 1.0], [-0.5, 1.0]]), (64, 80), (0.1, 0.1, 0.9, 0.9))
    assert np.allclose(placed.min(axis=0), [6.4, 14.4]) and np.allclose(placed.max(axis=0), [57.6, 65.6])
