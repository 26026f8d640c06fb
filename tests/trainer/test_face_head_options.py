"""The face-head options on CPU in a few seconds: QAFace quality weights
(trainer.face_head.quality), the set-template attention and its per-epoch sets
(trainer.face_head.set_template), and the template identification that reuses
``kshot_accuracy``'s draws (trainer.face_head.evaluate). The training smoke run with both
options on is in test_face_head.py."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.trainer

from albumtag.evaluation.metrics import distance_matrix, kshot_accuracy, kshot_enrolments  # noqa: E402
from trainer.config import load_config  # noqa: E402
from trainer.face_head.data import FaceMaps  # noqa: E402
from trainer.face_head.evaluate import head_vectors, template_kshot_accuracy, template_rows  # noqa: E402
from trainer.face_head.loss import head_loss  # noqa: E402
from trainer.face_head.model import FaceHead  # noqa: E402
from trainer.face_head.quality import quality_weights  # noqa: E402
from trainer.face_head.set_template import SetTemplate, epoch_sets  # noqa: E402
from trainer.face_head.train import signature  # noqa: E402


def test_quality_weights_order_cutoff_and_no_gradient() -> None:
    # Norms 1..9 along one axis, plus one face far below the rest.
    directions = torch.nn.functional.normalize(torch.randn(10, 6, generator=torch.Generator().manual_seed(0)), dim=1)
    norms = torch.tensor([0.01, 5.0, 5.2, 5.4, 5.6, 5.8, 6.0, 6.2, 6.4, 6.6])
    features = (directions * norms[:, None]).requires_grad_()
    weights = quality_weights(features, tau=2.0)
    standardised = (norms - norms.mean()) / norms.std(correction=0)
    assert standardised[0] < -2.0 and bool((standardised[1:] > -2.0).all())
    assert weights[0] == 0  # too low quality: ignored
    assert torch.allclose(weights[1:], torch.exp(-standardised[1:]))
    assert bool((weights[1:-1] > weights[2:]).all())  # higher norm -> lower weight
    assert not weights.requires_grad and weights.grad_fn is None
    # A looser tau keeps the face; norms equal up to rounding (or one face) weigh about 1.
    assert quality_weights(features, tau=10.0)[0] > weights[1]
    assert torch.allclose(quality_weights(directions * 3.0), torch.ones(10), atol=1e-2)
    assert torch.equal(quality_weights(features[:1]), torch.ones(1))


def test_quality_weighted_feature_loss() -> None:
    torch.manual_seed(0)
    head = FaceHead(classes=3, channels=8)
    features = torch.randn(6, 8) * torch.tensor([0.01, 1, 1, 1, 1, 1.0])[:, None]
    kernels, labels = torch.randn(6, 8, 9), torch.tensor([0, 1, 2, 0, 1, 2])
    _, plain = head_loss(head, features, kernels, labels, 0.5)
    _, weighted = head_loss(head, features, kernels, labels, 0.5, quality_tau=2.0)
    with torch.no_grad():
        per_sample = torch.nn.functional.cross_entropy(head.feature_classifier(features), labels, reduction="none")
    weights = quality_weights(features, 2.0)
    assert plain["loss_f"] == pytest.approx(float(per_sample.mean()), rel=1e-5)
    assert weighted["loss_f"] == pytest.approx(float((weights * per_sample).sum() / weights.sum()), rel=1e-5)
    assert weighted["loss_f"] != pytest.approx(plain["loss_f"], rel=1e-3)
    assert weighted["loss_k"] == plain["loss_k"]  # L_K is not weighted


def _template(seed: int = 0) -> SetTemplate:
    torch.manual_seed(seed)
    template = SetTemplate(channels=8, groups=4)
    torch.nn.init.normal_(template.score.weight)  # non-uniform attention (it starts at zero)
    return template


def test_set_template_permutation_invariant_single_face_and_mask() -> None:
    template = _template()
    local = torch.randn(2, 5, 8, 4, dtype=torch.float64)
    template = template.double()
    out = template(local)
    assert out.shape == (2, 8)
    shuffled = template(local[:, torch.tensor([3, 0, 4, 1, 2])])
    assert torch.allclose(out, shuffled, atol=1e-12)
    # Not a plain mean or max: the learned scores matter.
    assert not torch.allclose(out, local.mean(dim=1).amax(dim=2))
    assert not torch.allclose(out, local.amax(dim=(1, 3)))
    # One face: exactly its own globally max-pooled local features.
    assert torch.allclose(template(local[:, :1]), local[:, 0].amax(dim=2), atol=1e-12)
    # Masked-out slots change nothing, whatever they hold.
    mask = torch.tensor([[True, True, False, False, False], [True, True, True, True, True]])
    garbage = local.clone()
    garbage[0, 2:] = 1e3
    masked = template(garbage, mask)
    assert torch.allclose(masked[0], template(local[:1, :2])[0], atol=1e-12)
    assert torch.allclose(masked[1], out[1], atol=1e-12)


def test_set_template_starts_as_mean_and_gradients_flow() -> None:
    torch.manual_seed(0)
    local = torch.randn(3, 4, 8, 4, requires_grad=True)
    fresh = SetTemplate(channels=8, groups=4)
    assert torch.allclose(fresh(local), local.mean(dim=1).amax(dim=2))
    template = _template()
    template(local).square().sum().backward()
    assert local.grad is not None and bool((local.grad.abs().sum(dim=(2, 3)) > 0).all())  # every face
    assert float(template.score.weight.grad.abs().sum()) > 0 and float(template.score.bias.grad.abs().sum()) > 0
    with pytest.raises(ValueError):
        SetTemplate(channels=8, groups=3)


def test_head_templates_match_face_features() -> None:
    torch.manual_seed(0)
    head = FaceHead(classes=3, channels=8, template_groups=4)
    maps = torch.rand(5, 8, 2, 2)
    common = torch.nn.functional.normalize(torch.randn(8, 9), dim=1)
    features, _ = head.features(maps, common)
    slots = torch.tensor([[0, 1, 2], [3, 4, 0]])
    mask = torch.tensor([[False, True, False], [True, True, True]])
    templates = head.templates(maps, slots, mask, common)
    assert torch.allclose(templates[0], features[1], atol=1e-6)  # a set of one face: its feature
    assert templates.shape == (2, 8)


def test_epoch_sets_cover_identities_deterministically() -> None:
    labels = np.repeat(np.arange(6), [1, 2, 3, 5, 14, 20])
    batches = epoch_sets(labels, 12, steps=3, rng=np.random.default_rng([0, 7, 1]))
    again = epoch_sets(labels, 12, steps=3, rng=np.random.default_rng([0, 7, 1]))
    assert len(batches) == 3
    assert all(np.array_equal(a.faces, b.faces) and np.array_equal(a.slots, b.slots) for a, b in zip(batches, again))
    assert sorted(int(y) for b in batches for y in b.labels) == [1, 2, 3, 4, 5]  # one set per person with 2+
    for batch in batches:
        for slots, mask, label in zip(batch.slots, batch.mask, batch.labels):
            members = batch.faces[slots[mask]]
            assert 2 <= len(members) <= min(12, int((labels == label).sum()))
            assert len(set(members.tolist())) == len(members) and bool((labels[members] == label).all())
    # More steps than sets: one set per step, the rest of the steps have none.
    assert len(epoch_sets(labels, 12, steps=10, rng=np.random.default_rng(0))) == 5
    with pytest.raises(ValueError):
        epoch_sets(np.arange(4), 12, steps=2, rng=np.random.default_rng(0))


def test_template_identification_uses_kshot_draws() -> None:
    # 1-shot with the single enrolled face as the template is kshot_accuracy itself, on the
    # same draws, missing faces included.
    rng = np.random.default_rng(3)
    labels = [int(y) for y in np.repeat(np.arange(5), 4)]
    vectors = np.array([[float(y), 0.0] for y in labels]) + rng.normal(scale=0.7, size=(20, 2))
    found = np.ones(20, bool)
    found[[2, 9]] = False
    expected = kshot_accuracy(labels, distance_matrix(vectors, found), 1)
    got = template_kshot_accuracy(labels, vectors, found, found, lambda rows: vectors[rows[0]], 1)
    assert got == pytest.approx(expected) and 0 < got < 1
    # A perfect template (the people's centres) identifies every query that has a face.
    centre = lambda rows: np.array([float(labels[rows[0]]), 0.0])  # noqa: E731
    perfect = template_kshot_accuracy(labels, np.array([[float(y), 0.0] for y in labels]), found, found, centre, 2)
    assert perfect < 1.0 and perfect == pytest.approx(
        np.mean([np.mean(found[rest]) for rest in _rests(labels, 2)]))


def _rests(labels: list[int], k: int) -> list[np.ndarray]:
    return [np.concatenate([rest for _, rest in kshot_enrolments(labels, k, seed).values()]) for seed in range(5)]


def test_every_option_has_its_own_checkpoint() -> None:
    config = load_config("face-head")
    data = SimpleNamespace(paths=["A/A_0001.jpg"])
    changed = {"quality_weighting": not config["quality_weighting"], "quality_tau": 3.0,
               "set_template": not config["set_template"], "set_size": 6, "set_groups": 8, "set_loss_weight": 1.0}
    names = {signature({**config, key: value}, data) for key, value in changed.items()}
    assert len(names | {signature(config, data)}) == len(changed) + 1


def test_template_rows_of_a_head_with_attention() -> None:
    # 3 people x 8 photos (one without a face); every template kind is measured.
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(3), 8)
    found = np.ones(24, bool)
    found[5] = False
    centres = rng.random((3, 8, 2, 2)).astype(np.float32)
    maps = (centres[labels] + rng.normal(scale=0.05, size=(24, 8, 2, 2))).astype(np.float32)
    descriptors = (np.eye(3, 4)[labels] + rng.normal(scale=0.1, size=(24, 4))).astype(np.float32)
    maps[~found], descriptors[~found] = 0.0, 0.0
    held = FaceMaps([f"P{y}/{k}.jpg" for k, y in enumerate(labels)], labels, ["P0", "P1", "P2"], found, maps,
                    descriptors)
    torch.manual_seed(0)
    head = FaceHead(classes=3, channels=8, template_groups=4).eval()
    common = torch.nn.functional.normalize(torch.randn(8, 9), dim=1)
    ident = np.ones(24, bool)
    rows = template_rows(head, held, ident, head_vectors(head, maps, common), common, shots=5, tau=2.0)
    assert list(rows) == ["plain descriptor, mean template", "plain descriptor, QAFace-weighted mean template",
                          "head, attention template", "head, mean template (extra)"]
    # The descriptors separate the people: only the faceless photo, when a query, is wrong.
    expected = 100 * np.mean([np.mean(found[rest]) for rest in _rests([int(y) for y in labels], 5)])
    assert rows["plain descriptor, mean template"] == pytest.approx(expected, abs=0.01) and expected < 100
    assert all(0 <= value <= 100 for value in rows.values())
