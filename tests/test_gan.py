"""The Small GAN: its core pieces on tiny inputs, references against torch, the shipped model, the
`generate_digits` endpoint, and the page in a browser (scripts/screenshots.py makes the README's picture)."""

from __future__ import annotations

import dataclasses
import re

import gradio as gr
import numpy as np
import pytest
import scipy.linalg as scipy_linalg
import torch
import torch.nn.functional as F
from gradio_client import Client
from PIL import Image

from core.checkpoints import weights_path
from core.gan import config as gan_config
from core.gan import controls as gan_controls
from core.gan import fused as gan_fused
from core.gan import models as gan
from core.gan import pictures as gan_pictures
from core.gan import sample as gan_sample
from core.gan import toy as gan_toy
from demos import gan as demo
from demos import handoff
from harness.browser import open_gradio, wait_until_streaming_ends
from tests.conftest import axe_violations, need
from train.gan import frechet_distance, matches_gan_card

HAVE_GAN = weights_path(gan.CHECKPOINT).exists()


@pytest.fixture
def shipped_gan():
    need(HAVE_GAN, "checkpoints/gan_digits.safetensors is not trained yet (python -m train.gan)")


needs_gan = pytest.mark.usefixtures("shipped_gan")


# ---------- unit tests on tiny inputs ----------


@pytest.mark.unit
def test_tile_places_each_image_in_rows():
    images = np.zeros((10, 2, 2), np.float32)
    images[9] = 1.0
    grid = gan_sample.tile(images, columns=4, pad=1)
    assert grid.shape == (3 * 3 + 1, 4 * 3 + 1) and grid.dtype == np.uint8
    assert grid[7:9, 4:6].min() == 255  # image 9: row 2, column 1
    assert grid.sum() == 255 * 4


@pytest.mark.unit
def test_tile_matches_placing_each_image_by_hand():
    images = np.random.default_rng(0).uniform(-0.1, 1.1, (13, 5, 4))
    grid = gan_sample.tile(images, columns=4, pad=2)
    assert grid.shape == (4 * 7 + 2, 4 * 6 + 2)
    for i, image in enumerate(images):
        r, c = divmod(i, 4)
        assert np.array_equal(grid[2 + 7 * r : 7 + 7 * r, 2 + 6 * c : 6 + 6 * c], (np.clip(image, 0, 1) * 255).astype(np.uint8))
    assert grid[2 + 21 :, 2 + 6 :].max() == 0  # no images after the 13th


@pytest.mark.reference
@pytest.mark.figures
@pytest.mark.parametrize("cin,cout", [(3, 1), (5, 2)])
def test_subpixel_convolution_equals_the_transposed_convolution(cin, cout):
    generator = torch.Generator().manual_seed(cin)
    x, weight = torch.randn(2, cin, 6, 5, generator=generator), torch.randn(cin, cout, 4, 4, generator=generator)
    expected = F.conv_transpose2d(x, weight, stride=2, padding=1)  # (2, cout, 12, 10)
    actual = F.pixel_shuffle(F.conv2d(x, gan_fused.subpixel_weight(weight), padding=1), 2)
    assert torch.allclose(actual, expected, atol=1e-5)


@pytest.mark.unit
@pytest.mark.figures
def test_fused_generator_computes_what_the_generator_computes():
    torch.manual_seed(0)
    generator = gan.DigitGenerator(gan.DigitGanConfig(latent_dim=8, embed_dim=6, width=4))
    generator.train()
    for _ in range(3):  # give the BatchNorms running statistics that are not 0 and 1
        generator(torch.randn(16, 8), torch.randint(0, 10, (16,)))
    for norm in (generator.project[1], generator.upsample[1]):
        norm.weight.data.uniform_(0.5, 1.5), norm.bias.data.uniform_(-0.5, 0.5)
    generator.eval()
    z, labels = torch.randn(10, 8), torch.arange(10)
    between = torch.lerp(generator.embed.weight[3], generator.embed.weight[8], torch.linspace(0, 1, 10)[:, None])  # (10, 6)
    fused = gan_fused.FusedGenerator(generator)
    with torch.no_grad():
        assert torch.allclose(fused(z, labels), generator(z, labels), atol=1e-5)
        assert torch.allclose(fused.from_embedding(z, between), generator.from_embedding(z, between), atol=1e-5)
        assert torch.equal(generator.from_embedding(z, generator.embed(labels)), generator(z, labels))


@pytest.mark.unit
@pytest.mark.figures
def test_standing_statistics_are_the_batch_statistics_of_the_current_weights():
    generator = gan.DigitGenerator(gan.DigitGanConfig(latent_dim=8, embed_dim=6, width=4))
    gan.standing_statistics(generator, torch.Generator().manual_seed(0), batches=4, batch_size=50)
    noise = torch.Generator().manual_seed(0)
    inputs = [(torch.randn(50, 8, generator=noise), torch.randint(0, 10, (50,), generator=noise)) for _ in range(4)]
    with torch.no_grad():
        pre = torch.cat([generator.project[0](torch.cat([z, generator.embed(y)], 1)) for z, y in inputs])  # (200, 2w * 49)
    assert not generator.training
    assert torch.allclose(generator.project[1].running_mean, pre.mean(0), atol=1e-5)


@pytest.mark.unit
def test_hinge_loss_is_zero_beyond_the_margins_and_linear_inside():
    confident = gan.discriminator_loss(torch.tensor([1.5, 2.0]), torch.tensor([-1.0, -3.0]), "hinge")
    unsure = gan.discriminator_loss(torch.tensor([0.0]), torch.tensor([0.5]), "hinge")
    assert float(confident) == 0.0 and float(unsure) == pytest.approx(1.0 + 1.5)
    assert float(gan.generator_loss(torch.tensor([2.0, -4.0]), "hinge")) == pytest.approx(1.0)


@pytest.mark.unit
@pytest.mark.figures
def test_the_discriminator_is_spectrally_normalised():
    d = gan.DigitDiscriminator(gan.DigitGanConfig(d_width=4))
    for _ in range(20):  # power iterations, run by forward passes in train mode
        d(torch.randn(4, 1, 28, 28), torch.arange(4))
    for conv in (m for m in d.features if isinstance(m, torch.nn.Conv2d)):
        sigma = torch.linalg.matrix_norm(conv.weight.detach().flatten(1), ord=2)
        assert float(sigma) == pytest.approx(1.0, rel=0.05)


@pytest.mark.unit
def test_requests_are_reproducible_and_any_digit_covers_every_class():
    z1, labels = gan_sample.request_latents(-1, 5, 20)
    z2, _ = gan_sample.request_latents(-1, 5, 20)
    z3, _ = gan_sample.request_latents(-1, 6, 20)
    assert torch.equal(z1, z2) and not torch.equal(z1, z3)
    assert labels.tolist() == list(range(10)) * 2
    assert gan_sample.request_latents(7, 0, 3)[1].tolist() == [7, 7, 7]


@pytest.mark.unit
def test_same_noise_gives_every_digit_the_first_ones_noise():
    z, labels = gan_sample.request_latents(-1, 5, 12, same_noise=True)
    first, _ = gan_sample.request_latents(-1, 5, 1)
    assert torch.equal(z, first.expand(12, -1)) and labels.tolist() == list(range(10)) + [0, 1]


@pytest.mark.unit
def test_the_note_names_the_digit_that_send_sends_and_its_class():
    assert "digit 14 of 20 (asked for a **3**)" in gan_pictures.picked_note(dict(digit=-1, seed=0, count=20, same_noise=False, index=13))
    assert "digit 2 of 5 (asked for a **7**)" in gan_pictures.picked_note(dict(digit=7, seed=0, count=5, same_noise=True, index=1))
    shown, note = gan_pictures.picked(dict(digit=-1, seed=0, count=20, same_noise=False, index=0), 13)  # a click on the 14th
    assert shown == dict(digit=-1, seed=0, count=20, same_noise=False, index=13) and "digit 14 of 20 (asked for a **3**)" in note


@pytest.mark.unit
def test_the_page_controls_name_the_field_left_empty_and_make_the_toy_config():
    assert gan_controls.blank(seed=0, seed_B=None, frames=None) == "seed B"  # the first empty one, its name readable
    assert gan_controls.blank(seed=0, frames=2) is None  # 0 is a value, not an empty box
    assert gan_controls.preset_values(gan_controls.COLLAPSE) == ("ring of 8 Gaussians", 1e-2, 1e-3, 1, "non-saturating", 1500)
    config = gan_controls.toy_config("two moons", 2e-3, 1e-3, 2, "minimax", 300, 7)
    settings = (config.distribution, config.g_lr, config.d_lr, config.d_steps, config.loss, config.steps, config.seed)
    assert settings == ("two moons", 2e-3, 1e-3, 2, "minimax", 300, 7)
    assert config.frame_every == 5 and config.batch_size == gan_config.ToyConfig().batch_size  # a loss point every 5 steps on the page


@pytest.mark.unit
def test_a_frame_gives_the_page_only_the_new_loss_points_and_says_where_the_run_is():
    history = {"step": [5, 10, 15], "d_loss": [1.0, 0.9, 0.8], "g_loss": [0.5, 0.6, 0.7]}
    frame = gan_toy.ToyFrame(15, 100, 2.34, np.zeros((4, 2)), np.zeros((4, 2)), np.zeros((8, 8)), history, 3, 8)
    since = frame.since(2)
    assert (since["steps"], since["d_loss"], since["g_loss"]) == ([15], [0.8], [0.7]) and len(frame.since(0)["steps"]) == 3
    assert since["resolution"] == 8 and since["extent"] == gan_toy.EXTENT and since["title"] == "step 15/100 · modes covered 3/8"
    assert frame.status() == "Training… step 15 of 100"
    assert frame.status(done=True) == "Done: 15 steps in 2.3 s (stopped at the 60 s limit per run)."  # ended before its steps: the cap
    finished = dataclasses.replace(frame, step=100, modes=None)
    assert finished.status(done=True) == "Done: 100 steps in 2.3 s." and finished.since(0)["title"] == "step 100/100"


@pytest.mark.unit
def test_a_missing_number_keeps_what_the_page_shows_and_says_what_is_missing():
    with pytest.warns(UserWarning, match="Fill in seed first"):
        kept = demo.show_digits(-1, None, 10, False)
    assert len(kept) == 4 and all(update == {"__type__": "update"} for update in kept)  # gr.skip(): the outputs stay as they were
    with pytest.warns(UserWarning, match="Fill in seed B first"):
        assert demo.walk_between(3, 1, None, 10) == {"__type__": "update"}
    with pytest.warns(UserWarning, match="Fill in seed first"):
        assert all(update == {"__type__": "update"} for update in demo.show_class_walk(3, 8, None, 10))
    plot, status, _ = next(demo.train_live("ring of 8 Gaussians", None, 1e-3, 1, "non-saturating", 100, 0))
    assert plot == {"__type__": "update"} and "Fill in the generator learning rate first" in status


@pytest.mark.unit
@pytest.mark.parametrize(
    "digit,seed,count,message",
    [(42, 0, 8, "digit must be"), (3, -1, 8, "seed must be"), (3, 0, 10_000, "count must be"), (3, 0, 0, "count must be")],
)
def test_out_of_range_requests_are_refused_with_a_message(digit, seed, count, message):
    with pytest.raises(ValueError, match=message):
        gan_sample.request_latents(digit, seed, count)


@pytest.mark.unit
def test_slerp_starts_and_ends_on_the_seeds_and_keeps_the_length():
    a, b = torch.tensor([3.0, 0.0]), torch.tensor([0.0, 3.0])
    path = gan_sample.slerp(a, b, torch.linspace(0, 1, 5))
    assert torch.allclose(path[0], a, atol=1e-5) and torch.allclose(path[-1], b, atol=1e-5)
    assert torch.allclose(path.norm(dim=1), torch.full((5,), 3.0), atol=1e-4)  # a line would dip to 2.12


@pytest.mark.reference
def test_discriminator_loss_is_binary_cross_entropy():
    real, fake = torch.randn(16), torch.randn(16)
    expected = F.binary_cross_entropy_with_logits(real, torch.ones(16)) + F.binary_cross_entropy_with_logits(fake, torch.zeros(16))
    assert torch.allclose(gan.discriminator_loss(real, fake, "non-saturating"), expected, atol=1e-6)
    assert torch.allclose(gan.generator_loss(fake, "non-saturating"), F.binary_cross_entropy_with_logits(fake, torch.ones(16)), atol=1e-6)


@pytest.mark.unit
def test_minimax_loss_saturates_when_the_discriminator_is_sure():
    """The lesson's claim: with D sure a fake is fake, log(1 - D) gives G almost no gradient."""
    grads = {}
    for loss in ("minimax", "non-saturating"):
        logits = torch.tensor([-6.0], requires_grad=True)
        gan.generator_loss(logits, loss).backward()
        grads[loss] = abs(float(logits.grad))
    assert grads["minimax"] < 0.01 < 0.9 < grads["non-saturating"]


@pytest.mark.unit
def test_adversarial_step_takes_k_discriminator_steps_per_generator_step():
    g, d = gan_toy.ToyGenerator(8), gan_toy.ToyDiscriminator(8)
    g_opt, d_opt = torch.optim.Adam(g.parameters(), 0.1), torch.optim.Adam(d.parameters(), 0.1)
    step = gan.adversarial_step(g, d, g_opt, d_opt, latent_dim=2, d_steps=3, noise=torch.Generator().manual_seed(0))
    before = [p.clone() for p in g.parameters()]
    metrics = step((torch.randn(12, 2),))
    assert int(d_opt.state[next(d.parameters())]["step"]) == 3
    assert int(g_opt.state[next(g.parameters())]["step"]) == 1
    assert any(not torch.equal(a, b) for a, b in zip(before, g.parameters()))
    assert set(metrics) == {"d_loss", "g_loss", "d_fake"}


@pytest.mark.unit
def test_the_mode_seeking_term_rewards_a_generator_that_uses_its_noise():
    def g_loss_of(generator) -> float:
        d = gan_toy.ToyDiscriminator(8)
        step = gan.adversarial_step(
            generator,
            d,
            torch.optim.SGD(generator.parameters(), 0.0),
            torch.optim.SGD(d.parameters(), 0.0),
            latent_dim=2,
            diversity=1.0,
            noise=torch.Generator().manual_seed(0),
        )
        return step((torch.randn(64, 2),))

    class Constant(torch.nn.Module):  # ignores its noise: every sample the same point
        def __init__(self):
            super().__init__()
            self.point = torch.nn.Parameter(torch.zeros(2))

        def forward(self, z):
            return self.point.expand(len(z), 2) + 0 * z

    collapsed, varied = g_loss_of(Constant()), g_loss_of(gan_toy.ToyGenerator(8))
    assert float(collapsed["spread"]) == 0 < float(varied["spread"])
    assert float(collapsed["g_loss"]) > 1e4  # weight / (0 + 1e-5): collapse costs a fortune


@pytest.mark.reference
@pytest.mark.figures
def test_frechet_distance_matches_the_closed_form():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(500, 4)) @ rng.normal(size=(4, 4))
    b = rng.normal(size=(400, 4)) * 2 + 1
    mu_a, mu_b, cov_a, cov_b = a.mean(0), b.mean(0), np.cov(a.T), np.cov(b.T)
    expected = ((mu_a - mu_b) ** 2).sum() + np.trace(cov_a + cov_b - 2 * scipy_linalg.sqrtm(cov_a @ cov_b).real)
    assert frechet_distance(torch.tensor(a), torch.tensor(b)) == pytest.approx(expected, rel=1e-6)
    assert frechet_distance(torch.tensor(a), torch.tensor(a)) == pytest.approx(0.0, abs=1e-6)


@pytest.mark.unit
@pytest.mark.parametrize("name", gan_config.DISTRIBUTIONS)
def test_toy_distributions_stay_in_the_plane(name):
    points = gan_toy.sample_toy(name, 2000, torch.Generator().manual_seed(0))
    assert points.shape == (2000, 2) and points.abs().max() < gan_toy.EXTENT
    assert points.std(0).min() > 0.3  # spread out, not a single blob


@pytest.mark.unit
def test_modes_covered_counts_the_ring_clusters():
    centres = gan_toy.mode_centres("ring of 8 Gaussians")
    assert gan_toy.modes_covered(np.repeat(centres, 10, axis=0), "ring of 8 Gaussians") == 8
    assert gan_toy.modes_covered(np.repeat(centres[:2], 40, axis=0), "ring of 8 Gaussians") == 2
    assert gan_toy.modes_covered(np.zeros((5, 2)), "two moons") is None


@pytest.mark.unit
@pytest.mark.figures
def test_toy_training_streams_reproducible_frames_and_refuses_huge_runs():
    config = dataclasses.replace(gan_config.ToyConfig(), steps=40, frame_every=20, batch_size=32, hidden=16)
    first, second = list(gan_toy.train_toy(config)), list(gan_toy.train_toy(config))
    assert [f.step for f in first] == [20, 40]
    assert first[-1].surface.shape == (64, 64) and 0 <= first[-1].surface.min() <= first[-1].surface.max() <= 1
    assert np.array_equal(first[-1].fake, second[-1].fake)  # same seed, same run
    assert len(first[-1].history["d_loss"]) == 2
    with pytest.raises(ValueError, match="steps must be"):
        next(gan_toy.train_toy(dataclasses.replace(config, steps=10**7)))


@pytest.mark.unit
def test_bad_api_arguments_become_clear_errors():
    for args, message in [
        ((42, 0, 8), "digit must be"),
        ((3, -5, 8), "seed must be"),
        ((3, 0, 10_000), "count must be"),
        ((3, 1.5, 8), "whole number"),
    ]:
        with pytest.raises(gr.Error, match=message):
            demo.generate_digits(*args)


@pytest.mark.unit
def test_a_re_measurement_holds_the_card_within_ten_digits_and_five_percent():
    """`python -m train.gan --evaluate`'s tolerance: what another CPU's kernels may move, and no more."""
    card = {
        "samples": 10_000,
        "class_consistency": 0.9907,
        "frechet_generated_vs_test": 0.0313,
        "frechet_train_vs_test_floor": 0.0151,
        "frechet_balanced_generated_vs_test": 0.0385,
    }
    assert matches_gan_card(card, card)
    assert matches_gan_card(dict(card, class_consistency=0.9897), card)  # 10 digits read differently
    assert not matches_gan_card(dict(card, class_consistency=0.9896), card)  # 11
    assert matches_gan_card(dict(card, frechet_train_vs_test_floor=0.0151 * 1.049), card)
    assert not matches_gan_card(dict(card, frechet_generated_vs_test=0.0313 * 1.06), card)
    assert not matches_gan_card(dict(card, samples=1_000), card)  # another test set
    assert not matches_gan_card(card, {"samples": 10_000})  # a card without the figures


# ---------- the shipped model ----------


@pytest.mark.reference
@pytest.mark.figures
@needs_gan
def test_shipped_networks_are_small_and_the_card_meets_the_targets():
    assert weights_path(gan.CHECKPOINT).stat().st_size <= 5e6
    metrics = gan.gan_card()["metrics"]
    assert metrics["samples"] >= 10_000 and metrics["class_consistency"] >= 0.99
    assert len(metrics["class_consistency_per_digit"]) == 10
    assert 0 < metrics["frechet_train_vs_test_floor"] < metrics["frechet_generated_vs_test"] <= 3 * metrics["frechet_train_vs_test_floor"]


@pytest.mark.reference
@pytest.mark.figures
@needs_gan
def test_sample_digits_is_reproducible_white_ink_on_black():
    images = gan_sample.sample_digits(-1, 3, 20)
    assert images.shape == (20, 28, 28) and images.dtype == np.float32
    assert 0 <= images.min() and images.max() <= 1
    assert np.array_equal(images, gan_sample.sample_digits(-1, 3, 20))
    assert not np.array_equal(images, gan_sample.sample_digits(-1, 4, 20))
    border, centre = images[:, :3].mean(), images[:, 10:18, 10:18].mean()
    assert border < 0.05 < centre  # black background, ink in the middle, like MNIST


@pytest.mark.reference
@pytest.mark.figures
@needs_gan
def test_generate_uses_the_fused_shipped_generator_with_the_same_result():
    z, labels = gan_sample.request_latents(-1, 8, 64)
    with torch.no_grad():
        device = next(gan.load_digit_gan().parameters()).device  # the CPU here, CUDA under GALLERY_DEVICE=cuda
        original = gan_sample.to_unit(gan.load_digit_gan().generator(z.to(device), labels.to(device))).cpu()
    assert isinstance(gan_fused.load_fused_generator(), gan_fused.FusedGenerator)
    assert torch.allclose(gan_sample.generate(z, labels), original, atol=1e-5)


@pytest.mark.reference
@pytest.mark.figures
@needs_gan
def test_the_judge_reads_generated_digits_as_the_class_asked_for():
    images, labels, scores, readings, _ = gan_pictures.read_digits(-1, 11, 100)
    need(readings is not None, "the digit CNN is not trained yet")
    assert (readings == labels).mean() >= 0.9
    assert scores.shape == (100,) and 0 <= scores.min() <= scores.max() <= 1


@pytest.mark.reference
@pytest.mark.figures
@needs_gan
def test_latent_directions_are_orthonormal_and_change_the_digit_most():
    gan.load_digit_gan.cache_clear()
    gan_sample.sample_digits(3, 0, 2)  # first load under generate(): the model must still give gradients
    z, _ = gan_sample.request_latents(3, 1, 1)
    directions = gan_sample.latent_directions(z[0], 3, 3).cpu()
    assert torch.allclose(directions @ directions.T, torch.eye(3), atol=1e-4)
    base = gan_sample.move_in_latent(3, 1, [0.0, 0.0, 0.0])
    along = gan_sample.move_in_latent(3, 1, [2.0, 0.0, 0.0])
    random = torch.randn(z.shape[1], generator=torch.Generator().manual_seed(0))
    random = random - directions.T @ (directions @ random)  # a direction outside the top three
    elsewhere = gan_sample.generate(z + 2.0 * random / random.norm(), torch.tensor([3])).numpy()[0]
    assert np.abs(along - base).sum() > np.abs(elsewhere - base).sum()


# ---------- end to end through gradio_client ----------


@pytest.fixture(scope="module")
def client(app_url):
    return Client(f"{app_url}/demos/gan/", verbose=False)


def tiles(path: str) -> np.ndarray:
    grid = np.asarray(Image.open(path).convert("L"))
    rows, columns = (grid.shape[0] - 2) // 30, (grid.shape[1] - 2) // 30
    return np.stack([grid[2 + r * 30 : 2 + r * 30 + 28, 2 + c * 30 : 2 + c * 30 + 28] for r in range(rows) for c in range(columns)])


@pytest.mark.e2e
@needs_gan
def test_generate_digits_endpoint_is_reproducible(client):
    first = tiles(client.predict(4, 9, 64, api_name="/generate_digits"))
    again = tiles(client.predict(4, 9, 64, api_name="/generate_digits"))
    other = tiles(client.predict(4, 10, 64, api_name="/generate_digits"))
    assert first.shape == (64, 28, 28)
    assert np.array_equal(first, again) and not np.array_equal(first, other)
    expected = (gan_sample.sample_digits(4, 9, 64) * 255).astype(np.uint8)
    assert np.abs(first.astype(int) - expected).max() <= 1  # PNG is lossless


@pytest.mark.e2e
@pytest.mark.parametrize("args,message", [((42, 0, 8), "digit must be"), ((3, -1, 8), "seed must be"), ((3, 0, 10_000), "count must be")])
def test_generate_digits_endpoint_refuses_bad_input_clearly(client, args, message):
    with pytest.raises(Exception, match=message):
        client.predict(*args, api_name="/generate_digits")


# ---------- in a browser ----------


READS = "([el, count]) => new RegExp('reads \\\\d+ of ' + count + ' ').test(el.innerText)"  # the summary of a gallery of `count`


@pytest.mark.browser
@needs_gan
def test_the_page_opens_on_digits_and_keeps_them_when_the_seed_is_missing(page, app_url):
    open_gradio(page, f"{app_url}/demos/gan/")  # no click: the load event draws them
    verdict, result = page.locator("#gan-verdict"), page.locator("#gan-result")
    page.wait_for_function(READS, arg=[verdict.element_handle(), 20], timeout=30_000)
    assert int(verdict.inner_text().split("reads")[1].split("of")[0]) >= 17  # the judge CNN agrees with most
    assert result.locator("img").count() == 20
    assert page.get_by_text("What you see.").first.is_visible() and page.get_by_text("The lesson.").is_visible()  # the lesson is open
    assert not [v for v in axe_violations(page) if v["impact"] == "critical"]
    page.locator("#gan-seed input").fill("")
    page.get_by_role("button", name="Generate", exact=True).click()
    page.get_by_text("Fill in seed first").wait_for(timeout=30_000)  # a warning says what is missing ...
    assert result.locator("img").count() == 20 and not result.locator(".error").count()  # ... and the digits stay, no Error badge


@pytest.mark.browser
@needs_gan
def test_each_try_this_button_sets_up_its_experiment(page, app_url):
    open_gradio(page, f"{app_url}/demos/gan/")
    page.locator("#gan-try-walk").click()
    class_verdict = page.locator("#gan-class-verdict")
    page.wait_for_function("el => /reads 3 up to frame \\d+ and 8 from frame/.test(el.innerText)", arg=class_verdict.element_handle())
    assert page.get_by_role("tab", name="Digit to digit").get_attribute("aria-selected") == "true"
    page.locator("#gan-try-same-noise").click()
    page.wait_for_function(READS, arg=[page.locator("#gan-verdict").element_handle(), 10], timeout=30_000)
    assert page.locator("#gan-same-noise input").is_checked() and page.locator("#gan-result img").count() == 10
    assert [img.get_attribute("alt").split("CNN ")[1][0] for img in page.locator("#gan-result img").all()] == list("0123456789")
    page.locator("#gan-try-collapse").click()
    status = page.locator("#gan-status")
    page.wait_for_function("el => /step \\d+ of 1500/.test(el.innerText)", arg=status.element_handle(), timeout=60_000)  # it trains
    assert page.get_by_role("radio", name=gan_controls.COLLAPSE).is_checked()
    assert page.get_by_label("Generator learning rate").input_value() == "0.01"  # the preset's G, ten times faster than D
    page.locator("#gan-stop").click()
    wait_until_streaming_ends(page, status)


def sent_digit(link: str) -> np.ndarray:
    return handoff.decode_digit(re.search(r"[?&]digit=([A-Za-z0-9_-]+)", link).group(1))


@pytest.mark.browser
@needs_gan
@pytest.mark.parametrize("where", ["standalone", "gallery"])
def test_a_generated_digit_goes_to_the_sketcher_which_reads_it(page, app_url, where):
    open_gradio(page, f"{app_url}/demos/gan/" if where == "standalone" else f"{app_url}/?tab=gan")
    page.locator("#gan-result button.thumbnail-item").nth(13).click()  # the 14th digit, asked for as a 3
    page.get_by_text("It sends digit 14 of 20 (asked for a 3)").wait_for()
    expected, _ = gan_pictures.one_digit(-1, 0, 20, False, 13)
    if where == "standalone":  # a new tab opens the sketcher with the digit in its address; the link stays here
        with page.context.expect_page() as opened:
            page.locator("#gan-send-to-sketcher").click()
        sketcher = opened.value
        link = page.locator("#gan-send a")
        link.wait_for()
        assert "/demos/sketcher/?digit=" in link.get_attribute("href") and link.get_attribute("href") == sketcher.url
        assert np.abs(sent_digit(sketcher.url) - expected).max() <= 0.5 / 255 + 1e-6
    else:  # in the gallery: the sketcher's tab opens, with no new page
        sketcher = page
        page.locator("#gan-send-to-sketcher").click()
        page.wait_for_function(
            "() => document.querySelector('button[role=tab][data-tab-id=sketcher]').getAttribute('aria-selected') === 'true'"
        )
    bars = sketcher.locator("#sketcher-result #cnn-label .bars")
    sketcher.wait_for_function("el => el.dataset.digit === '3'", arg=bars.element_handle(timeout=60_000), timeout=60_000)


@pytest.mark.browser
@needs_gan
def test_the_latent_tab_opens_on_a_walk_and_a_slider_moves_the_digit(page, app_url):
    open_gradio(page, f"{app_url}/demos/gan/")
    page.get_by_role("tab", name="Latent space").click()
    walk, moved = page.locator("#gan-walk img"), page.locator("#gan-moved .live-digit")
    walk.first.wait_for(timeout=30_000)
    page.wait_for_function("el => el.dataset.frame !== ''", arg=moved.element_handle(), timeout=30_000)  # seed A's digit drawn
    before = moved.get_attribute("data-frame")
    number = page.locator("#gan-direction-1 input[type=number]")
    number.fill("2")
    number.press("Enter")
    page.wait_for_function("([el, before]) => el.dataset.frame !== before", arg=[moved.element_handle(), before], timeout=30_000)


@pytest.mark.browser
def test_watch_it_learn_streams_frames_and_stops(page, app_url):
    open_gradio(page, f"{app_url}/demos/gan/")
    page.get_by_role("tab", name="Watch it learn").click()
    page.locator("#gan-train").click()
    status = page.locator("#gan-status")
    page.wait_for_function("el => /step \\d+ of/.test(el.innerText)", arg=status.element_handle(), timeout=60_000)
    page.locator("#gan-stop").click()
    wait_until_streaming_ends(page, status)  # within 30 s, half the run's own 60 s cap: Stop ended it
    step, total = map(int, re.search(r"step (\d+) of (\d+)", status.inner_text()).groups())
    assert step < total and "limit" not in status.inner_text()  # stopped where Stop was pressed, not at the end or the cap
