"""Generative adversarial networks: a conditional GAN for 28x28 digits (the 2-D toy is in core.gan.toy).

A generator G turns noise z (and a class label) into a sample; a discriminator D scores how real a
sample looks (a logit). They train in turns with one step function, `adversarial_step`, which the
digit trainer (`train.gan`) and the live toy GAN (`core.gan.toy`) both hand to `core.training.fit`.

The digit pair follows the recipe that makes conditional GANs reliable (SNGAN / BigGAN): hinge
loss, spectral normalisation in D, a projection discriminator for the class (Miyato & Koyama
2018), two time-scale learning rates, and an exponential moving average of G's weights, which is
what ships.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from core.checkpoints import load_card, load_weights
from core.device import default_device
from core.gan.config import LOSSES
from core.loading import cached_loader

CHECKPOINT = "gan_digits"  # checkpoints/gan_digits.safetensors: G (its moving average) and D together
TRAIN_COMMAND = "python -m train.gan --data-dir ../shared/data"
MAX_DIGITS = 256  # per request: sample_digits refuses more
STEP_LOSSES = (*LOSSES, "hinge")  # the toy offers LOSSES; the digit GAN trains with the hinge loss


@dataclass(frozen=True)
class DigitGanConfig:
    latent_dim: int = 64  # enough for MNIST's variety; small so that sampling stays cheap
    embed_dim: int = 32  # the learned class vector: a point per digit that walks can pass between
    width: int = 32  # G's channels at 14x14 (2x at 7x7): keeps 64 digits in a few ms on one core
    d_width: int = 32  # D's channels at 14x14 (2x, 4x below): D only trains, so it may cost more
    classes: int = 10  # one per digit


DIGIT_GAN = DigitGanConfig()


# ---------- the digit models ----------


class DigitGenerator(nn.Module):
    """(z, label) -> 28x28 image in [-1, 1]. The label picks a learned class vector (an embedding)
    that joins z; `from_embedding` takes that vector directly, so a walk between two classes'
    vectors draws the shapes in between."""

    def __init__(self, config: DigitGanConfig = DIGIT_GAN):
        super().__init__()
        w = config.width
        self.width = w
        self.embed = nn.Embedding(config.classes, config.embed_dim)
        self.project = nn.Sequential(
            nn.Linear(config.latent_dim + config.embed_dim, 2 * w * 49, bias=False), nn.BatchNorm1d(2 * w * 49), nn.ReLU()
        )
        self.upsample = nn.Sequential(
            nn.ConvTranspose2d(2 * w, w, 4, stride=2, padding=1, bias=False),  # (B, w, 14, 14)
            nn.BatchNorm2d(w),
            nn.ReLU(),
            nn.ConvTranspose2d(w, 1, 4, stride=2, padding=1),  # (B, 1, 28, 28)
            nn.Tanh(),
        )

    def forward(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return self.from_embedding(z, self.embed(labels))

    def from_embedding(self, z: torch.Tensor, embedding: torch.Tensor) -> torch.Tensor:
        """(B, latent) noise and (B, embed_dim) class vectors -> (B, 1, 28, 28)."""
        h = self.project(torch.cat([z, embedding], dim=1))  # (B, 2w * 49)
        return self.upsample(h.view(-1, 2 * self.width, 7, 7))  # (B, 1, 28, 28)


class DigitDiscriminator(nn.Module):
    """(image, label) -> realness logit: a spectrally normalised CNN, plus the projection term
    features . embedding(label) that asks "is this a real digit of *this* class"."""

    def __init__(self, config: DigitGanConfig = DIGIT_GAN):
        super().__init__()
        d = config.d_width
        self.features = nn.Sequential(
            spectral_norm(nn.Conv2d(1, d, 4, stride=2, padding=1)),  # (B, d, 14, 14)
            nn.LeakyReLU(0.1),
            spectral_norm(nn.Conv2d(d, 2 * d, 3, padding=1)),  # (B, 2d, 14, 14)
            nn.LeakyReLU(0.1),
            spectral_norm(nn.Conv2d(2 * d, 4 * d, 4, stride=2, padding=1)),  # (B, 4d, 7, 7)
            nn.LeakyReLU(0.1),
        )
        features = 4 * d * 49
        self.real = spectral_norm(nn.Linear(features, 1))  # (B, 1)
        self.embed = spectral_norm(nn.Embedding(config.classes, features))  # projection (Miyato & Koyama 2018)

    def forward(self, images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        h = self.features(images).flatten(1)  # (B, 4d * 49)
        return self.real(h)[:, 0] + (h * self.embed(labels)).sum(dim=1)  # (B,)


class DigitGan(nn.Module):
    """Both networks in one module, so one safetensors file holds the pair."""

    def __init__(self, config: DigitGanConfig = DIGIT_GAN):
        super().__init__()
        self.config = config
        self.generator = DigitGenerator(config)
        self.discriminator = DigitDiscriminator(config)


@torch.no_grad()
def standing_statistics(generator: DigitGenerator, noise: torch.Generator, batches: int = 20, batch_size: int = 500) -> DigitGenerator:
    """Re-estimate G's BatchNorm statistics for its current weights (BigGAN's "standing statistics").

    A moving average of the weights never ran a forward pass of its own, so the running means it
    would inherit belong to other weights; this averages them afresh over `batches` of noise and
    every class, then leaves G in eval mode.
    """
    norms = [m for m in generator.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    momenta = [m.momentum for m in norms]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # a plain average over the batches below
    generator.train()
    latent_dim = generator.project[0].in_features - generator.embed.embedding_dim
    for _ in range(batches):
        z = torch.randn(batch_size, latent_dim, generator=noise)
        generator(z, torch.randint(0, generator.embed.num_embeddings, (batch_size,), generator=noise))
    for m, momentum in zip(norms, momenta):
        m.momentum = momentum
    return generator.eval()


# ---------- losses and the one adversarial step ----------


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor, loss: str) -> torch.Tensor:
    """D wants real -> 1 and fake -> 0 (hinge: real logits above 1, fake below -1)."""
    if loss == "least squares":
        return 0.5 * ((real_logits - 1) ** 2).mean() + 0.5 * (fake_logits**2).mean()
    if loss == "hinge":
        return F.relu(1 - real_logits).mean() + F.relu(1 + fake_logits).mean()
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()  # -log D(x) - log(1 - D(G(z)))


def generator_loss(fake_logits: torch.Tensor, loss: str) -> torch.Tensor:
    """G wants its fakes scored real. "minimax" is the original saturating log(1 - D(G(z)))."""
    if loss == "least squares":
        return 0.5 * ((fake_logits - 1) ** 2).mean()
    if loss == "minimax":
        return -F.softplus(fake_logits).mean()  # log(1 - sigmoid(f)): flat when D is sure, G stalls
    if loss == "non-saturating":
        return F.softplus(-fake_logits).mean()  # -log D(G(z)): strong gradients when D is sure
    if loss == "hinge":
        return -fake_logits.mean()  # raise D's score of the fakes, unclipped
    raise ValueError(f"unknown loss {loss!r}; choose one of {STEP_LOSSES}")


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
    if loss not in STEP_LOSSES:
        raise ValueError(f"unknown loss {loss!r}; choose one of {STEP_LOSSES}")

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
    """The trained conditional GAN (G: the moving average of its weights) in eval mode on the default device, loaded once."""
    return load_weights(DigitGan(), CHECKPOINT, TRAIN_COMMAND).to(default_device())


@cached_loader
def gan_card() -> dict:
    return load_card(CHECKPOINT)
