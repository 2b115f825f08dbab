"""Sentiment classifier: a network trained from scratch against transfer learning, word by word.

- `handlers`: the page's pure functions and its event handlers (the models and their explanations
  are core.sentiment);
- `texts`: the page's words: examples, Try this, notes, messages, and what it says about a reading;
- `markup`: the words each model leaned on, coloured in HTML, and their CSS;
- `layout`: `build()`, which lays the page out and wires it.

Its lesson (embeddings, RNNs, transformers and transfer) is demos/lessons/sentiment.md.
Alone: `python -m demos.sentiment`.
"""

from __future__ import annotations

from demos.sentiment.handlers import warm_up
from demos.sentiment.layout import build

__all__ = ["build", "warm_up"]
