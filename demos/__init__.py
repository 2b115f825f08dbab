"""The gallery's demos, in tab order. Each module exposes `build() -> gr.Blocks` and may expose
`warm_up()`, which loads its models in the background after the server starts.

Add a line here when a demo is built; there are no placeholders.
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from types import ModuleType

import core.images  # noqa: F401  (lowers Pillow's pixel limit for every decoder in the server)


@dataclass(frozen=True)
class Demo:
    slug: str  # URL name: /demos/<slug>/ and /?tab=<slug>
    title: str  # tab label
    module: str  # import path of the module with build()

    def load(self) -> ModuleType:
        return importlib.import_module(self.module)


DEMOS = [
    Demo("sketcher", "Digit sketcher", "demos.sketcher"),
    Demo("augment", "Augmentation previewer", "demos.augment"),
    Demo("filters", "CNN filter visualiser", "demos.filters"),
    Demo("overfit", "Overfitting playground", "demos.overfit"),
    Demo("sentiment", "Sentiment classifier", "demos.sentiment"),
    Demo("gan", "Small GAN", "demos.gan"),
]


# Every page, standalone or in the gallery, is served with these: an upload cap, no monitoring
# dashboard, only gr.Error messages shown to users (an uncaught exception is a bug, not a message).
# Never share=True.
SERVER_SETTINGS = dict(max_file_size="10mb", enable_monitoring=False, show_error=False)

# Without the dashboard, nothing reads Gradio's per-event analytics, yet by default every queue keeps
# the last 10,000 events and, after every event, copies them and rebuilds a pandas summary of them.
# Measured here (2 cores, 32 clients calling a no-op): 260 calls/s falling to 131 within 36 s as
# events piled up, against a steady 435-475 without; and ~2 ms on every single round trip. Keep one
# event and never summarise. Read by each gradio.queueing.Queue when it is made, so set before any page is.
os.environ.setdefault("GRADIO_ANALYTICS_MAX_EVENTS", "1")
os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", str(2**62))

# Gradio keeps every session's state in memory, 10,000 sessions per page by default: at 50-120 KB a
# session (measured; mostly a copy of every component's config) that is a gigabyte per page. Keep
# the 100 most recently used per page instead. A session pushed out starts again from the page's
# defaults on its next event: the playground forgets its earlier runs, and every other input is
# checked by its function (the filter visualiser's layer list accepts any value for that reason).
SESSIONS_KEPT = 100


def keep_few_sessions(page):
    """Bound the sessions Gradio holds in memory for this page; returns the page."""
    page.state_session_capacity = SESSIONS_KEPT
    return page


def launch(page) -> None:
    """`python -m demos.<name>`: serve one demo alone, on GRADIO_SERVER_NAME/PORT like app.py."""
    from core.device import configure_for_serving

    configure_for_serving()
    page.queue(default_concurrency_limit=4).launch(state_session_capacity=SESSIONS_KEPT, **SERVER_SETTINGS)
