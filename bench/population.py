"""Face features that adapt to the library (issue 21), on a population of many people in one library.

    python -m bench.population [--shared ../shared/data] [--variants NAME ...] [--choose] [--no-grouping]
    python -m bench.population --cost

The library holds, at once, every face of: faces-pins-dev (25 people), faces-crops-dev (12), the
LFW held-out people with 10+ photos (74) with 1,000 held-out strangers (one photo each), and
LFW's training half's 40 most-photographed people with 1,000 of its strangers (LFW people also
in pins-dev or crops-dev are left out of the populations: ``population_photos``). The faces are
``bench/album_grouping.py``'s cache (``.cache/bench/album_grouping/``; the held-out people
ranked 41-74, outside that bench's pool, are cached here the same way on first use).

Two populations of that library: ``choose`` (LFW training half's 37, pins-dev-a's 11; every
choice of a variant's settings is made here, with ``--choose``) and ``report`` (LFW held-out
73, pins-dev-b's 14, crops-dev's 12; only printed). Each photo is its largest face. Printed
per variant, over the population's people together:
- ``1-shot`` / ``5-shot`` / ``20-shot``: ``evaluation.metrics.kshot_accuracy``'s
  identification with 1 / 5 / 20 confirmed photos per person (5 draws; 20: people with more
  photos only, a person confirmed over years, where one mean might stop fitting), by the
  variant's matcher;
- ``far``: the false-accept rate of ``open_set_far`` (5 enrolled per person, leave one person
  out, the strangers asked too) at the acceptance for 1% with that many enrolled faces, from
  the library's own tail: the distances between enrolled faces of different people (for
  another matcher, from each enrolled face to the other people, e.g. their templates: what
  ``trainer personalise`` now fits); ``dir``: the share of the other photos identified right
  within that acceptance (so a lower ``far`` that costs ``dir`` shows); ``far-ship`` /
  ``dir-ship``: the same at the shipped tail's acceptance (the app's until Personalise runs);
- grouping: the app's ``group_labels`` over every face of the library at once (nothing
  confirmed), BCubed F1 and groups (clusters of 2+ photos) per set of the population, and
  ``str>fam``: the share of the population's strangers grouped with one of its people's photos.
The variants (``variants()``; every setting chosen with ``--choose``):
- ``common a=A k=K``: seed 000's commonality removed from the 128-D embedding, unsupervised.
  With the library's descriptors ``K`` (d x n) the common directions ``w`` minimise
  ``w^T [((2a-1)/n) K K^T - (a/n^2) K 1 1^T K^T] w``; from the running sums ``n``, ``s = K 1``,
  ``S = K K^T`` (``FaceSums``: a growing library only adds to them) that is
  ``(2a-1) S/n - a (s/n)(s/n)^T``, one 128 x 128 eigenproblem (``a = 1/2``: the mean direction;
  ``a = 1``: the least-variance one). The ``K`` least eigenvectors are projected out.
- ``whiten p=P``: the library's covariance to the power ``-P/2`` (unsupervised).
- ``wccn``: within-class covariance normalisation fitted on the confirmed faces (Ledoit-Wolf
  shrunk); supervised, so the 1-shot figure, with nothing to fit, is the plain one.
- ``template W``: each person's confirmed faces as one template, their mean weighted equally
  (``mean``: ``albumtag.recognize.adaptation.person_templates``), by the
  descriptor's norm (``norm``: QAFace's quality; the cache holds the descriptor before any
  normalisation) or by agreement with the person's other faces (``agreement``).
- ``nearest or template``: the nearer of the two (``adaptation.person_distances``, what the app
  ships); ``svm C=``, ``logistic C=``: DeepFace's
  per-identity hyperplanes, one linear model per person on the confirmed faces.
- ``app: grouping, then nearest or template``: not a map but how the app names faces once
  some are confirmed: every library face is grouped with the enrolled ones fixed (a group
  holding one person's confirmed faces becomes theirs), a query the grouping names takes that
  name, any other the shipped matcher's nearest person. ``str-named``: the share of the
  population's strangers the grouping names (5-shot, seed 0), a false accept beside ``far``
  that no acceptance threshold stops. One grouping of the whole library per draw.
- combinations ``common ... + ...``, ``wccn + template mean``.
Every map is rescaled so that the library's mean squared distance between two faces stays the
same (the grouping radii and open-set tails are in the plain descriptor's units). A supervised
variant is fitted on the population's confirmed photos of each draw; the grouping and the
open-set figures use the 5-shot seed-0 fit. ``--cost`` times the sums and the commonality solve,
and the templates with ``trainer personalise``'s impostor distances, on 50,000 faces.
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.linalg import eigh
from scipy.spatial.distance import cdist
from sklearn.covariance import LedoitWolf
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC

from albumtag.app.stages.faces import FaceStage
from albumtag.evaluation.album_sets import LfwSize, album, family_people, lfw_album, lfw_half, lfw_set_name
from albumtag.evaluation.metrics import distance_matrix, kshot_accuracy, kshot_enrolments, open_set_far
from albumtag.evaluation.photo_sets import LabelledPhoto
from albumtag.recognize.adaptation import impostor_distances, person_distances, person_templates
from albumtag.recognize.grouping import GroupingParams, Instances, group_labels
from albumtag.recognize.open_set import ImpostorTail, load_tail
from bench.album_grouping import LFW_POOL, SHARED, Faces, photo_clusters, pool_faces, pools_for, score, stage_versions

HELD_OUT_FAMILY = 74  # every held-out LFW person with 10+ photos
ENROL = 5
SHOTS = (1, 5, 20)  # 20: a person confirmed over the years, where one mean may stop fitting
SEEDS = range(5)
POPULATIONS = {"choose": ("lfw-dev", "pins-dev-a"), "report": ("lfw-held-out", "pins-dev-b", "crops-dev")}


@dataclass(frozen=True)
class Population:
    """Photos of one population: set-prefixed labels (None: a stranger), their largest face's
    row in the library's faces (-1: none found), and which photos each set holds."""

    labels: list[str | None]
    rows: np.ndarray
    sets: dict[str, np.ndarray]

    @property
    def found(self) -> np.ndarray:
        return self.rows >= 0


def population_photos(shared: Path) -> dict[str, list[LabelledPhoto]]:
    """Every set's photos, by set name. LFW's photos of people who are also in faces-pins-dev or
    faces-crops-dev (Bill Gates, Jennifer Aniston, ...: 10 names) are left out, so that nobody
    is two people (or a stranger) in one library."""
    held_out = lfw_half(shared / "faces-lfw", False)
    others = {"pins-dev-a": album(shared, "pins-dev-a", True), "pins-dev-b": album(shared, "pins-dev-b", False),
              "crops-dev": album(shared, "crops-dev", False)}
    taken = {str(p.label) for photos in others.values() for p in photos}
    lfw = {"lfw-dev": album(shared, lfw_set_name(LFW_POOL.family, LFW_POOL.strangers), True),
           "lfw-held-out": lfw_album(held_out, LfwSize(HELD_OUT_FAMILY, LFW_POOL.strangers))}
    return {name: [p for p in photos if p.path.parent.name not in taken] for name, photos in lfw.items()} | others


def library_faces(shared: Path, device: str) -> Faces:
    """Every face of the library, from the album-grouping cache (imported where missing)."""
    versions = stage_versions(FaceStage(device))
    pools = pools_for([lfw_set_name(LFW_POOL.family, LFW_POOL.strangers), "pins-dev-a"], shared, True, "dev")
    pools |= pools_for([lfw_set_name(LFW_POOL.family, LFW_POOL.strangers), "pins-dev-b", "crops-dev"],
                       shared, False, "held-out")
    held_out = lfw_half(shared / "faces-lfw", False)
    pools["lfw-held-out-rest"] = [p for name in family_people(held_out, HELD_OUT_FAMILY)[LFW_POOL.family:]
                                  for p in held_out[name]]
    return Faces.join([pool_faces(name, paths, shared, versions, device) for name, paths in pools.items()])


def population(faces: Faces, photos: dict[str, list[LabelledPhoto]], names: Sequence[str]) -> Population:
    index = {path: k for k, path in enumerate(faces.paths)}
    largest = faces.largest()
    labels, rows, sets = [], [], {}
    for name in names:
        sets[name] = np.arange(len(labels), len(labels) + len(photos[name]))
        labels += [None if p.label is None else f"{name}:{p.label}" for p in photos[name]]
        rows += [int(largest[index[p.path]]) for p in photos[name]]
    return Population(labels, np.array(rows), sets)


# Library-wide maps of the descriptor (they lost: the shipped part is the templates).


@dataclass(frozen=True)
class FaceSums:
    """Running sums of a library's face descriptors: what the commonality solve needs."""

    count: int
    total: np.ndarray  # [d] sum of the descriptors (K 1)
    scatter: np.ndarray  # [d, d] sum of their outer products (K K^T)

    @classmethod
    def of(cls, vectors: np.ndarray) -> FaceSums:
        vectors = np.asarray(vectors, np.float64)
        return cls(len(vectors), vectors.sum(axis=0), vectors.T @ vectors)

    def __add__(self, other: FaceSums) -> FaceSums:
        """The sums of both sets of faces: new faces are added without reading the old ones."""
        return FaceSums(self.count + other.count, self.total + other.total, self.scatter + other.scatter)

    @property
    def mean(self) -> np.ndarray:
        return self.total / self.count

    @property
    def covariance(self) -> np.ndarray:
        return self.scatter / self.count - np.outer(self.mean, self.mean)


def commonality_directions(sums: FaceSums, a: float, k: int) -> np.ndarray:
    """[d, k]: the ``k`` least eigenvectors of ``(2a-1) S/n - a m m^T`` (seed 000's kernel)."""
    mean = sums.mean
    kernel = (2 * a - 1) * sums.scatter / sums.count - a * np.outer(mean, mean)
    return eigh(kernel, subset_by_index=[0, k - 1])[1]


def keep_scale(transform: np.ndarray, covariance: np.ndarray) -> np.ndarray:
    """``transform`` scaled so the mean squared distance between two faces stays the same."""
    after = np.trace(transform @ covariance @ transform.T)
    return transform * np.sqrt(np.trace(covariance) / after)


def commonality_removal(sums: FaceSums, a: float, k: int) -> np.ndarray:
    """[d, d]: the projection that removes the library's ``k`` common directions, rescaled."""
    directions = commonality_directions(sums, a, k)
    projection = np.eye(len(sums.total)) - directions @ directions.T
    return keep_scale(projection, sums.covariance)


def whitening(sums: FaceSums, power: float) -> np.ndarray:
    """[d, d]: ``C^(-power/2)``, ``C`` the library's covariance (1: full whitening; between 0
    and 1, the directions every face varies along count partly less), rescaled."""
    values, vecs = np.linalg.eigh(sums.covariance)
    return keep_scale(vecs @ np.diag(np.maximum(values, 1e-12) ** (-power / 2)) @ vecs.T, sums.covariance)


def wccn(vectors: np.ndarray, labels: np.ndarray, covariance: np.ndarray) -> np.ndarray:
    """[d, d]: ``Sw^-1/2``, Sw the within-person covariance of confirmed faces (Ledoit-Wolf
    shrunk: a handful of faces per person gives too few for 128 dimensions), rescaled on the
    library's ``covariance``."""
    vectors = np.asarray(vectors, np.float64)
    residuals = vectors.copy()
    for label in np.unique(labels):
        own = labels == label
        residuals[own] -= vectors[own].mean(axis=0)
    within = LedoitWolf(assume_centered=True).fit(residuals).covariance_
    values, vecs = np.linalg.eigh(within)
    return keep_scale(vecs @ np.diag(values ** -0.5) @ vecs.T, covariance)


def adapt(vectors: np.ndarray, transform: np.ndarray | None) -> np.ndarray:
    """Descriptors under a fitted map (None: as they are), float32 like the stored ones."""
    return vectors if transform is None else (np.asarray(vectors, np.float64) @ transform.T).astype(np.float32)


# Matchers: per query, a distance to each enrolled person (lower is likelier), from the enrolled
# photos' vectors and their person indices.
Matcher = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]


def template_matcher(weighting: str) -> Matcher:
    """A person's set as one template: the mean of their enrolled faces, each weighted by
    nothing (``mean``), by the descriptor's norm before any normalisation (``norm``, QAFace's
    quality), or by its agreement with the person's other faces (``agreement``, LFENet's spirit:
    exp of minus its distance to their mean)."""

    def match(enrolled: np.ndarray, people: np.ndarray, queries: np.ndarray) -> np.ndarray:
        if weighting == "mean":
            return cdist(queries, person_templates(enrolled, people))
        templates = []
        for person in range(people.max() + 1):
            own = enrolled[people == person]
            if weighting == "norm":
                weights = np.linalg.norm(own, axis=1)
            else:
                weights = np.exp(-np.linalg.norm(own - own.mean(axis=0), axis=1))
            templates.append(weights @ own / weights.sum())
        return cdist(queries, np.stack(templates))
    return match


def nearest_or_template(enrolled: np.ndarray, people: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """The nearer of a person's nearest enrolled face and their mean (what the app ships)."""
    return person_distances(queries, enrolled, people)


def logistic_matcher(c: float) -> Matcher:
    """One multinomial logistic regression over the people (a linear model per person, fitted jointly)."""

    def match(enrolled: np.ndarray, people: np.ndarray, queries: np.ndarray) -> np.ndarray:
        return -LogisticRegression(C=c, max_iter=1000).fit(enrolled, people).decision_function(queries)
    return match


def svm_matcher(c: float) -> Matcher:
    """DeepFace's per-identity hyperplanes: one linear SVM per person against everyone else."""

    def match(enrolled: np.ndarray, people: np.ndarray, queries: np.ndarray) -> np.ndarray:
        with warnings.catch_warnings():  # one photo per person looks like regression to sklearn
            warnings.simplefilter("ignore", UserWarning)
            model = LinearSVC(C=c).fit(enrolled, people)
        scores = model.decision_function(queries)
        return -(scores if scores.ndim == 2 else np.stack([-scores, scores], axis=1))
    return match


@dataclass(frozen=True)
class Variant:
    """An adaptation: the commonality removed (``a``, ``k``; None: not), the library whitened
    (the power; None: not), WCCN on the confirmed faces or not, and how a query is matched with
    the enrolled (None: the nearest face)."""

    common: tuple[float, int] | None = None
    whiten: float | None = None
    supervised: bool = False
    matcher: Matcher | None = None
    grouped: bool = False  # the app's grouping names what it can first (``grouped_identified``)


def variants() -> dict[str, Variant]:
    found = {"plain": Variant()}
    # At a >= 0.75 the directions after the first are ones no face varies along (the descriptor
    # has 8+ of them), so removing them changes nothing: only a = 0.5 is tried with k > 1.
    for a, k in ((0.5, 1), (0.5, 2), (0.5, 4), (0.5, 8), (0.75, 1), (0.9, 1), (1.0, 1)):
        found[f"common a={a} k={k}"] = Variant((a, k))
    for power in (0.25, 0.5, 1.0):
        found[f"whiten p={power}"] = Variant(whiten=power)
    found["wccn"] = Variant(supervised=True)
    for weighting in ("mean", "norm", "agreement"):
        found[f"template {weighting}"] = Variant(matcher=template_matcher(weighting))
    for c in (0.1, 1.0, 10.0):
        found[f"svm C={c}"] = Variant(matcher=svm_matcher(c))
    found["nearest or template"] = Variant(matcher=nearest_or_template)
    found["app: grouping, then nearest or template"] = Variant(matcher=nearest_or_template, grouped=True)
    for c in (1.0, 10.0, 100.0):
        found[f"logistic C={c}"] = Variant(matcher=logistic_matcher(c))
    found["common a=0.5 k=1 + template mean"] = Variant((0.5, 1), matcher=template_matcher("mean"))
    found["common a=0.5 k=1 + svm C=1.0"] = Variant((0.5, 1), matcher=svm_matcher(1.0))
    found["common a=0.5 k=1 + wccn"] = Variant((0.5, 1), supervised=True)
    found["wccn + template mean"] = Variant(supervised=True, matcher=template_matcher("mean"))
    return found


@dataclass(frozen=True)
class Library:
    """The library's faces and their running sums (what the unsupervised part sees)."""

    faces: Faces
    sums: FaceSums


def base_vectors(library: Library, variant: Variant) -> np.ndarray:
    """Every library face under the variant's unsupervised part."""
    if variant.common is not None:
        return adapt(library.faces.vectors, commonality_removal(library.sums, *variant.common))
    if variant.whiten is not None:
        return adapt(library.faces.vectors, whitening(library.sums, variant.whiten))
    return library.faces.vectors


def fitted_vectors(library: Library, variant: Variant, vectors: np.ndarray, pop: Population,
                   enrolled: np.ndarray) -> np.ndarray:
    """``vectors`` under the variant's supervised part fitted on these enrolled photos."""
    rows = pop.rows[enrolled]
    with_face = rows >= 0
    if not variant.supervised or len(enrolled) == len(set(np.array(pop.labels, object)[enrolled])):
        return vectors
    labels = np.array([pop.labels[k] for k in enrolled[with_face]])
    return adapt(vectors, wccn(vectors[rows[with_face]], labels, np.cov(vectors, rowvar=False, bias=True)))


def photo_vectors(vectors: np.ndarray, pop: Population) -> np.ndarray:
    return np.where(pop.found[:, None], vectors[np.maximum(pop.rows, 0)], 0.0)


def matcher_distances(variant: Variant, vectors: np.ndarray, pop: Population,
                     draws: dict[str, tuple[np.ndarray, np.ndarray]],
                     queries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The variant matcher's [queries, people] distances (people: the draw's, in its order; a
    person whose enrolled photos have no face gets none, so inf), and each query's person
    index (-1: a stranger)."""
    people = {name: k for k, name in enumerate(draws)}
    enrolled = np.concatenate([e[pop.found[e]] for e, _ in draws.values()])
    own = np.array([people[pop.labels[k]] for k in enrolled])
    present = np.unique(own)
    remap = np.full(len(people), -1)
    remap[present] = np.arange(len(present))
    photos = photo_vectors(vectors, pop)
    distances = np.full((len(queries), len(people)), np.inf)
    asked = pop.found[queries]
    distances[np.ix_(asked, present)] = variant.matcher(photos[enrolled], remap[own], photos[queries[asked]])
    return distances, np.array([-1 if pop.labels[k] is None else people[pop.labels[k]] for k in queries])


def identified(variant: Variant, vectors: np.ndarray, pop: Population,
               draws: dict[str, tuple[np.ndarray, np.ndarray]]) -> float:
    """Accuracy of one draw by the variant's matcher; a query without a face is wrong, an
    enrolled photo without one enrols nothing (as ``kshot_accuracy``)."""
    queries = np.concatenate([q for _, q in draws.values()])
    distances, truth = matcher_distances(variant, vectors, pop, draws, queries)
    return float(np.mean((np.argmin(distances, axis=1) == truth) & np.isfinite(distances.min(axis=1))))


def grouped_identified(library: Library, variant: Variant, vectors: np.ndarray, pop: Population,
                       draws: dict[str, tuple[np.ndarray, np.ndarray]]) -> tuple[float, float]:
    """Accuracy of one draw as the app names faces: every library face is grouped with the
    enrolled ones confirmed (``group_labels``: a group holding one person's confirmed faces
    becomes theirs), a query the grouping names gets that name and any other one the matcher's
    nearest person (the suggestion the person's page would rank it by). Also the share of the
    population's strangers the grouping names (a false accept no threshold stops)."""
    people = {name: k for k, name in enumerate(draws)}
    enrolled = np.concatenate([e[pop.found[e]] for e, _ in draws.values()])
    person_ids = np.full(len(vectors), -1, dtype=np.int64)
    person_ids[pop.rows[enrolled]] = [people[pop.labels[k]] for k in enrolled]
    labels = grouping(library, vectors, person_ids)
    queries = np.concatenate([q for _, q in draws.values()])
    distances, truth = matcher_distances(variant, vectors, pop, draws, queries)
    named = np.where(pop.found[queries], labels[np.maximum(pop.rows[queries], 0)], -1)
    chosen = np.where(named >= 0, named, np.argmin(distances, axis=1))
    right = (chosen == truth) & pop.found[queries]
    strangers = np.array([k for k, y in enumerate(pop.labels) if y is None and pop.found[k]], dtype=np.int64)
    return float(right.mean()), float((labels[pop.rows[strangers]] >= 0).mean())


def kshot(library: Library, variant: Variant, base: np.ndarray, pop: Population, k: int) -> float:
    if variant.grouped:
        return float(np.mean([grouped_identified(library, variant, base, pop, kshot_enrolments(pop.labels, k, seed))[0]
                              for seed in SEEDS]))
    if variant.matcher is None and not variant.supervised:  # one distance matrix serves every draw
        return kshot_accuracy(pop.labels, distance_matrix(photo_vectors(base, pop), pop.found), k, SEEDS)
    scores = []
    for seed in SEEDS:
        draws = kshot_enrolments(pop.labels, k, seed)
        vectors = fitted_vectors(library, variant, base, pop, np.concatenate([e for e, _ in draws.values()]))
        if variant.matcher is None:
            distances = distance_matrix(photo_vectors(vectors, pop), pop.found)
            scores.append(kshot_accuracy(pop.labels, distances, k, [seed]))
        else:
            scores.append(identified(variant, vectors, pop, draws))
    return float(np.mean(scores))


@dataclass(frozen=True)
class OpenSet:
    far: float  # at the library's own tail
    dir: float  # detected and identified at that acceptance
    far_shipped: float  # at the shipped tail
    dir_shipped: float
    accept: float
    accept_shipped: float


def acceptances(variant: Variant, vectors: np.ndarray, pop: Population,
                draws: dict[str, tuple[np.ndarray, np.ndarray]]) -> tuple[float, float]:
    """The 1% acceptance from the library's own tail, and from the shipped one. The nearest
    face: the tail of the distances between enrolled faces of different people, for 5 enrolled
    faces per other person (as the app's). Another matcher: the tail of its distances from each
    enrolled face to the other people, for as many enrolled faces (the app's count)."""
    enrolled = np.concatenate([e[pop.found[e]] for e, _ in draws.values()])
    labels = np.array([pop.labels[k] for k in enrolled], object)
    shipped = load_tail().threshold(ENROL * (len(draws) - 1))
    if variant.matcher is None:
        block = distance_matrix(photo_vectors(vectors, pop)[enrolled], np.ones(len(enrolled), bool))
        impostors = block[np.triu(labels[:, None] != labels[None, :], 1)]
        return ImpostorTail.from_distances(impostors).threshold(ENROL * (len(draws) - 1)), shipped
    distances, truth = matcher_distances(variant, vectors, pop, draws, enrolled)
    impostors = distances[np.arange(distances.shape[1]) != truth[:, None]]
    return ImpostorTail.from_distances(impostors).threshold(ENROL * (len(draws) - 1)), shipped


def open_set(variant: Variant, vectors: np.ndarray, pop: Population,
             draws: dict[str, tuple[np.ndarray, np.ndarray]]) -> OpenSet:
    """False accepts at 1%, leave one person out, by the variant's matcher: each photo is asked
    against everyone else's enrolled photos (``open_set_far``, whose 5-per-person draw is the
    5-shot seed-0 one; templates need no refit without the person asked). ``dir``: the
    queries of the draw identified right within the acceptance."""
    accept, shipped = acceptances(variant, vectors, pop, draws)
    if variant.matcher is None:
        distances = distance_matrix(photo_vectors(vectors, pop), pop.found)
        queries = np.concatenate([q for _, q in draws.values()])
        per_person = np.stack([distances[queries][:, e].min(axis=1) for e, _ in draws.values()], axis=1)
        truth = np.array([list(draws).index(pop.labels[k]) for k in queries])
        far, far_shipped = (open_set_far(pop.labels, distances, t, ENROL) for t in (accept, shipped))
    else:
        everyone = np.arange(len(pop.labels))
        per_person, truth = matcher_distances(variant, vectors, pop, draws, everyone)
        others = np.where(np.arange(per_person.shape[1]) == truth[:, None], np.inf, per_person).min(axis=1)
        far, far_shipped = (float((others[pop.found] < t).mean()) for t in (accept, shipped))
        queries = np.concatenate([q for _, q in draws.values()])
        per_person, truth = per_person[queries], truth[queries]
    named = np.argmin(per_person, axis=1) == truth
    right, right_shipped = (float(np.mean(named & (per_person.min(axis=1) < t))) for t in (accept, shipped))
    return OpenSet(far, right, far_shipped, right_shipped, accept, shipped)


def grouping(library: Library, vectors: np.ndarray, person_ids: np.ndarray | None = None) -> np.ndarray:
    """The app's grouping of every library face at once: a label per face. ``person_ids`` (-1:
    none) are confirmed faces; by default nobody is confirmed."""
    faces = library.faces
    n = len(vectors)
    person_ids = np.full(n, -1, dtype=np.int64) if person_ids is None else person_ids
    instances = Instances(instance_ids=np.arange(n, dtype=np.int64), photo_ids=faces.photo, vectors=vectors,
                          quality=faces.quality, person_ids=person_ids, fixed=person_ids >= 0, days=faces.days,
                          bodies=np.full((n, 1), np.nan, dtype=np.float32))
    return group_labels(instances, {}, GroupingParams())


def strangers_with_family(labels: np.ndarray, pop: Population) -> float:
    """The share of the population's strangers (with a face) whose group holds one of its
    people's photos: ``bench/album_grouping.py``'s str>fam over the whole library."""
    rows = pop.rows[pop.found]
    family = np.array([pop.labels[k] is not None for k in np.flatnonzero(pop.found)])
    with_family = np.isin(labels[rows[~family]], labels[rows[family]])
    return float(with_family.mean()) if len(with_family) else 0.0


def evaluate(library: Library, variant: Variant, pop: Population, with_grouping: bool) -> dict[str, float]:
    base = base_vectors(library, variant)
    draws = kshot_enrolments(pop.labels, ENROL, 0)
    fitted = fitted_vectors(library, variant, base, pop, np.concatenate([e for e, _ in draws.values()]))
    found = open_set(variant, fitted, pop, draws)
    result = {f"{k}-shot": kshot(library, variant, base, pop, k) for k in SHOTS}
    result |= {"far": found.far, "dir": found.dir, "far-ship": found.far_shipped, "dir-ship": found.dir_shipped,
               "accept": found.accept, "accept-ship": found.accept_shipped}
    result["str-named"] = grouped_identified(library, variant, fitted, pop, draws)[1] if variant.grouped else np.nan
    if with_grouping:
        labels = grouping(library, fitted)
        for name, photos in pop.sets.items():
            scored = score([pop.labels[k] for k in photos], photo_clusters(labels, pop.rows[photos]))
            result[f"{name} F1"] = scored.f1
            result[f"{name} groups"] = scored.groups
        result["str>fam"] = strangers_with_family(labels, pop)
    return result


def cost(faces: int = 50_000, people: int = 500) -> None:
    """Seconds for a library of ``faces`` random descriptors: the running sums and the
    commonality solve (the unsupervised part), and, with every face confirmed as one of
    ``people``, the templates and the impostor distances ``trainer personalise`` fits
    its tail on (at most 200,000, as it asks)."""
    rng = np.random.default_rng(0)
    vectors = rng.normal(0, 0.1, (faces, 128)).astype(np.float32)
    labels = rng.integers(0, people, faces)
    for name, step in (("sums + commonality solve", lambda: commonality_removal(FaceSums.of(vectors), 0.5, 1)),
                       ("templates", lambda: person_templates(vectors, labels)),
                       ("impostor distances", lambda: impostor_distances(vectors, labels, 200_000))):
        began = time.perf_counter()
        step()
        print(f"cost, {faces} faces of {people} people: {name} {time.perf_counter() - began:.2f} s")


def _cell(value: float) -> str:
    if np.isnan(value):
        return "-"
    return f"{value:.0f}" if float(value).is_integer() and value > 1 else f"{value:.4f}"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=SHARED)
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="cpu")
    parser.add_argument("--variants", nargs="+", help="default: every variant")
    parser.add_argument("--choose", action="store_true", help="the choosing population (default: the reporting one)")
    parser.add_argument("--no-grouping", action="store_true", help="skip the grouping (the slow part)")
    parser.add_argument("--cost", action="store_true", help="only time the adaptation on 50,000 faces")
    args = parser.parse_args(argv)
    if args.cost:
        cost()
        return
    start = time.perf_counter()
    faces = library_faces(args.shared, args.device)
    library = Library(faces, FaceSums.of(faces.vectors))
    which = "choose" if args.choose else "report"
    pop = population(faces, population_photos(args.shared), POPULATIONS[which])
    people = len({y for y in pop.labels if y is not None})
    print(f"library: {len(faces.vectors)} faces of {len(faces.paths)} photos; {which} population: {people} people, "
          f"{sum(y is None for y in pop.labels)} strangers ({', '.join(pop.sets)}); ready in "
          f"{time.perf_counter() - start:.1f} s")
    chosen = variants()
    header = None
    for name in args.variants or list(chosen):
        began = time.perf_counter()
        result = evaluate(library, chosen[name], pop, not args.no_grouping)
        if header is None:
            header = f"{'variant':<22}" + "".join(f"{key:>{max(9, len(key) + 1)}}" for key in result) + "  seconds"
            print(header)
        print(f"{name:<22}" + "".join(f"{_cell(v):>{max(9, len(k) + 1)}}" for k, v in result.items())
              + f"  {time.perf_counter() - began:7.1f}", flush=True)


if __name__ == "__main__":
    main()
