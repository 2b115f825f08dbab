"""MNIST digit sketcher: draw a digit, see what the network sees and why it decides.

- `handlers`: the page's pure functions and its event handlers (the reading itself is
  core.digits.reading, the pictures core.digits.pictures);
- `texts`: the page's words, and what it says about a reading;
- `layout`: `build()`, which lays the page out and wires it.

Its lesson (weights, loss, probabilities, and why the CNN wins) is demos/lessons/sketcher.md.
Alone: `python -m demos.sketcher`.
"""

from __future__ import annotations

from demos.sketcher.handlers import warm_up
from demos.sketcher.layout import build

__all__ = ["build", "warm_up"]
