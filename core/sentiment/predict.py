"""Reading a text: each model's answer (`probabilities`, the int8 copy for the transfer model) and
its word attributions by integrated gradients (`read_scratch`, `read_transfer`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from core.device import model_device
from core.sentiment.int8 import load_transfer_int8
from core.sentiment.models import capped, load_scratch, load_transfer, scratch_ids, transfer_ids


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


def integrated_gradients(forward, embedded: torch.Tensor, baseline: torch.Tensor, steps: int) -> torch.Tensor:
    """Integrated gradients of the positive-minus-negative logit (the log-odds of "positive") with
    respect to embeddings (T, E), summed per token -> (T,). They add up to log-odds(text) -
    log-odds(baseline): > 0 pushed towards positive, < 0 towards negative."""
    alphas = torch.linspace(1.0 / steps, 1.0, steps, device=embedded.device)[:, None, None]  # right Riemann sum
    path = (baseline + alphas * (embedded - baseline)).requires_grad_(True)  # (steps, T, E)
    logits = forward(path)  # (steps, 2)
    (logits[:, 1] - logits[:, 0]).sum().backward()
    return ((embedded - baseline) * path.grad.mean(0)).sum(-1)  # (T,)


def read_scratch(text: str, steps: int = 32) -> Reading:
    """The from-scratch model's reading with integrated gradients (baseline: all-padding embeddings)."""
    gru, vocab = load_scratch()
    text = capped(text)
    ids, spans, head_end, tail_start = scratch_ids(text, vocab)
    ids_t = torch.tensor([ids], device=model_device(gru))  # (1, T)
    with torch.inference_mode():
        probs = torch.softmax(gru(ids_t), 1)[0].cpu().numpy()
    with torch.enable_grad():
        embedded = gru.embedding(ids_t)[0].detach()  # (T, E)
        mask = torch.ones(steps, len(ids), dtype=torch.bool, device=ids_t.device)
        raw = integrated_gradients(lambda e: gru.forward_embedded(e, mask), embedded, torch.zeros_like(embedded), steps)
    scores = np.zeros(len(spans), np.float32)
    read = list(range(head_end)) + list(range(tail_start, len(spans)))
    scores[read] = raw.detach().cpu().numpy()[: len(read)]
    return Reading(text, spans, head_end, tail_start, probs, scores)


def read_transfer(text: str, budget: int = 1024) -> Reading:
    """The transfer model's reading with integrated gradients over word-piece embeddings (baseline:
    [PAD] pieces between [CLS] and [SEP]), summed over the pieces of each word. Steps x pieces is
    kept near `budget` (32 steps for a sentence, 8 for a 128-piece review): bounded cost."""
    model = load_transfer()
    text = capped(text)
    ids, read_words, head_end, tail_start, spans = transfer_ids(text)
    steps = max(8, min(32, budget // len(ids)))
    ids_t = torch.tensor([ids], device=model_device(model))  # (1, T)
    mask = torch.ones_like(ids_t)
    probs = probabilities([text], "transfer")[0]  # the same answer as the API gives
    with torch.enable_grad():
        table = model.encoder.embeddings.word_embeddings
        embedded = table(ids_t)[0].detach()  # (T, 384)
        baseline = embedded.clone()
        baseline[1:-1] = table.weight[0].detach()  # keep [CLS]/[SEP], blank the words
        masks = mask.expand(steps, -1)
        raw = integrated_gradients(lambda e: model.upper(model.lower(None, masks, embedded=e), masks), embedded, baseline, steps)
    scores = np.zeros(len(spans), np.float32)
    np.add.at(scores, read_words, raw.detach().cpu().numpy()[1:-1])
    return Reading(text, spans, head_end, tail_start, probs, scores)
