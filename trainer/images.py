"""Reading photos for builders and evaluations (OpenCV reads by content, not extension)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np


def read_rgb(path: Path) -> np.ndarray:
    """RGB uint8 HxWx3; a file that is not an image raises FileNotFoundError."""
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise FileNotFoundError(path)
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
