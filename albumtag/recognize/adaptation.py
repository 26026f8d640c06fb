"""A person's confirmed faces as one template, for the library's suggestions.

Of the ways issue 21 tried to adapt the shared 128-D descriptor to one library, only this one
won on people held out of every choice (``bench/population.py``; README, "Measuring it"): a
named person's suggestions are scored by their distance to the mean of the person's confirmed
faces instead of the nearest one (LFENet's set aggregation with equal weights; seed 004's
per-person hyperplanes and the library-wide maps, seed 000's commonality removal, whitening and
WCCN, lost and stay in the bench). The mean sits where a person's faces are dense, so their
other faces come closer to it than strangers do, and the open-set tail ``trainer personalise``
fits to a library is fitted on the distances from confirmed faces to other people's templates.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.metrics.pairwise import euclidean_distances

from albumtag.embed.face_vector import part_norms, with_part_norms


def person_templates(vectors: np.ndarray, people: np.ndarray) -> np.ndarray:
    """[P, d]: row ``p`` the mean of the faces confirmed as person ``p`` (0..P-1), the person's
    set as one template (LFENet's aggregation, with equal weights: weighting by descriptor norm
    or by agreement with the person's other faces measured no better, bench/population.py),
    each part of the face vector brought back to its members' mean length. A mean is shorter
    than the faces it averages, the more so the less they agree, and SFace's unit vectors of
    one person agree little (cosine about 0.5): a plain mean sat nearer to every stranger than
    a face does, and at the shipped open-set tail (fitted on single faces) accepted 8.3% of
    them against 0.14% (bench/population.py --choose)."""
    vectors = np.asarray(vectors, np.float64)
    counts = np.maximum(np.bincount(people), 1)[:, None]
    members = csr_matrix((np.ones(len(people)), (people, np.arange(len(people)))), shape=(len(counts), len(people)))
    return with_part_norms((members @ vectors) / counts, (members @ part_norms(vectors)) / counts)


def person_distances(queries: np.ndarray, vectors: np.ndarray, people: np.ndarray) -> np.ndarray:
    """[queries, P]: each query's distance to each person, the nearer of the person's template
    and their nearest confirmed face (``vectors``, of person ``people``, every one of 0..P-1
    present). The face keeps a person who looks different in some photos (years apart,
    glasses) from being averaged away."""
    order = np.argsort(people, kind="stable")
    starts = np.searchsorted(people[order], np.arange(people.max() + 1))
    nearest = np.minimum.reduceat(euclidean_distances(queries, vectors[order]), starts, axis=1)
    return np.minimum(nearest, euclidean_distances(queries, person_templates(vectors, people)))


def impostor_distances(vectors: np.ndarray, people: np.ndarray, most: int | None = None,
                       seed: int = 0) -> np.ndarray:
    """The distance of every confirmed face to every other person (``person_distances``): what
    a stranger's distance to a person looks like, for an open-set tail fitted to the library.
    With ``most``, a random subset of the faces is asked, so that at most that many come back."""
    asked = np.arange(len(vectors))
    others = int(people.max())
    if most is not None and len(vectors) * others > most:
        asked = np.sort(np.random.default_rng(seed).choice(len(vectors), max(most // others, 1), replace=False))
    distances = person_distances(vectors[asked], vectors, people)
    return distances[np.arange(distances.shape[1]) != people[asked][:, None]]
