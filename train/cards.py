"""How a re-measurement is held to a model card: the same test set, and no more than a stated
number of its examples answered differently.

A card's figures were measured on one machine. Another CPU's kernels (or another torch) round
differently, so an example that sits on the edge between two answers may flip: a few flips are the
same model, many are another one. Each command's `--evaluate` states its tolerance in examples:

- `train.digits`: 10 of the 10,000 MNIST test digits, per model;
- `train.sentiment`: 2 of SST-2 dev's 872 sentences, 25 of IMDB test's 25,000 reviews;
- `train.gan`: 10 of the 10,000 generated digits the CNN reads, and each Fréchet distance within 5%.
"""

from __future__ import annotations


def right(result: dict) -> int:
    """How many examples an {accuracy, examples} figure answered right."""
    return round(result["accuracy"] * result["examples"])


def matches_card(measured: dict, claimed: dict | None, tolerance: int) -> bool:
    """True when `measured` ({accuracy, examples}) is the card's `claimed` figure on the same number of
    examples, give or take `tolerance` examples answered differently."""
    if not claimed or claimed.get("examples") != measured["examples"]:
        return False
    return abs(right(measured) - right(claimed)) <= tolerance
