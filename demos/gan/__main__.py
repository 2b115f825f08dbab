"""`python -m demos.gan`: the Small GAN page alone, served as app.py serves it."""

from __future__ import annotations

from demos import launch
from demos.gan import build

if __name__ == "__main__":
    launch(build())
