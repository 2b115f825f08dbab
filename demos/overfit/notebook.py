"""The playground's run as a Jupyter notebook to take home: the `#overfit-notebook` download button,
its handlers and its wiring. The notebook itself is core.playground.notebook's.

The button offers the run the page shows, and only that: the newest run kept in the visitor's browser
(or, as the page opens with none, the opening run), when the controls still describe it (its key is
the key of their settings). After a run ends, as the page opens and when a control changes, the button
gets that run's notebook, or is disabled until those settings are trained.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict

import gradio as gr

import core.playground.runs as runs
import core.playground.settings as ps
from core.errors import UserError
from demos import lazy_module, user_errors
from demos.png import named_file  # a file in Gradio's cache, under the name the browser saves it as

notebooks = lazy_module("core.playground.notebook")  # nbformat loads when the first notebook is written

LABEL = "Download this run as a notebook (.ipynb)"
NOT_SHOWN = "Notebook: train these settings first"
# Notebooks written by this process and still on disk. Each is at most a few hundred kB (2,000 points
# of a visitor's own: settings.MAX_CSV_CHARACTERS), so however many runs visitors make (or a client
# sends, the runs kept in a browser being what it says they are), the notebooks take at most a few
# tens of MB. Gradio's cache sweep (DELETE_CACHE) and its size cap (demos.visitors.FileCache) delete
# them too, with every other file in the cache.
KEPT_NOTEBOOKS = 100


class RecentFiles:
    """The last `size` files added, newest last; adding one more deletes the oldest file."""

    def __init__(self, size: int):
        self.size, self.paths, self.lock = size, OrderedDict(), threading.Lock()

    def add(self, path: str) -> None:
        with self.lock:
            self.paths[path] = None
            self.paths.move_to_end(path)  # handed out again: the newest
            while len(self.paths) > self.size:
                oldest, _ = self.paths.popitem(last=False)
                try:
                    os.unlink(oldest)
                except FileNotFoundError:  # swept meanwhile
                    pass


WRITTEN = RecentFiles(KEPT_NOTEBOOKS)


# ---------- pure functions ----------


def shown_settings(saved, values: dict, opening: ps.Settings | None) -> ps.Settings | None:
    """The settings of the run the page shows, when the controls' `values` describe it: the newest run in
    `saved` (the runs kept in the browser), or `opening` when there is none (the page opens on it). None
    when the controls have changed since, or are not settings the page can train."""
    try:
        settings = ps.settings_from_values(values)
    except UserError:  # the Train button says what is wrong; there is no run of these settings
        return None
    history = runs.checked_runs(saved)
    shown = history[-1]["key"] if history else runs.run_key(opening) if opening is not None else None
    return settings if runs.run_key(settings) == shown else None


def notebook_file(settings: ps.Settings) -> str:
    """The run's notebook, written into Gradio's cache under its name (the same settings, the same file); its path."""
    path = named_file(notebooks.notebook_text(settings).encode("utf-8"), notebooks.file_name(settings))
    WRITTEN.add(path)
    return path


# ---------- handlers ----------


def _offer(saved, values: tuple, opening: ps.Settings | None) -> dict:
    settings = shown_settings(saved, dict(zip(ps.setting_names(), values)), opening)
    if settings is None:
        return no_file()
    return gr.update(label=LABEL, value=notebook_file(settings), interactive=True)


def no_file() -> dict:
    return gr.update(label=NOT_SHOWN, value=None, interactive=False)


@user_errors
def offer_notebook(saved, *values) -> dict:
    """After a run, or a control changed: the newest run's notebook, if the controls describe it."""
    return _offer(saved, values, None)


def offer_opening_notebook(opening: ps.Settings):
    """The page's load: with no runs kept in the browser, the page shows `opening`."""

    @user_errors
    def offer_at_load(saved, *values) -> dict:
        return _offer(saved, values, opening)

    return offer_at_load


@user_errors
def no_notebook() -> dict:
    """The runs were cleared: no run to take home."""
    return no_file()


# ---------- layout and wiring ----------


def notebook_button() -> dict:
    return gr.DownloadButton(NOT_SHOWN, value=None, interactive=False, size="sm", elem_id="overfit-notebook")


def wire_notebook(page: gr.Blocks, button, controls: list, saved_runs, trainings: list, clear_button, opening: ps.Settings) -> None:
    """Keep `button` on the run the page shows: after each of `trainings`, as the page opens, when a control
    changes, and when the runs are cleared. Cheap events, unqueued: a file of text written once per run."""
    inputs = [saved_runs, *controls]
    quick = dict(outputs=button, api_visibility="private", queue=False, show_progress="hidden")
    for training in trainings:
        training.then(offer_notebook, inputs, **quick)
    page.load(offer_opening_notebook(opening), inputs, **quick)
    gr.on([control.change for control in controls], offer_notebook, inputs, trigger_mode="always_last", **quick)
    clear_button.click(no_notebook, None, **quick)
