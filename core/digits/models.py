"""The digit models shared by the sketcher, the augmentation previewer, the filter visualiser and
the GAN's judge. They return logits; losses are computed outside."""

from __future__ import annotations

import torch
from torch import nn


class DigitMLP(nn.Module):
    """784 -> 128 -> 64 -> 10: the three-layer network that beginner material draws."""

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            nn.Flatten(),  # (B, 784)
            nn.Linear(784, 128),
            nn.ReLU(),  # (B, 128)
            nn.Linear(128, 64),
            nn.ReLU(),  # (B, 64)
            nn.Linear(64, 10),  # (B, 10)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def conv_block(c_in: int, c_out: int) -> nn.Sequential:
    """3x3 convolution (same size), batch norm, ReLU."""
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU())


class DigitCNN(nn.Module):
    """A small VGG-style convnet: two stages of two 3x3 convolutions, then a 7x7 stage and a
    global average pool. 140k parameters."""

    def __init__(self, dropout: float = 0.25):
        super().__init__()
        self.features = nn.Sequential(
            conv_block(1, 32),  # (B, 32, 28, 28)
            conv_block(32, 32),
            nn.MaxPool2d(2),  # (B, 32, 14, 14)
            conv_block(32, 64),  # (B, 64, 14, 14)
            conv_block(64, 64),
            nn.MaxPool2d(2),  # (B, 64, 7, 7)
            conv_block(64, 128),  # (B, 128, 7, 7)
        )
        self.pool = nn.AdaptiveAvgPool2d(1)  # (B, 128, 1, 1)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(128, 10)  # (B, 10)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """The penultimate features (B, 128): what the GAN's Frechet distance is measured on."""
        return self.pool(self.features(x)).flatten(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.dropout(self.embed(x)))
