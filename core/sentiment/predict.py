"""Reading a text: each model's answer (`probabilities`, the int8 copy for the transfer model), and
the `Reading` that `core.sentiment.explain` fills with word attributions."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from core.device import model_device
from core.sentiment.int8 import load_transfer_int8
from core.sentiment.models import capped, load_scratch, scratch_ids, transfer_ids


@dataclass(frozen=True)
class Reading:
    """One model's reading of one text. Units are words (scratch) or MiniLM words (transfer)."""

    text: str  # the text as read: at most MAX_CHARACTERS
    units: list[tuple[int, int]]  # character span of every unit, in order
    head_end: int  # units [head_end, tail_start) were cut off, not read
    tail_start: int
    probabilities: np.ndarray  # (2,): negative, positive
    scores: np.ndarray | None = None  # (len(units),) attributions of the read units, 0 for cut ones


def probabilities(texts: list[str], model: str) -> np.ndarray:
    """Texts -> (N, 2) probabilities (negative, positive) from "scratch" or "transfer"."""
    if model not in ("scratch", "transfer"):
        raise ValueError(f"model must be 'scratch' or 'transfer', not {model!r}")
    # Load outside inference mode: weights made inside it could never take a gradient (attributions).
    net, vocab = load_scratch() if model == "scratch" else (load_transfer_int8(), None)
    device = model_device(net)
    with torch.inference_mode():
        if vocab is not None:
            ids = nn.utils.rnn.pad_sequence([torch.tensor(scratch_ids(capped(t), vocab)[0]) for t in texts], batch_first=True)
            logits = net(ids.to(device))  # ids (N, T) -> (N, 2)
        else:  # one text at a time: int8 activation scales are per call, so padding would change answers
            rows = [torch.tensor([transfer_ids(capped(t))[0]], device=device) for t in texts]  # (1, T_i) each
            logits = torch.cat([net(ids, torch.ones_like(ids)) for ids in rows])  # (N, 2)
        return torch.softmax(logits.float(), 1).cpu().numpy()
