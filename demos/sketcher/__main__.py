"""`python -m demos.sketcher`: the sketcher alone, served as app.py serves it."""

from __future__ import annotations

from demos import launch
from demos.sketcher import build

if __name__ == "__main__":
    launch(build())
