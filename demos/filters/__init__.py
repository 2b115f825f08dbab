"""CNN filter visualiser: what the filters of a convnet have learned, and what they see in your image.

- `handlers`: the page's event handlers (the computing is core.vision);
- `choices`: what the page offers and says (models, layers, examples, prompt, Try this);
- `layout`: `build()`, which lays the page out and wires it.

Its lesson (filters, feature maps, and why convolution suits images) is demos/lessons/filters.md, the
notes beside its outputs demos/lessons/filters_notes.md. The inputs are a drawn digit, an upload, an
example, or a digit the sketcher hands over ("Look inside": it lands on the drawing surface). Every map
follows the Palette control, kept in the address bar as `?palette=safe`. Alone: `python -m demos.filters`.
"""

from __future__ import annotations

from demos.filters.handlers import warm_up
from demos.filters.layout import build

__all__ = ["build", "warm_up"]
