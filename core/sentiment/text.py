"""Text in, token ids out: the one tokenizer and vocabulary of the from-scratch sentiment model.

The tokenizer lower-cases, turns IMDB's `<br />` into spaces and splits words from punctuation,
keeping each token's character span so explanations and the "cut off" part map back to the text.
The vocabulary keeps the most frequent training words; everything else is `<unk>`.
Training data and the demo go through exactly these functions.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

PAD, UNK = "<pad>", "<unk>"
MAX_CHARACTERS = 20_000  # longer input is cut here before any tokenising: bounded cost per request

# A word (letters/digits, with an inner apostrophe like don't), or any single other visible character.
_TOKEN = re.compile(r"[^\W_]+(?:'[^\W_]+)*|n't|[^\w\s]", re.UNICODE)
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)


def clean(text: str) -> str:
    """Same length as `text` (so spans stay valid): `<br />` and control characters become spaces."""
    text = _BREAK.sub(lambda m: " " * len(m.group()), text)
    return "".join(" " if unicodedata.category(c).startswith("C") else c for c in text)


def tokenize_with_spans(text: str) -> list[tuple[str, int, int]]:
    """Text -> [(token, start, end)]: lower-cased tokens and their character span in `text`."""
    return [(m.group().lower(), m.start(), m.end()) for m in _TOKEN.finditer(clean(text))]


def tokenize(text: str) -> list[str]:
    return [token for token, _, _ in tokenize_with_spans(text)]


def head_and_tail(count: int, limit: int, head: int) -> tuple[int, int]:
    """Which of `count` tokens a model reads when it can read `limit`: the first `head` and the
    last `limit - head`. Returns (head_end, tail_start); tokens in [head_end, tail_start) are cut off.

    Reviews state their verdict at the start and, most of all, at the end, so the middle goes.
    """
    if count <= limit:
        return count, count
    return head, count - (limit - head)


@dataclass(frozen=True)
class Vocabulary:
    """Token <-> id. Id 0 is padding, 1 is unknown; the rest by training-set frequency."""

    itos: tuple[str, ...]

    def __post_init__(self):
        object.__setattr__(self, "_stoi", {token: i for i, token in enumerate(self.itos)})

    def __len__(self) -> int:
        return len(self.itos)

    @classmethod
    def build(cls, token_lists: Iterable[list[str]], max_size: int, min_count: int = 2) -> Vocabulary:
        counts = Counter(token for tokens in token_lists for token in tokens)
        common = [t for t, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])) if n >= min_count]
        return cls((PAD, UNK, *common[: max_size - 2]))

    def encode(self, tokens: Iterable[str]) -> list[int]:
        return [self._stoi.get(token, 1) for token in tokens]

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(list(self.itos), ensure_ascii=False))

    @classmethod
    def load(cls, path: str | Path) -> Vocabulary:
        return cls(tuple(json.loads(Path(path).read_text(encoding="utf-8"))))
