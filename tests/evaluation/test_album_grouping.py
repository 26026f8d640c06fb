"""``bench/album_grouping.py``'s scoring on made-up face rows (no photo is described): the photo's
largest face stands for it, strangers who join a family group are counted, the yardstick
finds the threshold that separates well-separated people."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from albumtag.evaluation.photo_sets import LabelledPhoto
from bench.album_grouping import Faces, nearest_same, photo_clusters, score, take, yardstick


def _faces(rng: np.random.Generator) -> tuple[Faces, list[LabelledPhoto]]:
    """Two people of 6 photos, 3 strangers, a photo without a face; photo 0 also holds a small
    background face far from everyone."""
    centres = np.eye(128)[:6] * 2.0
    photos, rows = [], []
    for person, centre in (("ann", centres[0]), ("bob", centres[1])):
        for k in range(6):
            photos.append(LabelledPhoto(Path(f"/{person}/{k}.jpg"), person))
            rows.append((len(photos) - 1, centre + rng.normal(0, 0.01, 128), (0, 0, 100, 100)))
    for k in range(3):
        photos.append(LabelledPhoto(Path(f"/stranger/{k}.jpg"), None))
        rows.append((len(photos) - 1, centres[2 + k] + rng.normal(0, 0.01, 128), (0, 0, 100, 100)))
    photos.append(LabelledPhoto(Path("/ann/faceless.jpg"), "ann"))
    rows.append((0, centres[5], (0, 0, 10, 10)))
    photo = np.array([r[0] for r in rows])
    faces = Faces([p.path for p in photos], photo, np.array([r[1] for r in rows], dtype=np.float32),
                  np.ones(len(rows)), np.full(len(rows), -1), np.array([r[2] for r in rows], dtype=np.float64))
    return faces, photos


def test_largest_face_stands_for_the_photo_and_faceless_is_alone() -> None:
    faces, photos = _faces(np.random.default_rng(0))
    largest = faces.largest()
    assert largest[0] == 0 and largest[-1] == -1
    album_set = take(faces, largest, photos[6:])  # bob, the strangers, the faceless photo
    assert len(album_set.instances.vectors) == 9 and album_set.face[-1] == -1
    assert nearest_same(album_set) == 1.0
    clusters = photo_clusters(np.arange(9), album_set.face)
    assert clusters[-1] == ("alone", 9)


def test_strangers_in_a_family_group_are_counted() -> None:
    labels = ["ann", "ann", "bob", None, None, None]
    scored = score(labels, [1, 1, 2, 1, 3, 3])  # one stranger with ann, two strangers together
    assert scored.strangers_in_family == 1 / 3 and scored.strangers_grouped == 1.0
    assert (scored.groups, scored.singles) == (2, 1)  # bob alone
    assert score(labels, [1, 1, 2, 4, 5, 6]).strangers_in_family == 0.0


def test_yardstick_separates_separated_people() -> None:
    faces, photos = _faces(np.random.default_rng(1))
    threshold, scored, _ = yardstick(take(faces, faces.largest(), photos))
    assert 0.30 <= threshold <= 0.70
    assert scored.precision == 1.0 and scored.strangers_in_family == 0.0
    assert scored.groups == 2  # ann's faceless photo is the one miss
