"""Body descriptors: a small re-identification CNN (``python -m trainer parts``) on onnxruntime.

PIPER ("Beyond Frontal Faces") recognises people whose face is hidden or turned away from
their body; this is the body part's appearance vector. The graph takes float32 NHWC RGB
0..255 crops of 128x64 (height x width), normalises inside, averages the crop's and its
mirror image's embedding and returns it L2-normalised, so Euclidean distances lie in 0..2.
Crops of any size are resized here with Pillow (bilinear), exactly as the trainer resized
its training crops. ``combine`` joins it with the colour statistics of
``albumtag.embed.body_colour``, which help most when the same clothes are seen again.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PIL import Image

from albumtag.embed.body_colour import colour_stats_batch
from albumtag.runtime.inference_model import InferenceModel

INPUT_HEIGHT, INPUT_WIDTH = 128, 64
BATCH = 64  # crops per run: the net is small, so larger batches only cost memory
# The colour statistics' share in ``combine``: set before any measurement (bench/reid.py reports
# 0.25 and 1 beside it, for information only).
COLOUR_WEIGHT = 0.5


def resize_crop(crop: np.ndarray) -> np.ndarray:
    """RGB crop [H, W, 3] of any size -> uint8 [128, 64, 3] (the network's input geometry)."""
    crop = np.asarray(crop)
    if crop.ndim != 3 or crop.shape[2] != 3 or min(crop.shape[:2]) < 1:
        raise ValueError(f"expected an RGB crop [H, W, 3], got {crop.shape}")
    if crop.shape[:2] == (INPUT_HEIGHT, INPUT_WIDTH) and crop.dtype == np.uint8:
        return crop
    image = Image.fromarray(np.clip(crop, 0, 255).astype(np.uint8))
    return np.asarray(image.resize((INPUT_WIDTH, INPUT_HEIGHT), Image.Resampling.BILINEAR))


def prepare(crops: Sequence[np.ndarray]) -> np.ndarray:
    """Crops of any sizes -> float32 [N, 128, 64, 3] in 0..255, the graph's input."""
    if len(crops) == 0:
        return np.zeros((0, INPUT_HEIGHT, INPUT_WIDTH, 3), dtype=np.float32)
    return np.stack([resize_crop(crop) for crop in crops]).astype(np.float32)


def crop_body(image: np.ndarray, box: Sequence[float]) -> np.ndarray:
    """The part of ``image`` [H, W, 3] inside ``box`` (x1, y1, x2, y2 in pixels), clipped to
    the photo; body boxes predicted from a face often run past the bottom edge."""
    height, width = image.shape[:2]
    x1, y1 = max(0, round(box[0])), max(0, round(box[1]))
    x2, y2 = min(width, round(box[2])), min(height, round(box[3]))
    if x2 <= x1 or y2 <= y1:
        raise ValueError(f"box {tuple(box)} lies outside the {width}x{height} image")
    return np.ascontiguousarray(image[y1:y2, x1:x2])


class BodyDescriptor(InferenceModel):
    """Body crops -> L2-normalised appearance embeddings."""

    model_name = "body_descriptor"

    def describe(self, crops: Sequence[np.ndarray]) -> np.ndarray:
        """RGB crops (each [H, W, 3], any size) -> float32 [N, D], rows of unit length."""
        batch = prepare(crops)
        if len(batch) == 0:
            return np.zeros((0, self.embedding_size), dtype=np.float32)
        return self.run_in_batches(self.input_name, batch, BATCH).astype(np.float32)

    @property
    def embedding_size(self) -> int:
        return int(self.session.get_outputs()[0].shape[1])


def combine(embeddings: np.ndarray, colours: np.ndarray, colour_weight: float = COLOUR_WEIGHT) -> np.ndarray:
    """Learned embedding and colour statistics (both unit rows) -> one unit vector per crop.

    Squared distances of the result are a weighted sum of the parts' squared distances."""
    joined = np.concatenate([embeddings, colour_weight * colours], axis=1)
    return joined / np.maximum(np.linalg.norm(joined, axis=1, keepdims=True), 1e-12)


def describe_with_colour(model: BodyDescriptor, crops: Sequence[np.ndarray],
                         colour_weight: float = COLOUR_WEIGHT) -> np.ndarray:
    """The combined vector the app stores for a body: embedding plus colour statistics."""
    return combine(model.describe(crops), colour_stats_batch(list(crops)), colour_weight)
