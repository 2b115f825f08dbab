"""`python -m demos.filters`: the filter visualiser alone, served as app.py serves it."""

from __future__ import annotations

from demos import launch
from demos.filters import build

if __name__ == "__main__":
    launch(build())
