"""The re-ID CNN under torchrun: each rank's deterministic share of an epoch's batches, and
``python -m torch.distributed.run --nproc_per_node=2 -m trainer parts`` on CPU (gloo) over a
tiny subset (smoke: 12 people, 3 batches dealt to 2 ranks, 1 epoch; about 20 s), where only
rank 0 prints progress and writes the checkpoint, the ONNX file and the manifest."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from trainer.distributed import shard

REPO = Path(__file__).resolve().parents[2]


def test_each_rank_takes_every_nth_batch_and_as_many_steps_as_the_others() -> None:
    batches = list("abcde")
    shares = [shard(batches, rank, 2) for rank in range(2)]
    assert shares == [["a", "c", "e"], ["b", "d", "a"]]  # padded by wrapping, as DistributedSampler does
    assert shard(batches, 0, 1) == batches and shard([], 1, 2) == []
    thirds = [shard(batches, rank, 3) for rank in range(3)]
    assert {b for share in thirds for b in share} == set(batches) and {len(s) for s in thirds} == {2}


@pytest.mark.slow
@pytest.mark.trainer
def test_parts_trains_under_torchrun_on_two_cpu_processes(tmp_path: Path, shared_data: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    torch = pytest.importorskip("torch")
    from trainer.config import load_config
    from trainer.parts.build_reid import NAME, OUTPUT
    from trainer.parts.train_reid import checkpoint_path, effective_config

    out, cache = tmp_path / "models", tmp_path / "cache"
    settings = ["smoke=true", "only=reid", "evaluate=false", "threads=1", f"cache={cache}",
                f"shared_data={shared_data}"]
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
               "-m", "trainer", "parts", "--device", "cpu", "--out", str(out)]
    for item in settings:
        command += ["--set", item]
    result = subprocess.run(command, capture_output=True, text=True, cwd=REPO, timeout=240,
                            env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]

    progress = [json.loads(line) for line in result.stdout.splitlines() if line.startswith('{"step"')]
    assert len(progress) == 1, result.stdout  # rank 0 alone reports
    assert progress[0]["step"] == progress[0]["total"] == 2  # 3 batches over 2 ranks: 2 steps each
    assert result.stdout.count(f"{NAME}: onnx vs torch") == 1

    monkeypatch.setenv("WORLD_SIZE", "2")  # the world size is part of the checkpoint's name
    expected = checkpoint_path(effective_config(load_config("parts", overrides=settings)))
    assert [p.name for p in (cache / "parts").iterdir()] == [expected.name]
    state = torch.load(expected, map_location="cpu", weights_only=False)
    assert state["epoch"] == 1 and len(state["people"]) == 12
    assert not any(key.startswith("module.") for key in state["model"])  # the bare model, not the DDP wrapper

    assert (out / OUTPUT).is_file()
    entry = json.loads((out / "manifest.json").read_text())["models"][NAME]
    assert entry["source"]["training"]["world_size"] == 2 and entry["source"]["training"]["steps"] == 2
    assert entry["metrics"]["onnx_vs_torch_max_abs_diff"] < 1e-4 and "val" not in entry["metrics"]
