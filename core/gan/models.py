"""Generative adversarial networks: a conditional DCGAN for 28x28 digits (the 2-D toy is in gan_toy).

A generator G turns noise z (and a class label) into a sample; a discriminator D scores how real a
sample looks (a logit). They train in turns with one step function, `adversarial_step`, which the
digit trainer (`train.gan`) and the live toy GAN (`core.gan.toy`) both hand to `core.training.fit`.

    sample_digits(digit, seed, count) -> (N, 28, 28) float in [0, 1], white ink on black
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from core.checkpoints import load_card, load_weights
from core.device import default_device
from core.gan.config import LOSSES
from core.loading import cached_loader

CHECKPOINT = "gan_digits"  # checkpoints/gan_digits.safetensors: G and D together
TRAIN_COMMAND = "python -m train.gan --data-dir ../shared/data"
MAX_DIGITS = 256  # per request: sample_digits refuses more


@dataclass(frozen=True)
class DigitGanConfig:
    latent_dim: int = 64  # enough for MNIST's variety; small so that sampling stays cheap
    width: int = 32  # channels at 14x14 in G and D: ~0.6M parameters in all, 50 ms for 64 digits on CPU
    classes: int = 10  # one per digit


DIGIT_GAN = DigitGanConfig()


# ---------- the digit models ----------


class DigitGenerator(nn.Module):
    """(z, label) -> 28x28 image in [-1, 1]. The label picks an embedding added to z's projection."""

    def __init__(self, config: DigitGanConfig = DIGIT_GAN):
        super().__init__()
        w = config.width
        self.width = w
        self.embed = nn.Embedding(config.classes, config.latent_dim)
        self.project = nn.Sequential(nn.Linear(2 * config.latent_dim, w * 2 * 7 * 7, bias=False), nn.BatchNorm1d(w * 2 * 49), nn.ReLU())
        self.upsample = nn.Sequential(
            nn.ConvTranspose2d(2 * w, w, 4, stride=2, padding=1, bias=False),  # (B, w, 14, 14)
            nn.BatchNorm2d(w),
            nn.ReLU(),
            nn.ConvTranspose2d(w, 1, 4, stride=2, padding=1),  # (B, 1, 28, 28)
            nn.Tanh(),
        )

    def forward(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        h = self.project(torch.cat([z, self.embed(labels)], dim=1))  # (B, 2w * 49)
        return self.upsample(h.view(-1, 2 * self.width, 7, 7))  # (B, 1, 28, 28)


class DigitDiscriminator(nn.Module):
    """(image, label) -> realness logit, with a projection term: features . embedding(label)."""

    def __init__(self, config: DigitGanConfig = DIGIT_GAN):
        super().__init__()
        w = config.width
        self.features = nn.Sequential(
            nn.Conv2d(1, w, 4, stride=2, padding=1),  # (B, w, 14, 14)
            nn.LeakyReLU(0.2),
            nn.Conv2d(w, 2 * w, 4, stride=2, padding=1, bias=False),  # (B, 2w, 7, 7)
            nn.BatchNorm2d(2 * w),
            nn.LeakyReLU(0.2),
        )
        features = (2 * w + 1) * 49  # the 2w maps and one minibatch-spread map, 7x7 each
        self.real = nn.Linear(features, 1)  # (B, 1)
        self.embed = nn.Embedding(config.classes, features)  # projection discriminator (Miyato & Koyama 2018)
        nn.init.normal_(self.embed.weight, std=0.02)  # N(0, 1) would swamp the logit at the start

    def forward(self, images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        h = self.features(images)  # (B, 2w, 7, 7)
        # Minibatch standard deviation (Karras et al. 2018): how varied the batch is, as one more map.
        # A generator that draws every 3 alike gives a batch with no spread, which D can then see.
        spread = h.std(dim=0, unbiased=False).mean().expand(h.shape[0], 1, 7, 7)  # (B, 1, 7, 7)
        h = torch.cat([h, spread], dim=1).flatten(1)  # (B, (2w + 1) * 49)
        return self.real(h)[:, 0] + (h * self.embed(labels)).sum(dim=1)  # (B,)


class DigitGan(nn.Module):
    """Both networks in one module, so one safetensors file holds the pair."""

    def __init__(self, config: DigitGanConfig = DIGIT_GAN):
        super().__init__()
        self.config = config
        self.generator = DigitGenerator(config)
        self.discriminator = DigitDiscriminator(config)
        for module in self.modules():  # the DCGAN paper's N(0, 0.02): D does not win outright at step 0
            if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
                nn.init.normal_(module.weight, 0.0, 0.02)


# ---------- losses and the one adversarial step ----------


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor, loss: str) -> torch.Tensor:
    """D wants real -> 1 and fake -> 0."""
    if loss == "least squares":
        return 0.5 * ((real_logits - 1) ** 2).mean() + 0.5 * (fake_logits**2).mean()
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()  # -log D(x) - log(1 - D(G(z)))


def generator_loss(fake_logits: torch.Tensor, loss: str) -> torch.Tensor:
    """G wants its fakes scored real. "minimax" is the original saturating log(1 - D(G(z)))."""
    if loss == "least squares":
        return 0.5 * ((fake_logits - 1) ** 2).mean()
    if loss == "minimax":
        return -F.softplus(fake_logits).mean()  # log(1 - sigmoid(f)): flat when D is sure, G stalls
    if loss == "non-saturating":
        return F.softplus(-fake_logits).mean()  # -log D(G(z)): strong gradients when D is sure
    raise ValueError(f"unknown loss {loss!r}; choose one of {LOSSES}")


def realness(logits: torch.Tensor, loss: str) -> torch.Tensor:
    """D's output as a score in [0, 1] (1 = real): sigmoid, or the clamped least-squares target."""
    return logits.clamp(0, 1) if loss == "least squares" else torch.sigmoid(logits)


def adversarial_step(
    generator: nn.Module,
    discriminator: nn.Module,
    g_optimizer: torch.optim.Optimizer,
    d_optimizer: torch.optim.Optimizer,
    *,
    latent_dim: int,
    loss: str = "non-saturating",
    d_steps: int = 1,
    noise: torch.Generator | None = None,
    diversity: float = 0.0,
    device: torch.device | str = "cpu",
):
    """A step for `core.training.fit`: `d_steps` discriminator updates, then one generator update.

    A batch is `(real, *conditions)`; `real` is split into `d_steps` chunks, one per D update, and
    the conditions (class labels, for the digits) go to both networks. `diversity` > 0 adds the
    mode-seeking term of MSGAN (Mao et al. 2019) to G's loss: weight / (|G(z1) - G(z2)| / |z1 - z2|),
    which punishes a generator that draws the same image whatever the noise.
    """
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; choose one of {LOSSES}")

    def step(batch) -> dict:
        real, *conditions = (t.to(device) for t in batch)
        chunks = list(zip(real.chunk(d_steps), *(c.chunk(d_steps) for c in conditions)))
        generator.train()
        discriminator.train()
        for real_chunk, *cond in chunks:
            z = torch.randn(len(real_chunk), latent_dim, generator=noise).to(device)
            with torch.no_grad():
                fake = generator(z, *cond)
            d_loss = discriminator_loss(discriminator(real_chunk, *cond), discriminator(fake, *cond), loss)
            d_optimizer.zero_grad(set_to_none=True)
            d_loss.backward()
            d_optimizer.step()
        real_chunk, *cond = chunks[-1]
        z = torch.randn(len(real_chunk), latent_dim, generator=noise).to(device)
        fake = generator(z, *cond)
        fake_logits = discriminator(fake, *cond)
        g_loss = generator_loss(fake_logits, loss)
        metrics = {}
        if diversity > 0:
            z2 = torch.randn(len(real_chunk), latent_dim, generator=noise).to(device)
            spread = (fake - generator(z2, *cond)).abs().flatten(1).mean(1) / (z - z2).abs().mean(1)  # (B,)
            metrics["spread"] = spread.mean().detach()
            g_loss = g_loss + diversity / (spread.mean() + 1e-5)
        g_optimizer.zero_grad(set_to_none=True)
        g_loss.backward()
        g_optimizer.step()
        return {"d_loss": d_loss.detach(), "g_loss": g_loss.detach(), "d_fake": realness(fake_logits.detach(), loss).mean(), **metrics}

    return step


# ---------- the shipped digit GAN ----------


@cached_loader
def load_digit_gan() -> DigitGan:
    """The trained conditional DCGAN in eval mode on the default device, loaded once."""
    return load_weights(DigitGan(), CHECKPOINT, TRAIN_COMMAND).to(default_device())


@cached_loader
def gan_card() -> dict:
    return load_card(CHECKPOINT)
