"""`python -m trainer faces` end to end on a tiny subset: same model bytes, usable models."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from albumtag.runtime.manifest import load_manifest

pytest.importorskip("torch")
pytest.importorskip("dlib")
pytestmark = pytest.mark.trainer


def test_faces_task_rebuilds_the_shipped_models(tmp_path: Path, shared_data: Path) -> None:
    out = tmp_path / "models"
    result = subprocess.run([sys.executable, "-m", "trainer", "faces", "--out", str(out),
                             "--set", "alignment_people=15"], capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    built, shipped = load_manifest(out), load_manifest()
    for name in ("face_detector.pnet", "face_detector.rnet", "face_detector.onet", "face_descriptor",
                 "face_descriptor_sface"):
        assert built[name].sha256 == shipped[name].sha256, f"{name} differs from the shipped model"
    template = json.loads(built["face_alignment"].path(out).read_text())
    reference = json.loads(shipped["face_alignment"].path().read_text())
    # 30 faces instead of ~1,700: the same geometry within a couple of pixels of a 150 px chip.
    assert np.abs(np.array(template["points"]) - np.array(reference["points"])).max() < 3.0

    from albumtag.io.decode import decode_file, to_array
    from albumtag.vision.mtcnn_detector import MtcnnDetector

    image = to_array(decode_file(shared_data / "faces-knn/examples/knn_examples/train/biden/biden.jpg")[1])
    assert len(MtcnnDetector("cpu", models_root=out).detect(image)) == 1


def test_unknown_task_and_missing_config_are_clear_errors(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "trainer", "nonsense"], capture_output=True, text=True)
    assert result.returncode == 2 and "invalid choice" in result.stderr
    result = subprocess.run([sys.executable, "-m", "trainer", "faces", "--config", str(tmp_path / "none.yaml")],
                            capture_output=True, text=True)
    assert result.returncode != 0 and "config file not found" in result.stderr
