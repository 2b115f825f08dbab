"""Attributions through Captum (core/explain.py): the method table, refusals, and checks against
the hand-written integrated gradients they replaced, completeness, Captum's NoiseTunnel, a patch
blanked by hand, and Grad-CAM on a drawn digit."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

from core import attribution_methods, explain
from core.errors import UserError

DIGIT = Path(__file__).resolve().parent.parent / "demos" / "assets" / "digit_3.png"


def digit_input():
    from core.digits.preprocess import prepare_digit, to_model_input

    prepared = prepare_digit(np.asarray(Image.open(DIGIT)))
    return prepared, to_model_input(prepared)


def blank_like(inputs: torch.Tensor) -> torch.Tensor:
    from core.digits.preprocess import normalize

    return normalize(torch.zeros_like(inputs))


# ---------- the hand-written integrated gradients that Captum's replaced, kept as references ----------


def old_digit_integrated_gradients(model, inputs, target, steps=32):
    baseline = blank_like(inputs)
    alphas = torch.linspace(1.0 / steps, 1.0, steps).view(-1, 1, 1, 1)
    path = (baseline + alphas * (inputs - baseline)).requires_grad_(True)  # (steps, 1, 28, 28)
    grads = torch.autograd.grad(model(path)[:, target].sum(), path)[0]
    return ((inputs - baseline) * grads.mean(dim=0, keepdim=True))[0, 0].detach().numpy()


def old_word_integrated_gradients(forward, embedded, baseline, steps):
    alphas = torch.linspace(1.0 / steps, 1.0, steps)[:, None, None]  # right Riemann sum
    path = (baseline + alphas * (embedded - baseline)).requires_grad_(True)  # (steps, T, E)
    logits = forward(path)  # (steps, 2)
    (logits[:, 1] - logits[:, 0]).sum().backward()
    return ((embedded - baseline) * path.grad.mean(0)).sum(-1)  # (T,)


def tiny_gru():
    from core.sentiment.models import GRUClassifier, ScratchConfig

    torch.manual_seed(1)  # a test's own random model, not a handler
    model = GRUClassifier(ScratchConfig(vocab_size=50, embed_dim=8, hidden=6, dropout=0.0)).eval()
    embedded = model.embedding(torch.tensor([[3, 9, 4, 12, 7]]))[0].detach()  # (5, 8)

    def forward(batch):  # (B, T, E) -> (B, 2)
        return model.forward_embedded(batch, torch.ones(batch.shape[:2], dtype=torch.bool))

    return forward, embedded


# ---------- unit ----------


@pytest.mark.unit
def test_the_method_table_names_every_method_with_one_line_notes():
    assert attribution_methods.IMAGE_METHODS == ("saliency", "integrated_gradients", "smoothgrad", "occlusion", "gradcam")
    assert attribution_methods.TEXT_METHODS == ("saliency", "integrated_gradients", "smoothgrad", "occlusion")
    for method in attribution_methods.METHODS.values():
        for note in (method.computes, method.misleads):
            assert note.endswith(".") and "\n" not in note and 20 < len(note) < 200
    assert [name for name, method in attribution_methods.METHODS.items() if method.needs_convolution] == ["gradcam"]


@pytest.mark.unit
@pytest.mark.parametrize("method", ["deeplift", "", "GRADCAM", None, 3, ["saliency"]])
def test_an_unknown_method_is_refused_with_the_choices(method):
    with pytest.raises(UserError, match="saliency, integrated_gradients, smoothgrad, occlusion, gradcam"):
        attribution_methods.checked_method(method)
    model = nn.Sequential(nn.Flatten(), nn.Linear(4, 2))
    with pytest.raises(UserError, match="method must be one of"):
        explain.image_attributions(model, torch.ones(1, 1, 2, 2), 0, method, torch.zeros(1, 1, 2, 2))
    with pytest.raises(UserError, match="saliency, integrated_gradients, smoothgrad, occlusion; got"):
        explain.text_attributions(lambda e: e.sum((1, 2)), torch.ones(3, 2), torch.zeros(3, 2), method if method != "" else "gradcam")


@pytest.mark.unit
def test_grad_cam_on_a_model_without_convolutions_says_so():
    model = nn.Sequential(nn.Flatten(), nn.Linear(4, 2))
    with pytest.raises(UserError, match="Grad-CAM needs a convolutional layer"):
        explain.image_attributions(model, torch.ones(1, 1, 2, 2), 0, "gradcam", torch.zeros(1, 1, 2, 2))
    with pytest.raises(UserError, match="gradcam"):  # and texts never offer it
        explain.text_attributions(lambda e: e.sum((1, 2)), torch.ones(3, 2), torch.zeros(3, 2), "gradcam")


@pytest.mark.unit
def test_word_occlusion_shares_each_groups_drop_among_its_tokens():
    weights = torch.tensor([1.0, -2.0, 3.0, 0.5])  # score = sum of token embedding x weight: token drops 1, -2, 3, 0.5

    def score(batch):  # (B, 4, 1) -> (B,)
        return (batch[..., 0] * weights).sum(1)

    embedded, blank = torch.ones(4, 1), torch.zeros(4, 1)
    alone = explain.text_attributions(score, embedded, blank, "occlusion")
    torch.testing.assert_close(alone, weights)
    shared = explain.text_attributions(score, embedded, blank, "occlusion", groups=torch.tensor([0, 0, 0, 1]))
    torch.testing.assert_close(shared, torch.tensor([2 / 3, 2 / 3, 2 / 3, 0.5]))  # words 0-2 dropped 2 together
    assert float(shared.sum()) == pytest.approx(float(weights.sum()))


@pytest.mark.unit
def test_occlusion_groups_keep_long_texts_within_the_budget():
    from core.sentiment.explain import occlusion_groups

    sentence = occlusion_groups(torch.arange(12), 12_800)
    assert sentence.tolist() == list(range(12))  # a sentence: one word at a time
    review = occlusion_groups(torch.arange(400), 12_800)
    assert int(review.max()) + 1 <= 32 and (review.diff() >= 0).all()  # 400 words: 32 groups of neighbours at most
    assert len(occlusion_groups(torch.arange(0), 1024)) == 0


@pytest.mark.unit
def test_word_integrated_gradients_add_up_to_the_log_odds_change():
    from core.sentiment.explain import word_attributions

    forward, embedded = tiny_gru()
    scores = word_attributions(forward, embedded, torch.zeros_like(embedded), "integrated_gradients", steps=400)
    with torch.no_grad():
        odds = forward(torch.stack([embedded, torch.zeros_like(embedded)])) @ torch.tensor([-1.0, 1.0])  # (2,)
    assert float(scores.sum()) == pytest.approx(float(odds[0] - odds[1]), rel=0.02, abs=1e-3)


# ---------- reference: against the hand-written versions and Captum itself ----------


@pytest.mark.reference
@pytest.mark.parametrize("kind", ["cnn", "mlp"])
def test_captums_integrated_gradients_equal_the_hand_written_ones_on_digits(kind):
    from core.digits.explain import integrated_gradients
    from core.digits.predict import load_digit_model

    model = load_digit_model(kind)
    _, inputs = digit_input()
    ours, old = integrated_gradients(model, inputs, 3), old_digit_integrated_gradients(model, inputs, 3)
    assert ours.shape == (28, 28)
    np.testing.assert_allclose(ours, old, rtol=1e-4, atol=1e-5 * np.abs(old).max())


@pytest.mark.reference
def test_captums_integrated_gradients_equal_the_hand_written_ones_on_words():
    from core.sentiment.explain import word_attributions

    forward, embedded = tiny_gru()
    for baseline in (torch.zeros_like(embedded), embedded.flip(0)):
        ours = word_attributions(forward, embedded, baseline, "integrated_gradients", steps=32)
        old = old_word_integrated_gradients(forward, embedded, baseline, 32)
        torch.testing.assert_close(ours, old, rtol=1e-4, atol=1e-5)


@pytest.mark.reference
def test_integrated_gradients_are_complete_within_captums_convergence_delta():
    from captum.attr import IntegratedGradients

    from core.digits.explain import integrated_gradients
    from core.digits.predict import load_digit_model

    model = load_digit_model("cnn")
    _, inputs = digit_input()
    with torch.no_grad():
        gap = float(model(inputs)[0, 3] - model(blank_like(inputs))[0, 3])  # f(input) - f(blank)
    found, delta = IntegratedGradients(model).attribute(
        inputs, blank_like(inputs), target=3, n_steps=32, method="riemann_right", return_convergence_delta=True
    )
    ours = integrated_gradients(model, inputs, 3)
    np.testing.assert_allclose(ours, found[0, 0].detach().numpy(), rtol=1e-4, atol=1e-6)
    assert ours.sum() - gap == pytest.approx(float(delta), abs=1e-3)  # what is missing is Captum's delta
    assert abs(float(delta)) < 0.1 * abs(gap)  # 32 steps: within 10% of the change
    assert integrated_gradients(model, inputs, 3, steps=256).sum() == pytest.approx(gap, rel=0.01)


@pytest.mark.reference
def test_smoothgrad_is_noise_tunnels_average_and_repeats_itself():
    from captum.attr import NoiseTunnel, Saliency

    from core.digits.predict import load_digit_model

    model = load_digit_model("mlp")
    _, inputs = digit_input()
    costs = replace(explain.COSTS, noise_samples=512)
    ours = explain.smoothgrad(model, inputs, 3, costs)[0, 0]
    spread = costs.noise * float(inputs.max() - inputs.min())
    with torch.random.fork_rng():
        torch.manual_seed(0)
        tunnel = NoiseTunnel(Saliency(model)).attribute(
            inputs.clone().requires_grad_(True), nt_type="smoothgrad", nt_samples=512, stdevs=spread, target=3, abs=False
        )[0, 0]
    correlation = np.corrcoef(ours.numpy().ravel(), tunnel.detach().numpy().ravel())[0, 1]
    assert correlation > 0.95, correlation
    torch.testing.assert_close(explain.smoothgrad(model, inputs, 3, costs)[0, 0], ours)  # the same picture twice


@pytest.mark.reference
def test_occlusion_is_the_drop_when_a_patch_is_blanked():
    from core.digits.explain import attributions
    from core.digits.predict import load_digit_model

    model = load_digit_model("cnn")
    _, inputs = digit_input()
    found = attributions(model, inputs, 3, "occlusion")
    blanked = inputs.clone()
    blanked[..., 8:12, 12:16] = blank_like(inputs)[..., 8:12, 12:16]  # one 4 x 4 patch of the 7 x 7 grid
    with torch.no_grad():
        drop = float(model(inputs)[0, 3] - model(blanked)[0, 3])
    assert found[8:12, 12:16] == pytest.approx(np.full((4, 4), drop), rel=1e-4, abs=1e-5)
    assert np.unique(found).size <= 49


@pytest.mark.reference
def test_grad_cam_marks_the_ink_of_a_drawn_digit():
    from core.digits.explain import attributions
    from core.digits.predict import load_digit_model

    model = load_digit_model("cnn")
    prepared, inputs = digit_input()
    cam = attributions(model, inputs, 3, "gradcam")
    assert cam.shape == (28, 28) and cam.min() >= 0 and cam.max() > 0
    ink = prepared.image > 0.5
    far = np.ones((28, 28), bool)
    far[2:26, 2:26] = False  # the outer frame: never ink after centring
    assert cam[ink].mean() > 3 * cam[far].mean(), (cam[ink].mean(), cam[far].mean())


@pytest.mark.reference
@pytest.mark.parametrize("method", attribution_methods.IMAGE_METHODS)
def test_every_method_explains_both_digit_models(method):
    from core.digits.explain import attributions
    from core.digits.predict import load_digit_model

    _, inputs = digit_input()
    for kind in ("cnn", "mlp"):
        if kind == "mlp" and method == "gradcam":
            with pytest.raises(UserError, match="Grad-CAM needs a convolutional layer"):
                attributions(load_digit_model(kind), inputs, 3, method)
            continue
        found = attributions(load_digit_model(kind), inputs, 3, method)
        assert found.shape == (28, 28) and np.isfinite(found).all() and np.abs(found).max() > 0


@pytest.mark.unit
def test_answering_never_imports_captum():
    # captum.attr imports matplotlib.pyplot (about a second): only an explanation may pay for it.
    import subprocess
    import sys

    code = "import sys, core.digits.predict, core.sentiment.predict, demos.sketcher, demos.sentiment; print('captum' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], cwd=DIGIT.parents[2], capture_output=True, text=True, timeout=300)
    assert result.stdout.strip() == "False", result.stderr[-2000:]
