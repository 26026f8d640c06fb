"""Suggestions for people seen without a usable face: PIPER over the library's confirmed instances.

Faces are grouped and ranked by their descriptor (``app.grouping``, ``app.browse``); a person
seen from behind, in profile or too small has no face feature and would never be suggested.
This service fits ``albumtag.recognize.identify`` on every named person's confirmed instances
(body, face and fired parts) and proposes, for each faceless instance nobody confirmed, the
named person it most likely is. Fitting is explicit: ``refit_body_suggestions`` fits when the
library's decisions or instances changed since the last fit and otherwise returns the cached
suggestions; the read-only queries (``app.browse``) take those suggestions as an argument. The
GUI refits on its decision writer's thread after each confirm or reject, so the window finds
the suggestions already fitted.

PIPER alone is closed-set: a stranger seen from behind would still be "most likely" someone.
So a suggestion also needs the instance's body to lie within the open-set acceptance of the
suggested person: its distance to that person's nearest confirmed body under the distance a
stranger's body comes within at the stated false-accept rate, given how many confirmed bodies
the person has (``albumtag.recognize.fusion.body_acceptance``, calibrated by
``python -m trainer fusion``). Models without that calibration leave suggestions closed-set.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from threading import Lock

import numpy as np
from scipy.spatial.distance import cdist
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from albumtag.embed.face_descriptor import FACE_FEATURE
from albumtag.embed.face_vector import current_face_features
from albumtag.library.database import Library
from albumtag.library.schema import (
    CONFIRMED_BY,
    DecisionState,
    Feature,
    Person,
    PersonInstance,
    TagDecision,
)
from albumtag.library.vectors import from_blob
from albumtag.recognize.fusion import body_acceptance, shipped_body_tail
from albumtag.recognize.identify import (
    GLOBAL_KIND,
    PiperIdentifier,
    gather,
    learn_library_weights,
)
from albumtag.recognize.open_set import DEFAULT_FAR

# The fused scores of one instance sum to 1 over the named people (each P_i does), so they
# are compared with each other: a suggestion needs twice the runner-up's score. With one named
# person there is nobody to compare with, and nothing is suggested (PIPER is closed-set).
SUGGEST_MARGIN = 2.0


@dataclass(frozen=True)
class BodySuggestion:
    instance_id: int
    person_id: int
    score: float  # 0..1: the fused score normalised by the weights' sum (sums to 1 over people)


@dataclass(frozen=True)
class _Fitted:
    fingerprint: tuple
    suggestions: tuple[BodySuggestion, ...]


_cache: dict[Path, _Fitted] = {}
_lock = Lock()


def refit_body_suggestions(library: Library) -> list[BodySuggestion]:
    """Every faceless, unconfirmed instance whose most likely named person scores at least
    SUGGEST_MARGIN times the next one, best first; never a person it was rejected for.

    Refits PIPER (seconds on a large library) when a decision, an instance or a feature changed
    since the last fit; otherwise returns the suggestions cached from that fit."""
    with library.session() as session:
        fingerprint = _fingerprint(session)
        with _lock:
            cached = _cache.get(library.path)
        if cached is not None and cached.fingerprint == fingerprint:
            return list(cached.suggestions)
        found = tuple(_suggest(session))
    with _lock:
        _cache[library.path] = _Fitted(fingerprint, found)
    return list(found)


def _fingerprint(session: Session) -> tuple:
    """Changes whenever a decision, an instance or a feature is added, changed or removed."""
    return (session.scalar(select(func.max(TagDecision.id))), session.scalar(select(func.count(TagDecision.id))),
            session.scalar(select(func.max(Feature.id))), session.scalar(select(func.count(Feature.id))),
            tuple(session.execute(select(PersonInstance.assigned_by, func.count(PersonInstance.id))
                                  .where(PersonInstance.person_id.is_not(None))
                                  .group_by(PersonInstance.assigned_by)).all()))


def _suggest(session: Session) -> list[BodySuggestion]:
    named = set(session.scalars(select(Person.id).where(Person.name.is_not(None), Person.hidden.is_(False))))
    if len(named) < 2:
        return []
    confirmed, candidates = _roles(session, named)
    people = sorted(set(confirmed.values()))
    if len(people) < 2 or not candidates:
        return []
    vectors = _vectors(session, [*confirmed, *candidates])
    sizes = {kind: len(vector) for v in vectors.values() for kind, vector in v.items()}
    train_ids = [i for i in confirmed if GLOBAL_KIND in vectors[i]]
    index = {person: k for k, person in enumerate(people)}
    labels = np.array([index[confirmed[i]] for i in train_ids])
    train = gather([vectors[i] for i in train_ids], sizes)
    model = PiperIdentifier.fit(train, labels, len(people), learn_library_weights(train, labels, len(people)))
    scores = model.scores(gather([vectors[i] for i in candidates], sizes))
    within = _within_acceptance([vectors[i][GLOBAL_KIND] for i in candidates],
                                [vectors[i][GLOBAL_KIND] for i in train_ids], labels, len(people))
    return _best(candidates, scores, people, _rejections(session), within)


def _within_acceptance(candidates: list[np.ndarray], bodies: list[np.ndarray], labels: np.ndarray,
                       people: int, far: float = DEFAULT_FAR) -> np.ndarray | None:
    """[candidates, people]: whether each candidate's body is closer to the person's nearest
    confirmed body than the acceptance for that person's number of confirmed bodies; None
    (everyone acceptable) when no calibration is shipped."""
    tail = shipped_body_tail()
    if tail is None:
        return None
    distances = cdist(np.stack(candidates), np.stack(bodies))
    within = np.zeros((len(candidates), people), bool)
    for person in range(people):
        own = labels == person
        if own.any():  # a person with no confirmed body has nothing to be near: never accepted
            within[:, person] = distances[:, own].min(axis=1) < body_acceptance(tail, int(own.sum()), far)
    return within


def _roles(session: Session, named: set[int]) -> tuple[dict[int, int], list[int]]:
    """Confirmed instances of named people (instance -> person), and the candidates:
    instances nobody holds with a body feature and no face feature (one the grouping put with
    someone by a same-day body is that person's suggestion already). Reads no vectors."""
    kinds: dict[int, set[str]] = defaultdict(set)
    for instance_id, kind in session.execute(select(Feature.instance_id, Feature.kind)
                                             .where(Feature.kind.in_((GLOBAL_KIND, FACE_FEATURE)))):
        kinds[instance_id].add(kind)
    confirmed, candidates = {}, []
    for instance_id, person_id, assigned_by in session.execute(
            select(PersonInstance.id, PersonInstance.person_id, PersonInstance.assigned_by)):
        if person_id in named and assigned_by in CONFIRMED_BY:
            confirmed[instance_id] = person_id
        elif person_id is None and kinds[instance_id] == {GLOBAL_KIND}:
            candidates.append(instance_id)
    return confirmed, candidates


def _vectors(session: Session, instance_ids: list[int]) -> dict[int, dict[str, np.ndarray]]:
    """Every feature vector of these instances, by instance and kind."""
    vectors: dict[int, dict[str, np.ndarray]] = defaultdict(dict)
    for instance_id, kind, blob in session.execute(
            select(Feature.instance_id, Feature.kind, Feature.vector).where(
                Feature.instance_id.in_(instance_ids), (Feature.kind != FACE_FEATURE) | current_face_features())):
        vectors[instance_id][kind] = from_blob(blob)
    return vectors


def _rejections(session: Session) -> set[tuple[int, int]]:
    return set(session.execute(select(TagDecision.instance_id, TagDecision.person_id)
                               .where(TagDecision.state == DecisionState.REJECTED)).all())


def _best(candidates: list[int], scores: np.ndarray, people: list[int], rejected: set[tuple[int, int]],
          within: np.ndarray | None = None) -> list[BodySuggestion]:
    """The best allowed person of each candidate, when it has twice the runner-up's score and
    (``within`` given) the candidate's body is within that person's open-set acceptance."""
    found = []
    for row_index, (instance_id, row) in enumerate(zip(candidates, scores)):
        allowed = [k for k in np.argsort(-row) if (instance_id, people[k]) not in rejected]
        if not allowed or (within is not None and not within[row_index, allowed[0]]):
            continue
        if len(allowed) == 1 or row[allowed[0]] >= SUGGEST_MARGIN * row[allowed[1]]:
            found.append(BodySuggestion(instance_id, people[allowed[0]], float(row[allowed[0]])))
    return sorted(found, key=lambda s: -s.score)
