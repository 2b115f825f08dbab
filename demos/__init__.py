"""The gallery's demos, in tab order. Each module exposes `build() -> gr.Blocks` and may expose
`warm_up()`, which loads its models in the background after the server starts.

Add a line here when a demo is built; there are no placeholders. What every demo shares is here
too: `lazy_module` (core modules imported on first use), `user_errors` (the one place a
`core.errors.UserError` becomes the message a visitor sees), `uploaded_path` (an API client's file)
and `lesson` (a demo's lesson text, from `demos/lessons/<slug>.md`).
"""

from __future__ import annotations

import functools
import importlib
import inspect
import os
import re
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import gradio as gr

import core.images  # noqa: F401  (lowers Pillow's pixel limit for every decoder in the server)
from core.device import configure_for_serving
from core.errors import UserError
from demos.theme import THEME

LESSONS = Path(__file__).parent / "lessons"


class LazyModule:
    """A module imported on its first attribute access, through the import system's own lock.

    Demos name the `core` modules they use once, at their top, while the server starts without
    torch: `digits = lazy_module("core.digits.predict")`, then `digits.load_digit_model("cnn")` in
    a handler imports it then. (importlib's LazyLoader does the same, but before Python 3.12 two
    threads could both run a module's code through it.)"""

    def __init__(self, name: str):
        self.__name = name

    def __getattr__(self, attribute: str):
        return getattr(importlib.import_module(self.__name), attribute)

    def __repr__(self) -> str:
        return f"<lazy module {self.__name!r}>"


def lazy_module(name: str) -> LazyModule:
    """The module `name`, imported when first used (see `LazyModule`)."""
    return LazyModule(name)


def user_errors(handler):
    """Wrap an event handler so that a UserError reaches the visitor (or the API client) as its
    message, through `gr.Error`. This is the only place that happens: any other exception goes on
    as it is, a bug, which Gradio reports as a bare "Error". Generators stay generators (Gradio
    streams them), and the signature and type hints stay the handler's (gr.api reads them)."""
    if inspect.isgeneratorfunction(handler):

        @functools.wraps(handler)
        def streaming(*args, **kwargs):
            try:
                yield from handler(*args, **kwargs)
            except UserError as error:
                raise gr.Error(str(error)) from error

        return streaming

    @functools.wraps(handler)
    def answering(*args, **kwargs):
        try:
            return handler(*args, **kwargs)
        except UserError as error:
            raise gr.Error(str(error)) from error

    return answering


def uploaded_path(file) -> str:
    """An API client's file argument (`gradio_client.handle_file(path)`) -> its path on the server.

    Gradio moves a file marked as FileData into its upload folder, and refuses one that was not
    uploaded, before the function runs. Anything else reaches the function unchecked (a bare path
    could name any file on the server), so it is refused here."""
    meta = file.get("meta") if isinstance(file, dict) else None
    if isinstance(meta, dict) and meta.get("_type") == "gradio.FileData" and isinstance(file.get("path"), str):
        return file["path"]
    raise UserError("Send an image file: gradio_client.handle_file(path), not a path or a URL as text.")


@functools.cache
def lesson(slug: str) -> str:
    """The lesson shown under a demo: Markdown, kept as data in demos/lessons/<slug>.md."""
    return (LESSONS / f"{slug}.md").read_text(encoding="utf-8")


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
# dashboard, only gr.Error messages shown to users (an uncaught exception is a bug, not a message),
# and the theme whose text meets WCAG contrast (demos/theme.py). Never share=True.
SERVER_SETTINGS = dict(max_file_size="10mb", enable_monitoring=False, show_error=False, theme=THEME)

# Without the dashboard, nothing reads Gradio's per-event analytics, yet by default every queue keeps
# the last 10,000 events and, after every event, copies them and rebuilds a pandas summary of them:
# throughput sinks as events pile up, and every round trip pays for it (the README's Benchmarks
# say by how much). Keep one event and never summarise. Read by each gradio.queueing.Queue when it
# is made, so set before any page is.
os.environ.setdefault("GRADIO_ANALYTICS_MAX_EVENTS", "1")
os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", str(2**62))

# Gradio keeps every session's state in memory, 10,000 sessions per page by default, and a session
# holds a copy of every component's config (the README's "Many visitors" gives what one costs,
# measured by `python -m bench.replicas`): gigabytes per page. Keep the 100 most recently used per
# page instead. A session pushed out starts again from the page's defaults on its next event: the
# playground forgets its earlier runs, and every other input is checked by its function (the filter
# visualiser's layer list accepts any value for that reason).
SESSIONS_KEPT = 100


# Gradio's default queue ("auto" status updates) sends every event still waiting a fresh position
# and ETA each time any job starts: with 32 callers queued behind a concurrency limit of 4, some 28
# messages per job, each woken, serialised and written by the event loop, which then serves fewer
# calls a second (the README's Benchmarks). Once a second is enough: a waiting visitor still sees the
# queue move.
STATUS_UPDATE_SECONDS = 1.0


# Gradio's file cache (pictures a page sends, uploads) grows without end unless a page deletes it:
# every `frequency` seconds, each page deletes the files it created more than `age` seconds ago
# (a page rendered in the gallery hands its files to the gallery, which deletes them; a gr.Gallery's
# pictures Gradio misses, so app.py sweeps them on the same schedule; checked by tests/test_deploy.py).
# A picture is fetched soon after it is written, and one handed out again is touched. An upload is
# deleted `age` after it was made however often it is used, and a learner may keep one photo open
# for a while: an hour, swept every ten minutes, so the cache holds about an hour of pictures and
# uploads (bench/results/visitors.txt: its size under load, swept faster).
# GALLERY_DELETE_CACHE="frequency,age" overrides it, in seconds (`delete_cache_setting`).


def delete_cache_setting(text: str) -> tuple[int, int]:
    """GALLERY_DELETE_CACHE's "frequency,age" -> (frequency, age) in seconds, both whole and positive;
    anything else is a ValueError that says what was expected, so a mistyped setting stops the
    server at start instead of reaching Gradio."""
    both = re.fullmatch(r"\s*(\d+)\s*,\s*(\d+)\s*", text)
    frequency, age = (int(both[1]), int(both[2])) if both else (0, 0)
    if frequency <= 0 or age <= 0:
        raise ValueError(
            f"GALLERY_DELETE_CACHE must be two whole numbers of seconds, how often to sweep and how old a file"
            f' may get, as "frequency,age" (e.g. "600,3600"); got {text[:40]!r}.'
        )
    return frequency, age


DELETE_CACHE = delete_cache_setting(os.environ.get("GALLERY_DELETE_CACHE", "600,3600"))

# The same cache bounded by size too, so that no flood of uploads fills the disk within the hour:
# past this many megabytes, its oldest files are deleted first (demos.visitors.budgets.FileCache). A free
# Space's disk is ephemeral and shared with the app's image and models ("a small amount" in Hugging
# Face's docs; 50 GB on CPU basic, as its users report): 2 GB is a small part of that, and still
# holds an hour of a class of 200 each uploading three 3 MB photos. GALLERY_CACHE_MB overrides it.
CACHE_MB = int(os.environ.get("GALLERY_CACHE_MB", "2048"))


# Events that set no concurrency limit of their own: 4 at once, per event.
DEFAULT_CONCURRENCY = 4


def for_serving(page):
    """Give `page` the queue and the session bound that every served page has; returns the page.

    It replaces the page's queue, so call it before the page is served (Gradio also makes a FastAPI
    app for the page here, part of the start-up that `python -m bench.startup` times)."""
    page.queue(status_update_rate=STATUS_UPDATE_SECONDS, default_concurrency_limit=DEFAULT_CONCURRENCY)
    # Gradio has no public way to bound a mounted page's sessions: `launch(state_session_capacity=)`
    # sets this same attribute, and `mount_gradio_app` takes no such argument. Its effect is tested
    # (tests/test_app.py::test_a_mounted_page_keeps_a_bounded_number_of_sessions).
    page.state_session_capacity = SESSIONS_KEPT
    return page


def launch(page) -> None:
    """`python -m demos.<name>`: serve one demo alone, on GRADIO_SERVER_NAME/PORT like app.py."""
    configure_for_serving()
    for_serving(page).launch(state_session_capacity=SESSIONS_KEPT, **SERVER_SETTINGS)
