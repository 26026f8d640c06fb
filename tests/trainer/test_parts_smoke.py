"""The ``parts`` task on a tiny subset (CPU, a few steps): trains, resumes, exports, checks."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.trainer

from trainer.config import load_config  # noqa: E402
from trainer.parts.build_reid import NAME, OUTPUT, build  # noqa: E402
from trainer.parts.reid_data import PKSampler  # noqa: E402
from trainer.parts.train_reid import train  # noqa: E402


def smoke_config(tmp_path: Path, shared_data: Path) -> dict:
    config = load_config("parts", overrides=["smoke=true"])
    config.update(out=str(tmp_path / "models"), cache=str(tmp_path / "cache"), shared_data=str(shared_data))
    return config


def test_pk_sampler_batches() -> None:
    labels = np.repeat(np.arange(6), [1, 2, 3, 4, 5, 6])
    sampler = PKSampler(labels, people=3, per_person=2)
    batches = list(sampler.epoch(seed=1))
    assert len(batches) == sampler.batches == 3
    for batch in batches:
        assert len(batch) == 6 and len(set(labels[batch])) == 3
    assert all(np.array_equal(a, b) for a, b in zip(batches, sampler.epoch(seed=1)))


def test_parts_smoke_trains_resumes_and_exports(tmp_path: Path, shared_data: Path, capsys) -> None:
    config = smoke_config(tmp_path, shared_data)
    first = train(config)
    assert first.info["steps"] == 3 and np.isfinite(first.info["train_loss"])
    assert any(line.startswith('{"step"') for line in capsys.readouterr().out.splitlines())
    again = train(config)  # the finished checkpoint is reloaded, not retrained
    assert "resuming" in capsys.readouterr().out
    for a, b in zip(first.net.state_dict().values(), again.net.state_dict().values()):
        assert torch.equal(a, b)
    entry = build(config, evaluate=False)
    assert (tmp_path / "models" / OUTPUT).is_file()
    assert entry["metrics"]["onnx_vs_torch_max_abs_diff"] < 1e-4
    manifest = json.loads((tmp_path / "models" / "manifest.json").read_text())
    assert manifest["models"][NAME]["inputs"]["crops"]["layout"] == "NHWC"
