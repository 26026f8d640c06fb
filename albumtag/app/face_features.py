"""Which stored face features the app reads: those of the face vector it computes now."""

from __future__ import annotations

from sqlalchemy import ColumnElement, func

from albumtag.embed.face_descriptor import FACE_FEATURE
from albumtag.embed.face_vector import FACE_VECTOR_SIZE
from albumtag.library.schema import Feature

FACE_VECTOR_BYTES = FACE_VECTOR_SIZE * 4  # stored as little-endian float32 (albumtag.library.vectors)


def current_face_features() -> ColumnElement[bool]:
    """Face features of the current vector's size. A new face descriptor changes the faces
    stage's version, so every photo is analysed again; until that import ends (or after one
    cancelled half way) the library holds vectors of both kinds, and the old ones are left
    out, as faces not described yet, rather than measured against the new."""
    return (Feature.kind == FACE_FEATURE) & (func.length(Feature.vector) == FACE_VECTOR_BYTES)
