"""The shipped digit generator rearranged for fast answers on a CPU (`FusedGenerator`), and the
identity it rests on (`subpixel_weight`). `core.gan.sample.generate` answers with it."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from core.gan.models import DigitGenerator, load_digit_gan
from core.loading import cached_loader


def subpixel_weight(weight: torch.Tensor) -> torch.Tensor:
    """ConvTranspose2d weight (in, out, 4, 4) for stride 2, padding 1 -> the Conv2d weight
    (4 * out, in, 3, 3) that, with padding 1 and `pixel_shuffle(., 2)`, computes the same output.

    Output pixel (2m + a, 2n + b) of the transposed convolution sees input rows m - 1..m + 1 and
    columns n - 1..n + 1 through kernel taps a + 3 - 2t and b + 3 - 2u (t, u = 0, 1, 2; taps
    outside 0..3 are zero), so each of the four parities (a, b) is an ordinary 3x3 convolution.
    """
    cin, cout = weight.shape[:2]
    kernel = weight.new_zeros(cout, 2, 2, cin, 3, 3)
    for a in (0, 1):
        for t in range(3):
            for b in (0, 1):
                for u in range(3):
                    row, col = a + 3 - 2 * t, b + 3 - 2 * u
                    if 0 <= row <= 3 and 0 <= col <= 3:
                        kernel[:, a, b, :, t, u] = weight[:, :, row, col].T
    return kernel.reshape(4 * cout, cin, 3, 3)  # channel 4c + 2a + b: what pixel_shuffle expects


def _fold_batchnorm(norm: nn.BatchNorm1d | nn.BatchNorm2d) -> tuple[torch.Tensor, torch.Tensor]:
    """Eval-mode BatchNorm as y = x * scale + shift."""
    scale = norm.weight / torch.sqrt(norm.running_var + norm.eps)
    return scale, norm.bias - norm.running_mean * scale


class FusedGenerator(nn.Module):
    """The same function as an eval-mode DigitGenerator, arranged for speed on a CPU: BatchNorms
    folded into the weights before them, channels-last activations (oneDNN's fast layout, where
    the first transposed convolution runs much faster), and the last transposed convolution as a
    3x3 convolution and a pixel shuffle (a transposed convolution to one output channel is slow,
    an ordinary one is not). `python -m bench.gan` times it as it answers. Equal to the
    DigitGenerator within float error (tested)."""

    def __init__(self, generator: DigitGenerator):
        super().__init__()
        linear, norm1 = generator.project[0], generator.project[1]
        up, norm2, _, last, _ = generator.upsample
        scale1, shift1 = _fold_batchnorm(norm1)
        scale2, shift2 = _fold_batchnorm(norm2)
        self.width = generator.width
        self.embed = generator.embed
        self.register_buffer("w1", (linear.weight * scale1[:, None]).detach())  # (2w * 49, latent + embed_dim)
        self.register_buffer("b1", shift1.detach())
        self.register_buffer("w2", (up.weight * scale2[None, :, None, None]).detach())  # (2w, w, 4, 4)
        self.register_buffer("b2", shift2.detach())
        self.register_buffer("w3", subpixel_weight(last.weight).detach())  # (4, w, 3, 3)
        self.register_buffer("b3", last.bias.repeat_interleave(4).detach())

    def forward(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return self.from_embedding(z, self.embed(labels))

    def from_embedding(self, z: torch.Tensor, embedding: torch.Tensor) -> torch.Tensor:
        """(B, latent) noise and (B, embed_dim) class vectors -> (B, 1, 28, 28), as DigitGenerator's."""
        h = F.relu(F.linear(torch.cat([z, embedding], dim=1), self.w1, self.b1))  # (B, 2w * 49)
        h = h.view(-1, 2 * self.width, 7, 7).contiguous(memory_format=torch.channels_last)
        h = F.relu(F.conv_transpose2d(h, self.w2, self.b2, stride=2, padding=1))  # (B, w, 14, 14)
        return torch.tanh(F.pixel_shuffle(F.conv2d(h, self.w3, self.b3, padding=1), 2))  # (B, 1, 28, 28)


@cached_loader
def load_fused_generator() -> FusedGenerator:
    """The shipped generator as a FusedGenerator, for answers (no gradients)."""
    with torch.no_grad():
        return FusedGenerator(load_digit_gan().generator).eval()
