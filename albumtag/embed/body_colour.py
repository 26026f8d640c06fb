"""Colour statistics of a body crop: cheap, needs only numpy, and complements the learned
body descriptor (clothes colour is the strongest single cue for "same person, same day").

The crop is cut into horizontal stripes (head, torso, legs at finer grain) and each stripe
gets an HSV histogram: saturated pixels vote in hue x saturation x value bins, greyish or
dark pixels (whose hue is noise) in a few brightness bins only. Pixels are weighted by a
horizontal Gaussian so the background at the sides of a box counts less. Each stripe's
histogram is square-rooted (Hellinger kernel, robust to one dominant colour) and the whole
vector is L2-normalised, so Euclidean distance ranks like cosine distance.
"""

from __future__ import annotations

import numpy as np

STRIPES = 6
HUE_BINS, SAT_BINS, VAL_BINS = 8, 2, 2
GREY_BINS = 4
MIN_SATURATION = 0.25  # below this, or below MIN_VALUE, a pixel's hue is unreliable
MIN_VALUE = 0.2
CENTRE_SIGMA = 0.35  # of the crop width
COLOUR_BINS = HUE_BINS * SAT_BINS * VAL_BINS + GREY_BINS
COLOUR_SIZE = STRIPES * COLOUR_BINS


def rgb_to_hsv(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """uint8 (or 0..255 float) RGB [..., 3] -> hue in [0, 1), saturation and value in [0, 1]."""
    rgb = np.asarray(rgb, dtype=np.float32) / 255.0
    value = rgb.max(axis=-1)
    chroma = value - rgb.min(axis=-1)
    saturation = np.where(value > 0, chroma / np.maximum(value, 1e-6), 0.0)
    safe = np.maximum(chroma, 1e-6)
    red, green, blue = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    hue = np.where(value == red, (green - blue) / safe,
                   np.where(value == green, 2.0 + (blue - red) / safe, 4.0 + (red - green) / safe))
    return (hue / 6.0) % 1.0, saturation, value


def _bins(hue: np.ndarray, saturation: np.ndarray, value: np.ndarray) -> np.ndarray:
    """The histogram bin of every pixel: chromatic bins first, then the grey ramp."""
    h = np.minimum((hue * HUE_BINS).astype(np.int64), HUE_BINS - 1)
    s = np.minimum(((saturation - MIN_SATURATION) / (1 - MIN_SATURATION) * SAT_BINS).astype(np.int64), SAT_BINS - 1)
    v = np.minimum(((value - MIN_VALUE) / (1 - MIN_VALUE) * VAL_BINS).astype(np.int64), VAL_BINS - 1)
    chromatic = (h * SAT_BINS + np.maximum(s, 0)) * VAL_BINS + np.maximum(v, 0)
    grey = HUE_BINS * SAT_BINS * VAL_BINS + np.minimum((value * GREY_BINS).astype(np.int64), GREY_BINS - 1)
    is_colour = (saturation >= MIN_SATURATION) & (value >= MIN_VALUE)
    return np.where(is_colour, chromatic, grey)


def colour_stats(crop: np.ndarray) -> np.ndarray:
    """RGB body crop [H, W, 3] (uint8, any size) -> float32 [COLOUR_SIZE], L2-normalised."""
    crop = np.asarray(crop)
    if crop.ndim != 3 or crop.shape[2] != 3 or min(crop.shape[:2]) < 1:
        raise ValueError(f"expected an RGB crop [H, W, 3], got {crop.shape}")
    height, width = crop.shape[:2]
    bins = _bins(*rgb_to_hsv(crop))
    x = (np.arange(width) + 0.5) / width - 0.5
    weights = np.broadcast_to(np.exp(-0.5 * (x / CENTRE_SIGMA) ** 2), (height, width))
    stripe = np.minimum(np.arange(height) * STRIPES // height, STRIPES - 1)
    index = (stripe[:, None] * COLOUR_BINS + bins).ravel()
    histogram = np.bincount(index, weights=weights.ravel(), minlength=COLOUR_SIZE).reshape(STRIPES, -1)
    histogram /= np.maximum(histogram.sum(axis=1, keepdims=True), 1e-12)
    vector = np.sqrt(histogram).ravel().astype(np.float32)
    return vector / max(float(np.linalg.norm(vector)), 1e-12)


def colour_stats_batch(crops: list[np.ndarray]) -> np.ndarray:
    """Several crops (each any size) -> float32 [N, COLOUR_SIZE]."""
    if not crops:
        return np.zeros((0, COLOUR_SIZE), dtype=np.float32)
    return np.stack([colour_stats(crop) for crop in crops])
