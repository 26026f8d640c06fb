"""The ``face-head`` experiment (trainer.face_head) on CPU in well under a minute: the K_r
solver recovers a planted common direction, personalised kernels are orthogonal to K_r, and
one epoch on a few real LFW training people (through the app's face pipeline) writes a
checkpoint that a longer run resumes from, with the options off and with QAFace weighting and
set templates on (their own tests: test_face_head_options.py)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.trainer

from trainer.config import load_config  # noqa: E402
from trainer.face_head.data import load_split  # noqa: E402
from trainer.face_head.model import FaceHead, apply_kernels, personalise, solve_commonality  # noqa: E402
from trainer.face_head.train import train  # noqa: E402


def planted(n: int, d: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """n kernels sharing one direction u (a consistent component) plus small random rest."""
    rng = np.random.default_rng(seed)
    u = rng.normal(size=d)
    u /= np.linalg.norm(u)
    rest = rng.normal(scale=0.3, size=(n, d))
    rest -= np.outer(rest @ u, u)
    return 2.0 * u + rest + rng.normal(scale=0.05, size=(n, d)) * u, u


def test_commonality_recovers_planted_direction() -> None:
    kernels, u = planted(200, 9, seed=0)
    common = solve_commonality(torch.from_numpy(kernels)).numpy()
    assert common.shape == (9,)
    assert abs(np.linalg.norm(common) - 1) < 1e-6
    assert abs(common @ u) > 0.99  # up to sign

    # Per channel at once: [n, C, d] -> [C, d], each channel its own direction.
    stacked, directions = zip(*(planted(200, 9, seed=s) for s in range(4)))
    per_channel = solve_commonality(torch.from_numpy(np.stack(stacked, axis=1))).numpy()
    assert per_channel.shape == (4, 9)
    assert np.all(np.abs((per_channel * np.stack(directions)).sum(axis=1)) > 0.99)


def test_personalised_kernels_orthogonal_to_common() -> None:
    torch.manual_seed(0)
    kernels = torch.randn(5, 8, 9, dtype=torch.float64)
    common = solve_commonality(torch.randn(50, 8, 9, dtype=torch.float64))
    personal = personalise(kernels, common)
    assert torch.allclose((personal * common).sum(dim=-1), torch.zeros(5, 8, dtype=torch.float64), atol=1e-12)
    # Removing K_r again changes nothing; applying gives one value per channel.
    assert torch.allclose(personalise(personal, common), personal)
    head = FaceHead(classes=3, channels=8)
    features, generated = head.features(torch.randn(2, 8, 2, 2), common.float())
    assert features.shape == (2, 8) and generated.shape == (2, 8, 9)
    maps = torch.rand(1, 8, 2, 2, dtype=torch.float64)
    # The depthwise application equals a grouped conv2d (padding 1) + global max pooling.
    grouped = torch.nn.functional.conv2d(maps.reshape(1, 8, 2, 2), kernels[:1].reshape(8, 1, 3, 3),
                                         padding=1, groups=8).reshape(1, 8, -1).amax(dim=2)
    assert torch.allclose(apply_kernels(maps, kernels[:1]), grouped)
    # A kernel that is K_r itself is removed entirely: its channel's response is zero.
    assert torch.allclose(apply_kernels(maps, personalise(common[None].clone(), common)),
                          torch.zeros(1, 8, dtype=torch.float64))


OPTIONS = {"plain": ["quality_weighting=false", "set_template=false"],
           "qaface+sets": ["quality_weighting=true", "set_template=true"]}


@pytest.mark.parametrize("options", OPTIONS.values(), ids=OPTIONS.keys())
def test_one_epoch_checkpoint_then_resume(tmp_path: Path, shared_data: Path, capsys: pytest.CaptureFixture[str],
                                          options: list[str]) -> None:
    config = load_config("face-head", overrides=["epochs=1", "batch=8", "max_people=4", "max_per_person=4",
                                                 *options])
    lfw = shared_data / "faces-lfw"
    data = load_split(lfw, tmp_path / "cache", True, max_people=4, max_per_person=4)
    assert len(data.people) == 4 and data.maps.shape[1:] == (256, 2, 2) and data.found.sum() >= 8
    assert np.all(data.maps[data.found] >= 0)  # after the last block's ReLU

    folder = tmp_path / "cache" / "face-head"
    first, summary = train(config, data, folder)
    # The set loss trained the attention away from its zero (plain-mean) start.
    assert (first.template is not None) == config["set_template"]
    assert first.template is None or float(first.template.score.weight.detach().abs().sum()) > 0
    checkpoint = folder / summary["checkpoint"]
    assert checkpoint.is_file() and torch.load(checkpoint, weights_only=False)["epoch"] == 1
    steps = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith('{"step"')]
    per_epoch = summary["steps"]
    assert [s["step"] for s in steps] == list(range(1, per_epoch + 1))

    # The same run again reloads the finished checkpoint: no step, the same weights.
    again, _ = train(config, data, folder)
    assert not [line for line in capsys.readouterr().out.splitlines() if line.startswith('{"step"')]
    for a, b in zip(first.state_dict().values(), again.state_dict().values()):
        assert torch.equal(a, b)

    # A 2-epoch run of otherwise equal settings has its own checkpoint; killed after epoch 1
    # (simulated by copying that state in), it resumes with epoch 2 only, and matches a run
    # that was never interrupted.
    longer = {**config, "epochs": 2}
    straight, long_summary = train(longer, data, tmp_path / "straight")
    capsys.readouterr()
    interrupted = tmp_path / "interrupted"
    interrupted.mkdir()
    state = torch.load(tmp_path / "straight" / long_summary["checkpoint"], weights_only=False)

    class Killed(Exception):
        pass

    # Killed by the first progress report of epoch 2, i.e. after epoch 1's checkpoint.
    steps_per_epoch = long_summary["steps"] // 2
    import trainer.face_head.train as train_module
    original = train_module.ProgressReporter.report

    def report(self, step, *args, **kwargs):
        original(self, step, *args, **kwargs)
        if step == steps_per_epoch + 1:
            raise Killed

    train_module.ProgressReporter.report = report
    try:
        with pytest.raises(Killed):
            train(longer, data, interrupted)
    finally:
        train_module.ProgressReporter.report = original
    saved = torch.load(interrupted / long_summary["checkpoint"], weights_only=False)
    assert saved["epoch"] == 1
    capsys.readouterr()
    resumed, _ = train(longer, data, interrupted, log=print)
    out = capsys.readouterr().out
    assert "resuming" in out and "after epoch 1/2" in out
    steps = [json.loads(line)["step"] for line in out.splitlines() if line.startswith('{"step"')]
    assert steps == list(range(steps_per_epoch + 1, 2 * steps_per_epoch + 1))
    assert state["epoch"] == 2
    for a, b in zip(straight.state_dict().values(), resumed.state_dict().values()):
        assert torch.allclose(a, b, atol=1e-6)


def test_the_head_exports_to_onnx_with_k_r_an_input(tmp_path: Path, shared_data: Path) -> None:
    """The exported head gives torch's features on real faces' maps, and K_r is an input: a K_r
    solved from other faces (as an app would from its own library) changes the features."""
    import onnxruntime as ort

    from trainer.face_head.export import PARITY_BOUND, export_head

    data = load_split(shared_data / "faces-lfw", tmp_path / "cache", True, max_people=4, max_per_person=4)
    maps = data.maps[data.found]
    torch.manual_seed(0)
    head = FaceHead(classes=4).eval()
    with torch.no_grad():
        kernels = head.kernels(torch.from_numpy(maps))
    common = solve_commonality(kernels)
    parity = export_head(head, maps, common, tmp_path / "head.onnx")
    assert parity["faces"] == len(maps) and parity["onnx_vs_torch_max_abs_diff"] < PARITY_BOUND

    session = ort.InferenceSession(str(tmp_path / "head.onnx"), providers=["CPUExecutionProvider"])
    feature, out_kernels = session.run(None, {"maps": maps, "common": common.numpy()})
    assert feature.shape == (len(maps), 256) and np.allclose(out_kernels, kernels.numpy(), atol=1e-5)
    other = solve_commonality(kernels[: len(maps) // 2])
    assert not np.allclose(session.run(None, {"maps": maps, "common": other.numpy()})[0], feature, atol=1e-4)


def test_cached_maps_are_not_reused_after_the_face_models_change(tmp_path: Path, shared_data: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The face head's data cache is keyed by the detector's and template's versions too: a
    rebuilt detector cuts the chips again instead of reading the old model's maps."""
    from albumtag.vision.mtcnn_detector import MtcnnDetector

    lfw = shared_data / "faces-lfw"
    first = load_split(lfw, tmp_path, True, max_people=2, max_per_person=2)
    assert len(list(tmp_path.iterdir())) == 1
    np.testing.assert_array_equal(load_split(lfw, tmp_path, True, max_people=2, max_per_person=2).maps, first.maps)

    monkeypatch.setattr(MtcnnDetector, "version", property(lambda _: "rebuilt"))
    load_split(lfw, tmp_path, True, max_people=2, max_per_person=2)
    assert len(list(tmp_path.iterdir())) == 2
