"""Which words a sentiment model leaned on: word attributions through Captum (`core.explain`) for
the from-scratch and the transfer model (`read_scratch`, `read_transfer`; integrated gradients by
default). Kept apart from `core.sentiment.predict` so that answering never imports Captum (which
imports matplotlib, slow to import)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import torch

from core import explain
from core.device import model_device
from core.sentiment.models import capped, load_scratch, load_transfer, scratch_ids, transfer_ids
from core.sentiment.predict import Reading, probabilities


def word_attributions(forward, embedded: torch.Tensor, baseline: torch.Tensor, method: str, steps: int = 32, groups=None) -> torch.Tensor:
    """One of `explain.TEXT_METHODS` (Captum's) for the log-odds of "positive" (positive minus
    negative logit) over token embeddings (T, E) -> (T,). `forward` maps embeddings (B, T, E) to
    logits (B, 2) for any B. Integrated gradients' add up to log-odds(text) - log-odds(baseline):
    > 0 pushed towards positive, < 0 towards negative. `groups` (T,): tokens occluded together."""

    def log_odds(batch: torch.Tensor) -> torch.Tensor:
        logits = forward(batch)  # (B, 2)
        return logits[:, 1] - logits[:, 0]  # (B,)

    costs = replace(explain.COSTS, steps=steps, internal_batch_size=steps, noise_samples=min(steps, explain.COSTS.noise_samples))
    return explain.text_attributions(log_odds, embedded, baseline, method, groups, costs)


def occlusion_groups(words: torch.Tensor, budget: int) -> torch.Tensor:
    """(T,) word number of each token -> (T,) group ids: whole words, several to a group when the
    text is long, so that groups x tokens (forward passes' work) stays within `budget`."""
    if len(words) == 0:
        return words
    most = max(1, budget // len(words))
    per_group = -(-(int(words.max()) + 1) // most)  # ceil(words / most)
    return words // per_group


def read_scratch(text: str, steps: int = 32, method: str = "integrated_gradients") -> Reading:
    """The from-scratch model's reading with word attributions by `method` (baseline: all-padding
    embeddings). Occlusion blanks groups of neighbouring words, groups x words within steps x 400: one word at a time in a sentence."""
    gru, vocab = load_scratch()
    text = capped(text)
    ids, spans, head_end, tail_start = scratch_ids(text, vocab)
    ids_t = torch.tensor([ids], device=model_device(gru))  # (1, T)
    with torch.inference_mode():
        probs = torch.softmax(gru(ids_t), 1)[0].cpu().numpy()

    def forward(embedded: torch.Tensor) -> torch.Tensor:  # (B, T, E) -> (B, 2), every position a word
        return gru.forward_embedded(embedded, torch.ones(embedded.shape[:2], dtype=torch.bool, device=embedded.device))

    with torch.enable_grad():
        embedded = gru.embedding(ids_t)[0].detach()  # (T, E)
        groups = occlusion_groups(torch.arange(len(ids), device=ids_t.device), steps * 400)
        raw = word_attributions(forward, embedded, torch.zeros_like(embedded), method, steps, groups)
    scores = np.zeros(len(spans), np.float32)
    read = list(range(head_end)) + list(range(tail_start, len(spans)))
    scores[read] = raw.detach().cpu().numpy()[: len(read)]
    return Reading(text, spans, head_end, tail_start, probs, scores)


def read_transfer(text: str, budget: int = 1024, method: str = "integrated_gradients") -> Reading:
    """The transfer model's reading with word attributions by `method` over word-piece embeddings
    (baseline: [PAD] pieces between [CLS] and [SEP]), summed over the pieces of each word. Steps x
    pieces is kept near `budget` (32 steps for a sentence, 8 for a 128-piece review), and so are
    occluded groups x pieces: bounded cost."""
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

        def forward(embedded: torch.Tensor) -> torch.Tensor:  # (B, T, 384) -> (B, 2)
            masks = mask.expand(len(embedded), -1)
            return model.upper(model.lower(None, masks, embedded=embedded), masks)

        words = torch.unique_consecutive(torch.tensor(read_words, dtype=torch.long), return_inverse=True)[1]  # (T - 2,) 0, 1, ...
        grouped = 1 + occlusion_groups(words, budget)  # whole words, [CLS] and [SEP] alone: they equal the baseline
        last = int(grouped.max()) + 1 if len(grouped) else 1
        groups = torch.cat([torch.tensor([0]), grouped, torch.tensor([last])]).to(ids_t.device)  # (T,)
        raw = word_attributions(forward, embedded, baseline, method, steps, groups)
    scores = np.zeros(len(spans), np.float32)
    np.add.at(scores, read_words, raw.detach().cpu().numpy()[1:-1])
    return Reading(text, spans, head_end, tail_start, probs, scores)
