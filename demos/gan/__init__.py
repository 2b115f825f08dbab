"""Small GAN: a generator that learned to draw digits by trying to fool a discriminator, and a toy
2-D GAN to watch, step and draw for, after GAN Lab.

- `handlers`: the digit GAN's tabs and API endpoints (the computing is core.gan);
- `lab`: the toy 2-D GAN's tab: Train, Step D, Step G, Reset, slow motion, the drawn target, the
  visitor's run kept in gr.State (core.gan.toy.ToyLab);
- `target`: the drawable target (#gan-target), a brush on the plane;
- `layout`: `build()`, which lays the page out and wires it.

Its lesson (generator vs discriminator, unstable training, mode collapse) is demos/lessons/gan.md; what
each output shows is beside it, from demos/lessons/gan_<tab>.md. The page's pictures and sentences are
made in core/gan/pictures.py; what its controls open on and what each Try this sets, in core/gan/controls.py.
Its guided path (predict, then see) is demos/lessons/paths/gan.yaml, set up and run by demos/gan_path.py.
Alone: `python -m demos.gan`.
"""

from __future__ import annotations

from demos.gan.handlers import (
    generate_digits,
    show_class_walk,
    show_digits,
    walk_between,
    walk_between_classes,
    warm_up,
)
from demos.gan.lab import live_training, train_live
from demos.gan.layout import build

__all__ = [
    "build",
    "generate_digits",
    "live_training",
    "show_class_walk",
    "show_digits",
    "train_live",
    "walk_between",
    "walk_between_classes",
    "warm_up",
]
