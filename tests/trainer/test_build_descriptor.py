"""The descriptor builder: dlib's format is read right, and a rebuild reproduces the shipped
ONNX file byte for byte.

The builder canonicalises the export (no stack traces, sorted initializers), so the same
weights and exporter give the same sha256 wherever the checkout lies; the outputs are
compared first so that a failure says whether the difference is more than bytes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.trainer

pytest.importorskip("torch")


def test_dlib_primitives() -> None:
    from trainer.faces.dlib_dat import DatFormatError, _Stream

    # dlib's pack_int: control byte (byte count | 0x80 if negative), little-endian magnitude.
    stream = _Stream(bytes([0x01, 0x00, 0x81, 0x05, 0x02, 0x2C, 0x01]))
    assert [stream.integer(), stream.integer(), stream.integer()] == [0, -5, 300]
    # float_details: mantissa 3, exponent -1 -> 1.5; strings: length then bytes; bools: '0'/'1'.
    stream = _Stream(bytes([0x01, 0x03, 0x81, 0x01, 0x01, 0x03]) + b"abc1")
    assert (stream.real(), stream.string(), stream.boolean()) == (1.5, "abc", True)
    with pytest.raises(DatFormatError):
        _Stream(bytes([0x01])).integer()


def test_reads_the_shipped_weights() -> None:
    models = pytest.importorskip("face_recognition_models")
    from trainer.faces.dlib_dat import Conv, read_net
    from trainer.faces.dlib_resnet import dlib_layout

    net = read_net(Path(models.face_recognition_model_location()), dlib_layout())
    assert net.loss.distance_threshold == pytest.approx(0.6)
    assert net.input.mean == pytest.approx((122.782, 117.001, 104.298)) and net.input.size == (150, 150)
    convs = [layer for layer in net.layers if isinstance(layer, Conv)]
    assert len(convs) == 29 and convs[-1].filters.shape == (32, 3, 7, 7)


@pytest.mark.slow
@pytest.mark.reference
def test_rebuild_matches_shipped_model(tmp_path: Path) -> None:
    pytest.importorskip("onnx")
    pytest.importorskip("dlib")
    pytest.importorskip("face_recognition_models")
    from albumtag.runtime.manifest import load_manifest, sha256_of
    from trainer.config import load_config, resolve
    from trainer.faces import build_descriptor

    config = load_config("faces")
    config["out"] = str(tmp_path)
    build_descriptor.build(config)

    shipped = load_manifest()["face_descriptor"]
    rebuilt = load_manifest(tmp_path)["face_descriptor"]
    chips = build_descriptor.load_chips(resolve(config, "shared_data") / build_descriptor.PARITY_CHIPS)
    difference = np.abs(_descriptors(rebuilt.path(tmp_path), chips) - _descriptors(shipped.path(), chips))
    assert difference.max() < 1e-4, f"rebuilt model's outputs differ from the shipped one by {difference.max()}"
    assert sha256_of(rebuilt.path(tmp_path)) == shipped.sha256 == rebuilt.sha256
    assert rebuilt.version == shipped.version and rebuilt.source == shipped.source


def _descriptors(path: Path, chips: np.ndarray) -> np.ndarray:
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {"chips": chips.astype(np.float32)})[0]
