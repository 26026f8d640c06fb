"""Reading the instances a stage stores into, and writing an instance's stored descriptors
through its ``features`` collection.

Each stage owns some feature kinds (faces: ``face``; bodies: ``body`` and ``part:*``) and
replaces exactly those. Rows of a kind that stays are updated in place and only vanished kinds
are deleted, so one flush never holds an (instance, kind) pair twice, and a stage need not
flush between deleting old rows and adding new ones (three round trips a face, before).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from albumtag.library.schema import Feature, PersonInstance
from albumtag.library.vectors import to_blob


def instances_by_photo(session: Session, photo_ids: Sequence[int],
                       with_features: bool = False) -> dict[int, list[PersonInstance]]:
    """The instances of these photos, by photo id (in id order), read in one query for a
    stage's whole buffer of results (with their ``features`` loaded too when asked); photos
    without any are left out."""
    query = select(PersonInstance).where(PersonInstance.photo_id.in_(photo_ids)).order_by(PersonInstance.id)
    if with_features:
        query = query.options(selectinload(PersonInstance.features))
    found: dict[int, list[PersonInstance]] = {}
    for instance in session.scalars(query):
        found.setdefault(instance.photo_id, []).append(instance)
    return found


def replace_features(instance: PersonInstance, owned: Callable[[str], bool],
                     vectors: dict[str, tuple[int, np.ndarray]]) -> None:
    """Make the instance's features of the kinds ``owned`` accepts exactly ``vectors``:
    kind -> (model version id, descriptor). A new instance's collection is empty without a query."""
    current = {feature.kind: feature for feature in instance.features if owned(feature.kind)}
    for kind, feature in current.items():
        if kind not in vectors:
            instance.features.remove(feature)  # delete-orphan: the row goes at the flush
    for kind, (model_id, vector) in vectors.items():
        feature = current.get(kind)
        if feature is None:
            feature = Feature(kind=kind)
            instance.features.append(feature)
        feature.model_version_id = model_id
        feature.vector = to_blob(vector)
        feature.norm = float(np.linalg.norm(vector))
