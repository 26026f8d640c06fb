"""The shipped fusion weights in the app: the defaults mapping (kinds missing from the file,
no file), the loader, and PiperIdentifier taking them when a library cannot learn its own."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from albumtag.recognize.fusion import (
    BODY_TAIL_KEY,
    MODEL_NAME,
    body_acceptance,
    parse_body_tail,
    parse_weights,
    shipped_body_tail,
    shipped_weights,
)
from albumtag.recognize.identify import GLOBAL_KIND, PiperIdentifier, default_weights, gather
from albumtag.recognize.open_set import ImpostorTail
from albumtag.recognize.piper import PartClassifier, learn_pooled_weights, learn_weights
from albumtag.runtime.manifest import sha256_of

SHIPPED = {"body": 2.0, "face": 3.0, "part:torso_back": 1.0}


def test_kinds_missing_from_the_file_take_the_mean_of_the_part_weights() -> None:
    kinds = ["body", "face", "part:legs_back", "part:torso_back"]
    # the parts are every kind but the body: face 3 and torso 1, mean 2
    assert default_weights(kinds, SHIPPED).tolist() == [2.0, 3.0, 2.0, 1.0]
    assert default_weights(["body"], SHIPPED).tolist() == [2.0]
    assert default_weights(["body", "part:new"], {"body": 0.5}).tolist() == [0.5, 1.0]  # no parts: 1
    assert default_weights(["face", "body"], {"face": 4.0, "part:a": 2.0}).tolist() == [4.0, 3.0]  # no body in file


def test_no_shipped_weights_or_all_zero_is_uniform() -> None:
    assert default_weights(["body", "face", "part:x"], None).tolist() == [1.0, 1.0, 1.0]
    assert default_weights(["body", "face"], {}).tolist() == [1.0, 1.0]
    assert default_weights(["body", "face"], {"body": 0.0, "face": 0.0}).tolist() == [1.0, 1.0]


def test_bad_weights_are_refused() -> None:
    with pytest.raises(ValueError):
        parse_weights(json.dumps({"weights": {"body": -1.0}}))
    with pytest.raises(ValueError):
        parse_weights('{"weights": {"face": NaN}}')


def _models(root: Path, weights: dict[str, float] | None, tail: ImpostorTail | None = None) -> Path:
    """A models folder whose manifest has a ``fusion`` entry (or none), with a body tail."""
    root.mkdir(parents=True, exist_ok=True)
    models = {}
    if weights is not None:
        path = root / "fusion" / "weights_v1.json"
        path.parent.mkdir()
        document = {"weights": weights}
        if tail is not None:
            document[BODY_TAIL_KEY] = json.loads(tail.to_json())
        path.write_text(json.dumps(document))
        models[MODEL_NAME] = {"file": "fusion/weights_v1.json", "version": "test", "sha256": sha256_of(path)}
    (root / "manifest.json").write_text(json.dumps({"schema": 1, "models": models}))
    return root


def _library() -> tuple:
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(3), 2)
    vectors = [{"body": rng.normal(size=4), "face": rng.normal(size=3)} for _ in labels]
    vectors[0]["part:legs_back"] = rng.normal(size=5)
    return gather(vectors, {"body": 4, "face": 3, "part:legs_back": 5}), labels


def test_the_identifier_takes_the_shipped_weights_when_given_none(tmp_path: Path) -> None:
    train, labels = _library()
    with_file = _models(tmp_path / "with", SHIPPED)
    assert shipped_weights(with_file) == SHIPPED
    model = PiperIdentifier.fit(train, labels, 3, models_root=with_file)
    assert model.parts == ["face", "part:legs_back"]
    assert model.weights.tolist() == [2.0, 3.0, 2.0]
    without = _models(tmp_path / "without", None)
    assert shipped_weights(without) is None
    assert PiperIdentifier.fit(train, labels, 3, models_root=without).weights.tolist() == [1.0, 1.0, 1.0]
    explicit = np.array([1.0, 0.5, 0.25])
    assert PiperIdentifier.fit(train, labels, 3, explicit, models_root=with_file).weights is explicit


def test_the_bundled_models_ship_fusion_weights() -> None:
    weights = shipped_weights()
    assert weights is not None and GLOBAL_KIND in weights and "face" in weights
    assert all(kind in (GLOBAL_KIND, "face") or kind.startswith("part:") for kind in weights)


def test_a_part_without_examples_gives_nothing_and_fills_with_p0() -> None:
    classifier = PartClassifier(3).fit(np.zeros((0, 4)), np.zeros(0, dtype=int))
    assert not classifier.in_part.any()
    assert np.array_equal(classifier.predict_proba(np.ones((2, 4))), np.zeros((2, 3)))


def test_pooled_weights_on_one_set_are_learn_weights() -> None:
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 4, 30)
    parts = rng.dirichlet(np.ones(4), size=(30, 3))
    parts[np.arange(30), 1, labels] += 1.0  # layer 1 knows the truth
    assert np.array_equal(learn_pooled_weights([(parts, labels)], 0), learn_weights(parts, labels, 0))
    other = rng.dirichlet(np.ones(6), size=(20, 3))
    pooled = learn_pooled_weights([(parts, labels), (other, rng.integers(0, 6, 20))], 0)
    assert pooled.shape == (3,) and np.argmax(pooled) == 1


def _uniform_tail() -> ImpostorTail:
    """Impostor distances spread evenly over 0.5..1.5: F(d) = d - 0.5 there."""
    return ImpostorTail.from_distances(np.linspace(0.5, 1.5, 100_001))


def test_the_body_acceptance_is_looked_up_by_confirmed_bodies(tmp_path: Path) -> None:
    tail = _uniform_tail()
    root = _models(tmp_path / "models", SHIPPED, tail)
    shipped = shipped_body_tail(root)
    assert shipped is not None and shipped_weights(root) == SHIPPED
    # one confirmed body: the 1% quantile of the impostor distance
    assert body_acceptance(shipped, 1) == pytest.approx(0.51, abs=1e-3)
    # n bodies: a stranger's nearest of n falls below t with 1 - (1 - F(t))^n = 1%
    for n in (3, 10, 100):
        assert body_acceptance(shipped, n) == pytest.approx(0.5 + 1 - 0.99 ** (1 / n), abs=1e-3)
        assert body_acceptance(shipped, n) == shipped.tail.threshold(n)
    assert body_acceptance(shipped, 1) > body_acceptance(shipped, 3) > body_acceptance(shipped, 10)
    assert body_acceptance(shipped, 0) == body_acceptance(shipped, 1)  # no body yet: as for one
    assert body_acceptance(shipped, 1, far=0.05) > body_acceptance(shipped, 1)


def test_alike_bodies_count_as_fewer_independent_ones(tmp_path: Path) -> None:
    """With gallery_exponent 0.5, ten confirmed bodies get the acceptance of sqrt(10)."""
    document = {"weights": SHIPPED, BODY_TAIL_KEY: {**json.loads(_uniform_tail().to_json()), "gallery_exponent": 0.5}}
    calibration = parse_body_tail(json.dumps(document))
    assert calibration is not None and calibration.exponent == 0.5
    assert body_acceptance(calibration, 10) == pytest.approx(calibration.tail.threshold(10 ** 0.5))
    assert body_acceptance(calibration, 1) > body_acceptance(calibration, 10) > calibration.tail.threshold(10)
    with pytest.raises(ValueError):
        parse_body_tail(json.dumps({**document, BODY_TAIL_KEY: {**document[BODY_TAIL_KEY], "gallery_exponent": 0}}))


def test_no_body_calibration_is_none(tmp_path: Path) -> None:
    assert shipped_body_tail(_models(tmp_path / "old", SHIPPED)) is None  # weights only (older file)
    assert shipped_body_tail(_models(tmp_path / "none", None)) is None  # no fusion entry
    assert parse_body_tail(json.dumps({"weights": {}})) is None
    with pytest.raises(ValueError):
        parse_body_tail(json.dumps({"weights": {}, BODY_TAIL_KEY: {"probabilities": [0.1, 0.2],
                                                                   "distances": [0.9, 0.5]}}))


def test_a_suggestion_needs_the_body_within_the_persons_acceptance() -> None:
    from albumtag.app.identification import _best

    scores = np.array([[0.8, 0.1, 0.1], [0.8, 0.1, 0.1]])
    within = np.array([[True, False, False], [False, True, True]])
    found = _best([10, 11], scores, [1, 2, 3], set(), within)
    assert [(s.instance_id, s.person_id) for s in found] == [(10, 1)]  # 11: too far from person 1's bodies
    assert len(_best([10, 11], scores, [1, 2, 3], set(), None)) == 2  # no calibration: closed set
