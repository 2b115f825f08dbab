"""The app as served by `python app.py`: the gallery, each demo alone, redirects, API clients."""

from __future__ import annotations

import subprocess
import sys
import threading
import urllib.request

import fastapi
import gradio as gr
import pytest
import uvicorn
from gradio_client import Client

import app
import demos
from demos import DEMOS, SESSIONS_KEPT, STATUS_UPDATE_SECONDS, for_serving
from harness.serving import ROOT, free_port, wait_until

SLUGS = [demo.slug for demo in DEMOS]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def fetch(url: str, follow: bool = True):
    opener = urllib.request.build_opener() if follow else urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(url, timeout=10) as response:
            return response.status, response.headers, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.headers, ""


@pytest.mark.unit
def test_every_demo_exists_once_and_has_a_build():
    assert len(SLUGS) == len(set(SLUGS)) >= 1
    assert set(SLUGS) <= {"sketcher", "augment", "filters", "overfit", "sentiment", "gan"}
    for demo in DEMOS:
        assert callable(demo.load().build)


@pytest.mark.e2e
def test_gallery_page_lists_every_tab(app_url):
    status, _, _ = fetch(app_url + "/")
    assert status == 200
    config = Client(app_url + "/", verbose=False).config
    tabs = {c["props"].get("id") for c in config["components"] if c.get("type") == "tabitem"}
    assert set(SLUGS) <= tabs


@pytest.mark.e2e
@pytest.mark.parametrize("slug", SLUGS)
def test_bare_demo_path_redirects_to_the_slash(app_url, slug):
    status, headers, _ = fetch(f"{app_url}/demos/{slug}", follow=False)
    assert status in (301, 302, 307, 308)
    assert headers["location"].endswith(f"/demos/{slug}/")
    assert fetch(f"{app_url}/demos/{slug}")[0] == 200


@pytest.mark.e2e
@pytest.mark.parametrize("slug", SLUGS)
def test_each_demo_alone_serves_a_page_and_an_api(app_url, slug):
    status, _, html = fetch(f"{app_url}/demos/{slug}/")
    assert status == 200
    client = Client(f"{app_url}/demos/{slug}/", verbose=False)
    assert client.view_api(print_info=False, return_format="dict")["named_endpoints"]


@pytest.mark.e2e
def test_unknown_paths_are_404(app_url):
    assert fetch(app_url + "/demos/nope/")[0] == 404


@pytest.mark.e2e
def test_monitoring_dashboard_is_closed(app_url):
    assert fetch(app_url + "/monitoring")[0] in (403, 404)


@pytest.mark.e2e
def test_starting_the_app_loads_no_heavy_library():
    """app.py builds every page without torch, transformers or matplotlib: they load on first use."""
    code = (
        "import sys, app; app.build_gallery(); heavy = [m for m in ('torch', 'torchvision', 'transformers', "
        "'matplotlib') if m in sys.modules]; print(heavy); sys.exit(1 if heavy else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.e2e
def test_served_pages_send_queue_status_once_a_second():
    """The gallery and every page served alone send waiting events their place in the queue on a
    timer, not after every job (Gradio's "auto": with 28 events waiting, 28 messages a job), and keep
    a bounded number of sessions."""
    with gr.Blocks() as alone:
        gr.Markdown("a page")
    for page in (app.build_gallery(), for_serving(alone)):
        assert page._queue.live_updates is False
        assert page._queue.update_intervals == STATUS_UPDATE_SECONDS
        assert page.state_session_capacity == SESSIONS_KEPT  # its effect: test_a_mounted_page_keeps_a_bounded_number_of_sessions


@pytest.mark.unit
def test_queues_keep_no_event_analytics():
    """Gradio's per-event analytics (only the closed dashboard reads them) are off for every page:
    with the defaults, each event copies up to 10,000 past ones and rebuilds a pandas summary. Importing
    `demos` (at the top of this file) sets them."""
    with gr.Blocks() as page:
        gr.Markdown("a page")
    page.queue()
    assert page._queue.ANALYTICS_MAX_EVENTS == 1
    assert page._queue.ANAYLTICS_CACHE_FREQUENCY > 10**12  # sic: Gradio's spelling


@pytest.mark.e2e
def test_a_mounted_page_keeps_a_bounded_number_of_sessions(monkeypatch):
    """`mount_gradio_app` takes no session bound (only `launch` does), so `for_serving` sets the
    page's own `state_session_capacity`, as `launch` would. This checks what that does, served the
    way app.py serves: with a bound of 2, a third visitor pushes out the first one's state."""
    monkeypatch.setattr(demos, "SESSIONS_KEPT", 2)
    with gr.Blocks() as page:
        count, shown = gr.State(0), gr.Number()
        gr.Button().click(lambda n: (n + 1, n + 1), count, [count, shown], api_name="bump")
    server_app = gr.mount_gradio_app(fastapi.FastAPI(), demos.for_serving(page), path="/", **demos.SERVER_SETTINGS)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(server_app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_until(lambda: server.started or not thread.is_alive(), 60, "uvicorn to start serving the page")
        assert server.started, "uvicorn stopped before it started serving (its log is above)"
        url = f"http://127.0.0.1:{port}/"
        first = Client(url, verbose=False)
        assert [first.predict(api_name="/bump") for _ in range(2)] == [1, 2]  # the state lives
        for _ in range(2):
            Client(url, verbose=False).predict(api_name="/bump")  # two newer visitors
        assert first.predict(api_name="/bump") == 1  # pushed out: it starts again from the default
    finally:
        server.should_exit = True
        thread.join(10)
