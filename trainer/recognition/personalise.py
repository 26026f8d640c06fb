"""``personalise``: adapt recognition to one library, without labels where possible.

It re-fits the open-set calibration to the library's own population: faces seen together in
one photo are different people by construction, and confirmed faces of different named people
are too; their distances, trusted in proportion to how many there are, are blended over the
shipped tail. The part classifiers and the fusion weights need no step here: the app refits
them from the confirmed tags whenever the decisions change (``albumtag.app.identification``,
``albumtag.recognize.identify.learn_library_weights``, the shipped weights until each person
has enough confirmed instances). Re-solving the face head's commonality kernel joins this task
if the head ships (it loses to the plain descriptor today: trainer/README.md).
"""

from __future__ import annotations

from collections import defaultdict
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select

from albumtag.embed.face_descriptor import FACE_FEATURE
from albumtag.library.database import Library
from albumtag.library.library_info import store_open_set_tail, stored_open_set_tail
from albumtag.library.schema import CONFIRMED_BY, Feature, PersonInstance
from albumtag.library.vectors import from_blob
from albumtag.recognize.open_set import ImpostorTail, library_or_shipped_tail, load_tail
from trainer.progress import ProgressReporter

PRIOR_PAIRS = 20_000  # the shipped tail counts as this many impostor pairs
MAX_NAMED_PAIRS = 200_000  # sampled when a large library has more


def _faces(library: Library) -> tuple[np.ndarray, list[int], list[int | None]]:
    """Face vectors with their photo and, for confirmed faces, their person."""
    with library.session() as session:
        rows = session.execute(select(Feature.vector, PersonInstance.photo_id, PersonInstance.person_id,
                                      PersonInstance.assigned_by)
                               .join(PersonInstance, PersonInstance.id == Feature.instance_id)
                               .where(Feature.kind == FACE_FEATURE)).all()
    vectors = np.stack([from_blob(r[0]) for r in rows]) if rows else np.zeros((0, 128), np.float32)
    return vectors, [r[1] for r in rows], [r[2] if r[3] in CONFIRMED_BY else None for r in rows]


def impostor_pairs(photos: list[int], people: list[int | None], seed: int = 0) -> np.ndarray:
    """Index pairs ``[n, 2]`` of faces known to be different people."""
    by_photo: dict[int, list[int]] = defaultdict(list)
    for k, photo in enumerate(photos):
        by_photo[photo].append(k)
    pairs = [pair for faces in by_photo.values() for pair in combinations(faces, 2)]
    named = np.array([k for k, p in enumerate(people) if p is not None], dtype=np.int64)
    if len(named) > 1:
        rng = np.random.default_rng(seed)
        a, b = rng.choice(named, (2, min(MAX_NAMED_PAIRS, len(named) ** 2)))
        keep = np.array([people[i] != people[j] for i, j in zip(a, b)], dtype=bool)
        pairs += list(zip(a[keep].tolist(), b[keep].tolist()))
    return np.array(sorted(set(pairs)), dtype=np.int64).reshape(-1, 2)


def personalise(config: dict[str, Any]) -> ImpostorTail:
    library = Library.open(Path(config["library"]), create=False)
    progress = ProgressReporter(total=3)
    try:
        with library.writer():
            progress.report(0, "Reading the library's faces")
            vectors, photos, people = _faces(library)
            progress.report(1, f"Comparing {len(vectors)} faces")
            pairs = impostor_pairs(photos, people, config["seed"])
            distances = np.linalg.norm(vectors[pairs[:, 0]] - vectors[pairs[:, 1]], axis=1)
            weight = len(distances) / (len(distances) + PRIOR_PAIRS)
            tail = load_tail() if len(distances) == 0 else load_tail().blended(
                ImpostorTail.from_distances(distances), weight, version=f"library-{len(distances)}-pairs")
            progress.report(2, "Saving")
            before = library_or_shipped_tail(stored_open_set_tail(library)).threshold(100)
            store_open_set_tail(library, tail.to_json())
            progress.report(3, f"{len(distances)} impostor pairs from this library (weight {weight:.2f}); "
                               f"acceptance distance at 100 faces {before:.3f} -> {tail.threshold(100):.3f}")
    finally:
        library.close()
    return tail
