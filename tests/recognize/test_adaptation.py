"""Person templates on real descriptors: a person's confirmed faces as their mean, and the
distance to a person as the nearer of it and their nearest confirmed face."""

from __future__ import annotations

import numpy as np
from scipy.spatial.distance import cdist

from albumtag.embed.face_vector import part_norms
from albumtag.recognize.adaptation import impostor_distances, person_distances, person_templates

CONFIRMED = 3  # per John: the first three chips (sorted names)


def _split(people: np.ndarray) -> np.ndarray:
    """True for each person's first CONFIRMED faces."""
    return np.concatenate([np.arange(np.sum(people == p)) < CONFIRMED for p in np.unique(people)])


def test_templates_name_more_johns_than_the_nearest_face(johns_faces) -> None:
    """Five similar-looking Johns with 3 confirmed faces each: the template names every other
    face at least as well as the nearest confirmed face, and its worst own face is nearer than
    the nearest face's (the spread a suggestion score has to cross)."""
    vectors, people = johns_faces
    confirmed = _split(people)
    templates = person_templates(vectors[confirmed], people[confirmed])
    to_template = cdist(vectors[~confirmed], templates)
    faces = cdist(vectors[~confirmed], vectors[confirmed])
    to_nearest = np.stack([faces[:, people[confirmed] == p].min(axis=1) for p in range(len(templates))], axis=1)
    truth = people[~confirmed]
    by_template = np.mean(np.argmin(to_template, axis=1) == truth)
    by_nearest = np.mean(np.argmin(to_nearest, axis=1) == truth)
    assert by_template >= by_nearest and by_template >= 0.95
    own = np.arange(len(truth))
    assert to_template[own, truth].max() < to_nearest[own, truth].max()


def test_person_distances_are_the_nearer_of_template_and_face(johns_faces) -> None:
    vectors, people = johns_faces
    confirmed = _split(people)
    found = person_distances(vectors[~confirmed], vectors[confirmed], people[confirmed])
    templates = cdist(vectors[~confirmed], person_templates(vectors[confirmed], people[confirmed]))
    faces = cdist(vectors[~confirmed], vectors[confirmed])
    nearest = np.stack([faces[:, people[confirmed] == p].min(axis=1) for p in range(5)], axis=1)
    assert np.allclose(found, np.minimum(templates, nearest), atol=1e-5)
    assert np.mean(np.argmin(found, axis=1) == people[~confirmed]) >= 0.95


def test_impostor_distances_leave_out_the_persons_own(johns_faces) -> None:
    vectors, people = johns_faces
    impostors = impostor_distances(vectors, people)
    assert impostors.shape == (len(vectors) * (len(np.unique(people)) - 1),)
    own = np.linalg.norm(vectors - person_templates(vectors, people)[people], axis=1)
    assert np.median(impostors) > np.quantile(own, 0.95)
    assert len(impostors_sampled := impostor_distances(vectors, people, most=40)) <= 40
    assert set(np.round(impostors_sampled, 5)) <= set(np.round(impostors, 5))


def test_templates_keep_their_members_length_so_strangers_are_no_nearer(johns_faces) -> None:
    """Each part of a template has its members' mean length: the plain mean of three Johns'
    SFace parts is shorter by 3% or more, and the other Johns lie nearer to it than to the template."""
    vectors, people = johns_faces
    confirmed = _split(people)
    templates = person_templates(vectors[confirmed], people[confirmed])
    members = np.stack([part_norms(vectors[confirmed & (people == p)]).mean(axis=0) for p in range(5)])
    np.testing.assert_allclose(part_norms(templates), members, rtol=1e-6)
    means = np.stack([vectors[confirmed & (people == p)].mean(axis=0) for p in range(5)])
    assert np.all(part_norms(means)[:, 1] < 0.97 * members[:, 1])
    others = people[~confirmed][:, None] != np.arange(5)[None]
    to_means, to_templates = cdist(vectors[~confirmed], means), cdist(vectors[~confirmed], templates)
    assert np.median(to_means[others]) < np.median(to_templates[others])
