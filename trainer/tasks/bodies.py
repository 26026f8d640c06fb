"""Task ``bodies``: person detector + pose landmarks (MediaPipe BlazePose -> ONNX), their
recall on the hand-checked group photos, and PIPER's face -> body box rule.

Weights come from the mediapipe wheel (fetched once with pip, never installed); the rule is
learned on shared photos with the models just built.
"""

from __future__ import annotations

from typing import Any

from trainer.tasks import register


@register("bodies", order=2)  # its body-box rule runs the face detector (faces)
def build_bodies(config: dict[str, Any]) -> None:
    from albumtag.vision.person_detector import PersonDetector
    from trainer.bodies import build_body_box, build_pose, evaluate
    from trainer.config import resolve

    build_pose.build(config)
    models_root = resolve(config, "out")
    detector = PersonDetector(device="cpu", models_root=models_root)
    metrics = evaluate.evaluate(detector, resolve(config, "shared_data"))
    evaluate.add_metrics(models_root, build_pose.DETECTOR.name, {"group_photos": metrics})
    build_body_box.build(config)
