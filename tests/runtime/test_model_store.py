"""Models › Train: a new version folder, the trainer writing into it, activation and rollback."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from albumtag.app.training import finish_training, start_training
from albumtag.recognize.open_set import MODEL_NAME, load_tail
from albumtag.runtime import model_store
from albumtag.runtime.manifest import load_manifest
from albumtag.runtime.resources import bundled_models_dir, models_dir

SMOKE = ["--set", "open_set_max_people=12", "--set", "open_set_per_person=4",
         "--set", "open_set_album_people=[5]", "--set", "open_set_trials=2"]


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(model_store.STORE_ENV, str(tmp_path / "models"))
    return tmp_path / "models"


def test_a_cancelled_run_changes_nothing(store: Path) -> None:
    run = start_training("open-set")
    assert run.version.parent == store / "versions" and (run.version / "manifest.json").is_file()
    assert models_dir() == bundled_models_dir(), "not in use before it succeeded"
    finish_training(run, succeeded=False)
    assert not run.version.exists() and models_dir() == bundled_models_dir()


def test_a_trained_version_is_used_then_rolled_back(store: Path, shared_data: Path) -> None:
    bundled_tail = load_tail().to_json()
    run = start_training("open-set")
    command = [*run.command, "--set", f"shared_data={shared_data}", *SMOKE]
    finished = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert finished.returncode == 0, finished.stderr
    assert models_dir() == bundled_models_dir()
    finish_training(run, succeeded=True)
    assert models_dir() == run.version
    assert load_tail().to_json() != bundled_tail, "the new calibration is the one in use"
    manifest = json.loads((run.version / "manifest.json").read_text())["models"]
    bundled = load_manifest(bundled_models_dir())
    assert set(manifest) == set(bundled), "every other model is still there"
    assert manifest[MODEL_NAME]["sha256"] != bundled[MODEL_NAME].sha256
    assert model_store.rollback() is None and models_dir() == bundled_models_dir()
    assert run.version.is_dir(), "an earlier version stays for rolling forward again"


def test_unknown_task_is_refused(store: Path) -> None:
    with pytest.raises(ValueError, match="unknown task"):
        start_training("everything")
