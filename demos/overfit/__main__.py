"""`python -m demos.overfit`: the playground alone, served as app.py serves it."""

from __future__ import annotations

from demos import launch
from demos.overfit import build

if __name__ == "__main__":
    launch(build())
