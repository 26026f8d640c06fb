"""Face descriptors: dlib's ResNet (``dlib_face_recognition_resnet_model_v1``) on onnxruntime,
each chip averaged with its mirror image.

The graph (built by ``python -m trainer faces``) takes aligned chips exactly as dlib cuts
them (``get_face_chip`` geometry: 150 px, padding 0.25) as float32 NHWC RGB in 0..255 and
does dlib's own normalisation inside. Its output is 1.03 times the mean of dlib's
``compute_face_descriptor`` of the chip and of its mirror image
(``trainer.faces.build_descriptor.MirrorAveraged``): a raw 128-d vector, not re-normalised,
on which one person's faces lie closer together than on dlib's, and whose Euclidean
distances keep dlib's meaning (two chips of one person are usually closer than 0.6). Neither
torch nor dlib is needed here.
"""

from __future__ import annotations

import numpy as np

from albumtag.runtime.inference_model import InferenceModel

CHIP_SIZE = 150
EMBEDDING_SIZE = 128
FACE_FEATURE = "face"  # the library's feature kind for these descriptors
MATCH_DISTANCE = 0.6  # dlib's threshold: Euclidean distance below it means "same person"
BATCH = 32  # chips per run: large enough to amortise per-run overhead, small enough for memory


class FaceDescriptor(InferenceModel):
    """Aligned face chips -> dlib's 128-d face descriptors."""

    model_name = "face_descriptor"

    def describe(self, chips: np.ndarray) -> np.ndarray:
        """``[N, 150, 150, 3]`` RGB chips (uint8, or float in 0..255) -> float32 ``[N, 128]``.

        A single chip ``[150, 150, 3]`` is accepted too and gives ``[1, 128]``."""
        chips = np.asarray(chips)
        return describe_chips(self, chips[None] if chips.ndim == 3 else chips, CHIP_SIZE, EMBEDDING_SIZE, BATCH)


def describe_chips(model: InferenceModel, chips: np.ndarray, size: int, width: int, batch: int) -> np.ndarray:
    """A face descriptor's ``[N, width]`` float32 vectors for ``[N, size, size, 3]`` chips (its
    graph input ``chips``), ``batch`` at a time. The chip geometry is checked here: a wrong size
    would otherwise fail deep in onnxruntime."""
    if chips.ndim != 4 or chips.shape[1:] != (size, size, 3):
        raise ValueError(f"expected chips [N, {size}, {size}, 3], got {chips.shape}")
    if len(chips) == 0:
        return np.zeros((0, width), dtype=np.float32)
    return model.run_in_batches("chips", chips, batch)


def distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Euclidean distance between descriptors (broadcasting), the measure dlib's 0.6 is for."""
    return np.linalg.norm(np.asarray(a, np.float32) - np.asarray(b, np.float32), axis=-1)
