"""``personalise``: adapt recognition to one library, without labels where possible.

It re-fits the open-set calibration to the library's own population: faces seen together in
one photo are different people by construction, and a confirmed face is not any other named
person, whose suggestions are scored by the distance to the nearer of their template (the mean
of their confirmed faces) and their nearest confirmed face (``albumtag.recognize.adaptation``,
``app.browse.suggestion_score``); those distances, trusted in proportion to how many there are,
are blended over the shipped tail. The templates themselves need no step (a mean, taken when
a page is shown), nor do the part classifiers and the fusion weights: the app refits them
from the confirmed tags whenever the decisions change (``albumtag.app.identification``,
``albumtag.recognize.identify.learn_library_weights``, the shipped weights until each person
has enough confirmed instances). Re-solving the face head's commonality kernel joins this task
if the head ships (it loses to the plain descriptor today: trainer/README.md); removing the
library's common directions from the descriptor, whitening it, WCCN and per-person linear
models lost on people held out of every choice (bench/population.py, README).
"""

from __future__ import annotations

from collections import defaultdict
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select

from albumtag.embed.face_vector import FACE_VECTOR_SIZE, current_face_features
from albumtag.library.database import Library
from albumtag.library.library_info import store_open_set_tail, stored_open_set_tail
from albumtag.library.schema import CONFIRMED_BY, Feature, PersonInstance
from albumtag.library.vectors import from_blob
from albumtag.recognize.adaptation import impostor_distances as person_impostor_distances
from albumtag.recognize.open_set import ImpostorTail, library_or_shipped_tail, load_tail
from trainer.progress import ProgressReporter

PRIOR_PAIRS = 20_000  # the shipped tail counts as this many impostor pairs
MAX_NAMED_PAIRS = 200_000  # confirmed face to other named person distances, sampled when more


def _faces(library: Library) -> tuple[np.ndarray, list[int], list[int | None]]:
    """Face vectors with their photo and, for confirmed faces, their person."""
    with library.session() as session:
        rows = session.execute(select(Feature.vector, PersonInstance.photo_id, PersonInstance.person_id,
                                      PersonInstance.assigned_by)
                               .join(PersonInstance, PersonInstance.id == Feature.instance_id)
                               .where(current_face_features())).all()
    vectors = np.stack([from_blob(r[0]) for r in rows]) if rows else np.zeros((0, FACE_VECTOR_SIZE), np.float32)
    return vectors, [r[1] for r in rows], [r[2] if r[3] in CONFIRMED_BY else None for r in rows]


def same_photo_pairs(photos: list[int]) -> np.ndarray:
    """Index pairs ``[n, 2]`` of faces seen in one photo: different people."""
    by_photo: dict[int, list[int]] = defaultdict(list)
    for k, photo in enumerate(photos):
        by_photo[photo].append(k)
    pairs = [pair for faces in by_photo.values() for pair in combinations(faces, 2)]
    return np.array(pairs, dtype=np.int64).reshape(-1, 2)


def impostor_distances(vectors: np.ndarray, photos: list[int], people: list[int | None],
                       seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Distances known to be between different people: (faces of one photo, each confirmed face
    to every other named person as suggestions measure it; at most ``MAX_NAMED_PAIRS``)."""
    pairs = same_photo_pairs(photos)
    together = np.linalg.norm(vectors[pairs[:, 0]] - vectors[pairs[:, 1]], axis=1)
    named = np.array([k for k, p in enumerate(people) if p is not None], dtype=np.int64)
    if len({people[k] for k in named}) < 2:
        return together, np.zeros(0)
    _, index = np.unique([people[k] for k in named], return_inverse=True)
    return together, person_impostor_distances(vectors[named], index, MAX_NAMED_PAIRS, seed)


def personalise(config: dict[str, Any]) -> ImpostorTail:
    library = Library.open(Path(config["library"]), create=False)
    progress = ProgressReporter(total=3)
    try:
        with library.writer():
            progress.report(0, "Reading the library's faces")
            vectors, photos, people = _faces(library)
            progress.report(1, f"Comparing {len(vectors)} faces")
            together, to_people = impostor_distances(vectors, photos, people, config["seed"])
            distances = np.concatenate([together, to_people])
            weight = len(distances) / (len(distances) + PRIOR_PAIRS)
            tail = load_tail() if len(distances) == 0 else load_tail().blended(
                ImpostorTail.from_distances(distances), weight, version=f"library-{len(distances)}-pairs")
            progress.report(2, "Saving")
            before = library_or_shipped_tail(stored_open_set_tail(library)).threshold(100)
            store_open_set_tail(library, tail.to_json())
            progress.report(3, f"{len(distances)} impostor pairs from this library ({len(together)} faces seen "
                               f"together, {len(to_people)} confirmed faces to other named people; "
                               f"weight {weight:.2f}); acceptance distance at 100 faces {before:.3f} -> "
                               f"{tail.threshold(100):.3f}; suggestions are scored against each person's "
                               f"template (the mean of their confirmed faces) or nearest confirmed face")
    finally:
        library.close()
    return tail
