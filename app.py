"""The gallery: every demo in a tab at `/`, and each demo alone at `/demos/<slug>/`.

    python app.py            # http://127.0.0.1:7860 (GRADIO_SERVER_NAME / GRADIO_SERVER_PORT override)

`/?tab=<slug>` opens a tab directly; `/demos/<slug>/` works in an <iframe>, in the <gradio-app>
web component and with `gradio_client.Client`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading

import fastapi
import gradio as gr
import uvicorn
from fastapi.responses import RedirectResponse

from core.device import configure_for_serving
from demos import CACHE_MB, DELETE_CACHE, DEMOS, SERVER_SETTINGS, classroom, for_serving, png, visitors
from demos.classroom import api as class_api
from demos.classroom import page as class_page

TITLE = "Deep learning, live: a gallery of demos"


# `/?tab=<slug>` opens that tab. The slug is read in <head>, before any tab's select handler rewrites
# the address bar, and clicked once the tab bar is up (no server trip).
REMEMBER_REQUESTED_TAB = '<script>window.galleryTab = new URLSearchParams(location.search).get("tab");</script>'
OPEN_REQUESTED_TAB_JS = """() => {
    const slug = window.galleryTab;
    if (!slug) return;
    const selector = `button[role="tab"][data-tab-id="${CSS.escape(slug)}"]`;
    let tries = 0;
    const open = () => {  // the tab bar may still be hydrating: retry for up to 10 s
        const button = document.querySelector(selector);
        if (button && button.getAttribute("aria-selected") === "true") return;
        if (button) button.click();
        if (++tries < 100) setTimeout(open, 100);
    };
    open();
}"""


def remember_tab_js(slug: str) -> str:
    # Keep the address bar in step with the open tab, so it can be copied and shared.
    return f"() => {{ const u = new URL(window.location); u.searchParams.set('tab', '{slug}'); history.replaceState(null, '', u); }}"


def build_gallery() -> gr.Blocks:
    # Gradio makes a FastAPI app and the page's config in every `Blocks.__exit__`, for the gallery
    # and for each page rendered into it, and `mount_gradio_app` makes them again for the page it
    # serves. Gradio has no public way to skip the first ones, so they are paid (about a second on
    # two cores, measured by `python -m bench.startup`).
    return for_serving(_build_gallery())


def _build_gallery() -> gr.Blocks:
    pages = [(demo, demo.load().build()) for demo in DEMOS]  # built outside, rendered inside
    with gr.Blocks(title=TITLE, delete_cache=DELETE_CACHE) as gallery:
        gr.Markdown(f"# {TITLE}\nEach tab is a small, live experiment. Every demo also runs alone at `/demos/<name>/`.")
        with gr.Tabs():
            for demo, page in pages:
                with gr.Tab(demo.title, id=demo.slug) as tab:
                    page.render()
                tab.select(fn=None, js=remember_tab_js(demo.slug))
        gallery.load(fn=None, js=OPEN_REQUESTED_TAB_JS)
    return gallery


def warm_up() -> None:
    """Load every demo's models once, after the server is up, so the first click is fast."""
    configure_for_serving()
    for demo in DEMOS:
        warm = getattr(demo.load(), "warm_up", None)
        if warm is not None:
            warm()


class StandalonePage:
    """The ASGI app at /demos/<slug>: builds and mounts its demo on the first request.

    Building a Gradio page costs a few hundred milliseconds; six of them at start-up would double
    the time to the first HTTP 200, and most visitors never open most standalone pages. The page is
    built in a worker thread, so the server goes on answering other visitors meanwhile.
    """

    # One page is built at a time: Gradio tracks the Blocks being built in process-wide state.
    _building = asyncio.Lock()

    def __init__(self, demo):
        self.demo, self.app = demo, None
        self._running = contextlib.AsyncExitStack()  # the page's queue runs until the process ends

    def _build(self) -> fastapi.FastAPI:
        page = fastapi.FastAPI()
        blocks = for_serving(self.demo.load().build())
        return gr.mount_gradio_app(page, blocks, path="/", **SERVER_SETTINGS)

    async def __call__(self, scope, receive, send):
        if self.app is None:
            async with self._building:
                if self.app is None:
                    page = await asyncio.to_thread(self._build)
                    await self._running.enter_async_context(page.router.lifespan_context(page))
                    self.app = page
        await self.app(scope, receive, send)


def create_app() -> fastapi.FastAPI:
    app = fastapi.FastAPI(lifespan=_warm_up_after_start)
    # A class (demos/classroom): the teacher's page and the class API, before the gallery's "/".
    app.include_router(class_api.router)
    app.add_api_route("/class", class_page.teacher_page, include_in_schema=False)
    for demo in DEMOS:
        app.add_api_route(f"/demos/{demo.slug}", _redirect_to(f"/demos/{demo.slug}/"), include_in_schema=False)
        app.mount(f"/demos/{demo.slug}", StandalonePage(demo))
    # The gallery goes last: its "/" matches every path.
    gallery = build_gallery()
    app = gr.mount_gradio_app(app, gallery, path="/", head=REMEMBER_REQUESTED_TAB, **SERVER_SETTINGS)
    # Every request passes through each visitor's share first (demos/visitors/). The cache's size
    # counts what arrives from now on: the pages' own pictures and examples are there already.
    app.state.file_cache = visitors.FileCache(CACHE_MB * visitors.MB, keep=png.cached_files())
    app.add_middleware(visitors.VisitorShares, cache=app.state.file_cache)
    return app


def _redirect_to(target: str):
    async def redirect() -> RedirectResponse:
        return RedirectResponse(target)

    return redirect


async def _warm_up_after_start(app):
    if os.environ.get("GALLERY_WARM_UP", "1") != "0":
        threading.Thread(target=warm_up, name="warm-up", daemon=True).start()
    sweeps = [asyncio.create_task(_sweep_pictures(app.state.file_cache)), asyncio.create_task(_sweep_classes())]
    yield
    for sweep in sweeps:
        sweep.cancel()


async def _sweep_pictures(cache: visitors.FileCache) -> None:
    """The pictures the demos write into Gradio's cache, deleted on DELETE_CACHE's schedule (Gradio's
    delete_cache misses a gr.Gallery's; demos.png.delete_older_than), and the whole cache trimmed to
    its size (demos.visitors.budgets.FileCache: also as uploads arrive)."""
    frequency, age = DELETE_CACHE
    await asyncio.to_thread(cache.trim)  # a cache left by an earlier run counts from the start
    while True:
        await asyncio.sleep(frequency)
        await asyncio.to_thread(png.delete_older_than, age)
        await asyncio.to_thread(cache.trim)


async def _sweep_classes() -> None:
    """Ended classes deleted with all their data, every GALLERY_CLASS_SWEEP_S seconds (a class
    already reads as gone once it ends; the sweep frees its rows). A database that cannot be
    reached is tried again next time: the gallery goes on without its classes meanwhile."""
    while True:
        try:
            await asyncio.to_thread(lambda: classroom.class_store().sweep())
        except Exception as error:  # noqa: BLE001  (a sweep must never stop the server)
            print(f"class sweep failed, retried in {classroom.SWEEP_SECONDS:.0f} s: {error!r}", flush=True)
        await asyncio.sleep(classroom.SWEEP_SECONDS)


def main() -> None:
    host = os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1")
    port = int(os.environ.get("GRADIO_SERVER_PORT", "7860"))
    print(f"* Running on http://{host}:{port}", flush=True)
    # On Ctrl-C or SIGTERM, open pages' event streams get 5 s to close before the server stops anyway.
    uvicorn.run(create_app(), host=host, port=port, log_level="warning", timeout_graceful_shutdown=5)


if __name__ == "__main__":
    main()
