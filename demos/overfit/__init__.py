"""Overfitting playground: train small networks live and watch train and validation part ways.

- `handlers`: the event handlers and the values they send (the training is core.playground);
- `layout`: `build()`, which lays the page out and wires it;
- `path`: its guided path's set-ups and runs (demos.guide);
- `network`: the network drawn as TensorFlow Playground draws it;
- `notebook`: the run on the page as a Jupyter notebook to download.

Its lesson (overfitting, underfitting, validation data and the fixes) is demos/lessons/overfit.md.
Alone: `python -m demos.overfit`.
"""

from __future__ import annotations

from demos.overfit.handlers import warm_up
from demos.overfit.layout import build

__all__ = ["build", "warm_up"]
