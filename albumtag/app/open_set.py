"""The library's open-set calibration: the shipped impostor tail, or the one ``personalise``
fitted to this library's own faces (stored in the library, so it travels with it)."""

from __future__ import annotations

from sqlalchemy import func, select

from albumtag.embed.face_vector import current_face_features
from albumtag.library.database import Library
from albumtag.library.library_info import stored_open_set_tail
from albumtag.library.schema import CONFIRMED_BY, Feature, PersonInstance
from albumtag.recognize.open_set import DEFAULT_FAR, library_or_shipped_tail


def enrolled_faces(library: Library) -> int:
    """Faces confirmed by the user or imported tags: the gallery a stranger is compared with.
    Only faces with a descriptor count (an imported region the detector missed has none)."""
    with library.session() as session:
        return session.scalar(select(func.count(PersonInstance.id)).join(
            Feature, (Feature.instance_id == PersonInstance.id) & current_face_features()).where(
            PersonInstance.assigned_by.in_(CONFIRMED_BY))) or 0


def acceptance_distance(library: Library, far: float = DEFAULT_FAR) -> float:
    """Below this face distance a face is taken for an enrolled person: the stated
    false-accept rate at the library's current number of enrolled faces."""
    return library_or_shipped_tail(stored_open_set_tail(library)).threshold(enrolled_faces(library), far)
