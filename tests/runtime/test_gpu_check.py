"""bench/gpu_check.py on a machine without CUDA: the command says so and exits 0, and its
record-and-replay parity path gives identical outputs when the replay runs on the CPU too."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from albumtag.runtime.inference_model import InferenceModel
from albumtag.runtime.providers import CPU
from albumtag.vision.mtcnn_detector import MtcnnDetector
from bench.gpu_check import check_parity, onnx_models, record_runs, replay

REPO = Path(__file__).resolve().parents[2]
MTCNN = ("face_detector.onet", "face_detector.pnet", "face_detector.rnet")


def has_nvidia_gpu() -> bool:
    return Path("/dev/nvidiactl").exists() or shutil.which("nvidia-smi") is not None


@pytest.mark.skipif(has_nvidia_gpu(), reason="a GPU is here: run python -m bench.gpu_check itself (minutes)")
def test_without_cuda_the_command_says_so_and_exits_0(tmp_path: Path) -> None:
    out = tmp_path / "gpu.json"
    done = subprocess.run([sys.executable, "-m", "bench.gpu_check", "--json", str(out)], cwd=REPO,
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("no CUDA device found ("), done.stdout
    assert lines[0].endswith("): nothing to check") and "torch" in lines[0]
    report = json.loads(out.read_text())
    assert report["checked"] is False and report["steps"] == []
    assert report["cuda"]["ort_cuda"] is False and report["cuda"]["torch_cuda"] is False


def test_replay_on_a_second_cpu_session_gives_the_recorded_outputs(shared_data: Path) -> None:
    image = np.asarray(Image.open(shared_data / "faces-deepface" / "couple.jpg").convert("RGB"))
    detector = MtcnnDetector("cpu", threads=1)
    original = InferenceModel.run
    with record_runs(max_runs=3) as recordings:
        faces = detector.detect(image)
    assert InferenceModel.run is original  # the app's method is back as it was
    assert faces and set(recordings) == set(MTCNN)
    pnet = recordings["face_detector.pnet"]
    assert len(pnet.feeds) == 3 < pnet.runs  # one run per pyramid level, the first 3 kept
    for name in MTCNN:
        parity = replay(recordings[name], "cpu")
        assert parity.providers == [CPU] and parity.runs == len(recordings[name].feeds) > 0
        assert len(parity.max_abs_diff) == len(recordings[name].outputs[0]) >= 2
        assert parity.worst < 1e-6, (name, parity.max_abs_diff)
        assert all(scale > 0 for scale in parity.max_abs_reference.values())


@pytest.mark.slow
def test_the_parity_photos_exercise_every_shipped_onnx_model(shared_data: Path) -> None:
    result = check_parity(shared_data, device="cpu", max_runs=2)  # recorded and replayed on the CPU
    onnx, other = onnx_models()
    assert len(onnx) == 8 and "face_detector.pnet" in onnx and "body_box" in other
    assert result["failures"] == [] and result["missing_photos"] == []
    for name in onnx:
        assert 0 < result["models"][name]["runs"] <= 2, name
        assert max(result["models"][name]["max_abs_diff"].values()) < 1e-6, name
