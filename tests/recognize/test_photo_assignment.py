"""Who is whom inside one photo: a bipartite match of its faces to the groups near them."""

from __future__ import annotations

import numpy as np

from albumtag.recognize.photo_assignment import assign_within_photos

RADIUS = 0.6


def _twins() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Group 1 (10 faces near a), group 2 (8 faces near b, 0.5 from a); in photo 99, face 18
    (near a) and face 19 (near b, at 0.05 from b) both ended up in group 1."""
    rng = np.random.default_rng(0)
    a, b = np.zeros(16), np.zeros(16)
    b[0] = 0.5
    vectors = np.vstack([a + rng.normal(0, 0.02, (10, 16)), b + rng.normal(0, 0.02, (8, 16)),
                         a[None] + 0.01, b[None] + 0.01]).astype(np.float32)
    labels = np.array([1] * 10 + [2] * 8 + [1, 1])
    photos = np.concatenate([np.arange(18), [99, 99]])
    return vectors, labels, photos


def test_two_faces_of_one_photo_in_one_group_each_go_to_their_own() -> None:
    vectors, labels, photos = _twins()
    result = assign_within_photos(vectors, photos, labels, np.ones(20, bool), {}, RADIUS)
    assert result[18] == 1 and result[19] == 2, "the sister beside her twin is still somebody"
    assert np.array_equal(result[:18], labels[:18]), "photos without a clash are not touched"


def test_a_confirmed_face_keeps_its_group_and_the_other_takes_another_or_none() -> None:
    vectors, labels, photos = _twins()
    vectors[19] = vectors[18] + 0.005  # both look like group 1; the confirmed one keeps it
    movable = np.ones(20, bool)
    movable[19] = False
    result = assign_within_photos(vectors, photos, labels, movable, {}, RADIUS)
    assert result[19] == 1 and result[18] != 1
    alone = assign_within_photos(vectors, photos, labels, movable, {18: {2}}, RADIUS)
    assert alone[18] < 0 and alone[18] not in np.delete(alone, 18), "forbidden the only other group near: alone"


def test_a_face_left_alone_does_not_take_the_label_of_the_group_named_after_it() -> None:
    """Chinese whispers names a group -(node + 1) after one of its faces; when a repair has
    sent that face out of it (a stranger let in through one close face) and the face's photo
    is decided again, the face left alone must not rejoin the group through its own name."""
    vectors, labels, photos = _twins()
    labels = labels.copy()
    labels[:10] = -19  # group 1 grew from face 18, which was since sent out of it
    labels[18], labels[19] = -50, -50  # a fresh label, shared with face 19 of the same photo
    vectors[18] = vectors[18] + 5.0  # far from everything: left alone
    result = assign_within_photos(vectors, photos, labels, np.ones(20, bool), {}, RADIUS)
    assert result[18] != -19 and result[18] not in np.delete(result, 18)


def test_no_clash_no_change() -> None:
    vectors, labels, photos = _twins()
    labels[19] = 2
    assert np.array_equal(assign_within_photos(vectors, photos, labels, np.ones(20, bool), {}, RADIUS), labels)


def test_a_face_outside_the_clash_keeps_its_label() -> None:
    """Only the faces sharing a group in their photo are decided again: a third face of the
    photo, left alone by a repair although near group 2's mean, stays alone."""
    vectors, labels, photos = _twins()
    vectors = np.vstack([vectors, vectors[10] + 0.01])
    labels, photos = np.append(labels, -100), np.append(photos, 99)
    result = assign_within_photos(vectors, photos, labels, np.ones(21, bool), {}, RADIUS)
    assert result[20] == -100
    assert result[18] == 1 and result[19] == 2, "the clash itself is still decided"
