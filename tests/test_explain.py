"""Attributions through Captum (core/explain.py): the method table, refusals, and checks against
the hand-written integrated gradients and Grad-CAM they replaced, completeness, Captum's
NoiseTunnel and LayerGradCam, a patch blanked by hand, Grad-CAM on a drawn digit (one Grad-CAM
for both pages), and the copy of a model that a call hooks instead of the shared one."""

from __future__ import annotations

import copy
import subprocess
import sys
import threading
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from captum.attr import IntegratedGradients, LayerAttribution, LayerGradCam, NoiseTunnel, Saliency
from PIL import Image
from torch import nn

from core import attribution_methods, explain
from core.digits.explain import attributions, integrated_gradients
from core.digits.predict import load_digit_model
from core.digits.preprocess import normalize, prepare_digit, to_model_input
from core.errors import UserError
from core.sentiment.explain import occlusion_groups, word_attributions
from core.sentiment.models import GRUClassifier, ScratchConfig
from core.vision import filters
from core.vision.model import digit_vision_model

DIGIT = Path(__file__).resolve().parent.parent / "demos" / "assets" / "digit_3.png"


def digit_input():
    prepared = prepare_digit(np.asarray(Image.open(DIGIT)))
    return prepared, to_model_input(prepared)


def blank_like(inputs: torch.Tensor) -> torch.Tensor:
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


def old_grad_cam(model, inputs, target):
    """The filter page's hand-written Grad-CAM on the digit CNN's last stage, before there was one."""
    features = model.features(inputs).detach().requires_grad_(True)  # (1, 128, 7, 7)
    logits = model.head(model.dropout(model.pool(features).flatten(1)))  # the rest of DigitCNN.forward
    weights = torch.autograd.grad(logits[0, target], features)[0].mean(dim=(2, 3), keepdim=True)  # (1, 128, 1, 1)
    cam = F.relu((weights * features.detach()).sum(dim=1, keepdim=True))  # (1, 1, 7, 7)
    return F.interpolate(cam, size=(28, 28), mode="bilinear", align_corners=False)[0, 0].numpy()


def tiny_gru():
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
def test_a_calls_own_copy_shares_the_weights_but_not_the_hooks_or_the_mode():
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.ReLU()).eval()
    copied, conv = explain.own_copy(model, model[0])
    assert conv is copied[0] and conv is not model[0]
    shared = [*model.parameters(), *model.buffers()]
    assert len(shared) == 7 and all(a is b for a, b in zip(shared, [*copied.parameters(), *copied.buffers()]))  # the same tensors
    fired = []
    conv.register_forward_hook(lambda *args: fired.append(1))
    copied.train()
    with torch.no_grad():
        model(torch.ones(1, 1, 4, 4))
    assert fired == [] and not any(module.training for module in model.modules())  # the shared model: untouched
    with pytest.raises(ValueError, match="not a sub-module"):
        explain.own_copy(model, nn.ReLU())


@pytest.mark.unit
def test_each_thread_keeps_one_copy_of_a_model():
    model = nn.Sequential(nn.Linear(2, 2))
    mine = explain.own_copy(model)[0]
    assert explain.own_copy(model)[0] is mine  # made once per thread
    theirs = []
    worker = threading.Thread(target=lambda: theirs.append(explain.own_copy(model)[0]))
    worker.start()
    worker.join(timeout=60)
    assert theirs and theirs[0] is not mine and theirs[0] is not model


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
    sentence = occlusion_groups(torch.arange(12), 12_800)
    assert sentence.tolist() == list(range(12))  # a sentence: one word at a time
    review = occlusion_groups(torch.arange(400), 12_800)
    assert int(review.max()) + 1 <= 32 and (review.diff() >= 0).all()  # 400 words: 32 groups of neighbours at most
    assert len(occlusion_groups(torch.arange(0), 1024)) == 0


@pytest.mark.unit
def test_word_integrated_gradients_add_up_to_the_log_odds_change():
    forward, embedded = tiny_gru()
    scores = word_attributions(forward, embedded, torch.zeros_like(embedded), "integrated_gradients", steps=400)
    with torch.no_grad():
        odds = forward(torch.stack([embedded, torch.zeros_like(embedded)])) @ torch.tensor([-1.0, 1.0])  # (2,)
    assert float(scores.sum()) == pytest.approx(float(odds[0] - odds[1]), rel=0.02, abs=1e-3)


# ---------- reference: against the hand-written versions and Captum itself ----------


@pytest.mark.reference
@pytest.mark.parametrize("kind", ["cnn", "mlp"])
def test_captums_integrated_gradients_equal_the_hand_written_ones_on_digits(kind):
    model = load_digit_model(kind)
    _, inputs = digit_input()
    ours, old = integrated_gradients(model, inputs, 3), old_digit_integrated_gradients(model, inputs, 3)
    assert ours.shape == (28, 28)
    np.testing.assert_allclose(ours, old, rtol=1e-4, atol=1e-5 * np.abs(old).max())


@pytest.mark.reference
def test_captums_integrated_gradients_equal_the_hand_written_ones_on_words():
    forward, embedded = tiny_gru()
    for baseline in (torch.zeros_like(embedded), embedded.flip(0)):
        ours = word_attributions(forward, embedded, baseline, "integrated_gradients", steps=32)
        old = old_word_integrated_gradients(forward, embedded, baseline, 32)
        torch.testing.assert_close(ours, old, rtol=1e-4, atol=1e-5)


@pytest.mark.reference
def test_integrated_gradients_are_complete_within_captums_convergence_delta():
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
    model = load_digit_model("cnn")
    prepared, inputs = digit_input()
    cam = attributions(model, inputs, 3, "gradcam")
    assert cam.shape == (28, 28) and cam.min() >= 0 and cam.max() > 0
    ink = prepared.image > 0.5
    far = np.ones((28, 28), bool)
    far[2:26, 2:26] = False  # the outer frame: never ink after centring
    assert cam[ink].mean() > 3 * cam[far].mean(), (cam[ink].mean(), cam[far].mean())


@pytest.mark.reference
def test_one_grad_cam_for_both_pages_is_captums_on_a_private_model_and_the_hand_written_one():
    model = load_digit_model("cnn")
    _, inputs = digit_input()
    private = copy.deepcopy(model)  # a model no other call uses: Captum's hooks on it are safe
    reference = LayerGradCam(private, private.features[-1]).attribute(inputs.clone().requires_grad_(True), target=3, relu_attributions=True)
    reference = LayerAttribution.interpolate(reference, (28, 28), interpolate_mode="bilinear")[0, 0].detach().numpy()
    np.testing.assert_allclose(old_grad_cam(model, inputs, 3), reference, rtol=1e-5, atol=1e-6)
    sketcher = attributions(model, inputs, 3, "gradcam")
    np.testing.assert_allclose(sketcher, reference, rtol=1e-5, atol=1e-6)
    vision = digit_vision_model()
    cam, target, _ = filters.grad_cam(vision, inputs)  # the filter page: its top class, scaled to [0, 1]
    assert target == 3
    np.testing.assert_allclose(cam, reference / reference.max(), rtol=1e-5, atol=1e-6)


@pytest.mark.reference
@pytest.mark.parametrize("method", attribution_methods.IMAGE_METHODS)
def test_every_method_explains_both_digit_models(method):
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
    # captum.attr imports matplotlib.pyplot, slow to import: only an explanation may pay for it.
    code = "import sys, core.digits.predict, core.sentiment.predict, demos.sketcher, demos.sentiment; print('captum' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], cwd=DIGIT.parents[2], capture_output=True, text=True, timeout=300)
    assert result.stdout.strip() == "False", result.stderr[-2000:]
