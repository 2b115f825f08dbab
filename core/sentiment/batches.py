"""Batches for the sentiment trainers: similar-length batches of token ids, and the frozen MiniLM
layers' outputs computed once and reused (training the top layers, the learning curve)."""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from core.sentiment.models import transfer_ids


class LengthBatches:
    """Index batches of similar length (little padding), reshuffled every epoch from one generator."""

    def __init__(self, lengths: list[int], batch_size: int, generator: torch.Generator, make_batch):
        self.lengths, self.batch_size, self.generator, self.make_batch = np.asarray(lengths), batch_size, generator, make_batch

    def __len__(self) -> int:
        return math.ceil(len(self.lengths) / self.batch_size)

    def __iter__(self):
        order = torch.randperm(len(self.lengths), generator=self.generator).numpy()
        chunk = self.batch_size * 50  # sort within chunks: similar lengths, still random
        groups = [order[i : i + chunk] for i in range(0, len(order), chunk)]
        batches = [
            g[np.argsort(self.lengths[g], kind="stable")][j : j + self.batch_size]
            for g in groups
            for j in range(0, len(g), self.batch_size)
        ]
        for k in torch.randperm(len(batches), generator=self.generator).tolist():
            yield self.make_batch(batches[k])


def padded(rows: list[list[int]]) -> torch.Tensor:
    return nn.utils.rnn.pad_sequence([torch.tensor(r) for r in rows], batch_first=True)  # (B, T)


@torch.inference_mode()
def lower_features(model, texts: list[str], batch_size: int = 128) -> list[torch.Tensor]:
    """The frozen layers' output for every text, computed once: a float16 (T_i, 384) per text."""
    rows = [transfer_ids(t)[0] for t in texts]
    order = np.argsort([len(r) for r in rows])
    features: list = [None] * len(rows)
    for i in tqdm(range(0, len(rows), batch_size), desc="frozen layers", unit="batch"):
        chunk = order[i : i + batch_size]
        ids = padded([rows[j] for j in chunk])
        hidden = model.lower(ids, (ids != 0).long())  # (B, T, 384)
        for j, h, n in zip(chunk, hidden, (ids != 0).sum(1).tolist()):
            features[j] = h[:n].half().clone()
    return features


def feature_batch(features, idx, targets=None):
    hidden = nn.utils.rnn.pad_sequence([features[i] for i in idx], batch_first=True)  # (B, T, 384)
    mask = nn.utils.rnn.pad_sequence([torch.ones(len(features[i]), dtype=torch.long) for i in idx], batch_first=True)
    return (hidden, mask) if targets is None else (hidden, mask, targets[idx])


def upper_logits(model, features, idx) -> torch.Tensor:
    hidden, mask = feature_batch(features, idx)
    return model.upper(hidden.float(), mask)  # (B, 2)


@torch.inference_mode()
def dev_accuracy(logits_of, count: int, labels: list[int], batch_size: int = 128) -> float:
    predicted = torch.cat([logits_of(list(range(i, min(i + batch_size, count)))).argmax(1) for i in range(0, count, batch_size)])
    return float((predicted == torch.tensor(labels)).float().mean())
