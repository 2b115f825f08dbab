"""The benchmarks' server: one demo's page, or the whole app, plus a no-op endpoint, the floor every
endpoint is compared with. bench.timing's serve_demo and serve_app run it in a subprocess, on
$GRADIO_SERVER_PORT:

    python -m bench.noop_server demos.sketcher   # the demo's page as `python -m demos.sketcher` serves it, plus /noop
    python -m bench.noop_server app              # the whole app as `python app.py` serves it, plus /bench-noop/
"""

from __future__ import annotations

import argparse
import importlib
import os

import gradio as gr
import uvicorn

import app
from demos import SERVER_SETTINGS, for_serving, launch


def noop() -> str:
    """Does nothing: the floor every endpoint is compared with."""
    return "ok"


def serve_demo(module_name: str) -> None:
    """The demo's own page, plus /noop, served as `python -m demos.<name>` serves it."""
    module = importlib.import_module(module_name)
    page = module.build()
    with page:
        gr.api(noop, api_name="noop", concurrency_limit=None)
    if hasattr(module, "warm_up"):
        module.warm_up()
    launch(page)


def serve_app() -> None:
    """The whole app (python app.py), plus a no-op page at /bench-noop/."""
    server = app.create_app()
    with gr.Blocks() as floor:
        gr.api(noop, api_name="noop", concurrency_limit=None)
    gr.mount_gradio_app(server, for_serving(floor), path="/bench-noop", **SERVER_SETTINGS)
    server.router.routes.insert(0, server.router.routes.pop())  # before the gallery's catch-all "/"
    uvicorn.run(server, host="127.0.0.1", port=int(os.environ["GRADIO_SERVER_PORT"]), log_level="warning")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", help="a demo's module (demos.sketcher), or app for the whole app")
    what = parser.parse_args().what
    if what == "app":
        serve_app()
    else:
        serve_demo(what)


if __name__ == "__main__":
    main()
