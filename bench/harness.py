"""Shared benchmark harness: serve one demo plus a no-op endpoint in a subprocess, and time raw
HTTP round trips of any endpoint against that no-op, in the same server and the same run.

    with serve_demo("demos.sketcher") as url:
        path = upload(url, "digit.png")
        rows = [measure(url, "noop", []), measure(url, "classify_digit", [file_data(path)])]
    print_table(rows)

The no-op is Gradio's own floor: queueing, JSON, the event stream. A ratio of 1.5 means the
endpoint costs half as much again as doing nothing through Gradio.

Each thread that calls is one client with one session, as a browser tab or a `gradio_client.Client`
is: a call without a session hash makes Gradio set up a new session, which on a demo's page (a
hundred components) costs about 1 ms more than on a page with only the no-op.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def noop() -> str:
    """Does nothing: the floor every endpoint is compared with."""
    return "ok"


def _serve(module_name: str, port: int) -> None:
    """Subprocess body: the demo's own page, plus /noop, served as `python -m demos.<name>` serves it."""
    import gradio as gr

    from demos import launch

    module = importlib.import_module(module_name)
    page = module.build()
    with page:
        gr.api(noop, api_name="noop", concurrency_limit=None)
    if hasattr(module, "warm_up"):
        module.warm_up()
    os.environ["GRADIO_SERVER_PORT"] = str(port)
    launch(page)


def _serve_app(port: int) -> None:
    """Subprocess body: the whole app (python app.py), plus a no-op page at /bench-noop/."""
    import gradio as gr
    import uvicorn

    import app
    from demos import SERVER_SETTINGS, for_serving

    server = app.create_app()
    with gr.Blocks() as floor:
        gr.api(noop, api_name="noop", concurrency_limit=None)
    gr.mount_gradio_app(server, for_serving(floor), path="/bench-noop", **SERVER_SETTINGS)
    server.router.routes.insert(0, server.router.routes.pop())  # before the gallery's catch-all "/"
    uvicorn.run(server, host="127.0.0.1", port=port, log_level="warning")


@contextlib.contextmanager
def serve_demo(module_name: str):
    """Run the demo with a no-op endpoint in a subprocess; yield its base URL."""
    with _subprocess(f"from bench.harness import _serve; _serve({module_name!r}, {{port}})") as url:
        yield url


@contextlib.contextmanager
def serve_app():
    """Run the whole app plus /bench-noop/ in a subprocess; yield (base URL, pid).

    Endpoints live under f"{url}/demos/<slug>", the floor under f"{url}/bench-noop".
    """
    with _subprocess("from bench.harness import _serve_app; _serve_app({port})", with_pid=True) as served:
        yield served


@contextlib.contextmanager
def _subprocess(code_template: str, with_pid: bool = False):
    sys.path.insert(0, str(ROOT))
    from tests.conftest import free_port, stop, wait_for_http

    port = free_port()
    code = code_template.format(port=port)
    env = dict(os.environ, GRADIO_ANALYTICS_ENABLED="False")
    log = tempfile.NamedTemporaryFile("w+", prefix="bench-server-", suffix=".log", delete=False)
    process = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(url + "/", process, timeout=180)
        yield (url, process.pid) if with_pid else url
    except BaseException:
        print(f"server log ({log.name}):\n" + Path(log.name).read_text()[-4000:], file=sys.stderr)
        raise
    finally:
        stop(process)
        log.close()


def upload(url: str, path: str | Path) -> str:
    """Upload a file the way gradio_client does; return the server-side path."""
    import httpx

    with open(path, "rb") as f:
        response = httpx.post(f"{url}/gradio_api/upload", files={"files": (Path(path).name, f)}, timeout=30)
    response.raise_for_status()
    return response.json()[0]


def file_data(server_path: str) -> dict:
    return {"path": server_path, "meta": {"_type": "gradio.FileData"}}


_client = threading.local()


def session_hash() -> str:
    """The calling thread's session, the same for all its calls."""
    if not hasattr(_client, "session"):
        _client.session = uuid.uuid4().hex[:12]
    return _client.session


def call(url: str, api_name: str, data: list, timeout: float = 120, session: str | None = None) -> object:
    """One raw HTTP round trip in `session` (default: this thread's): POST the call, then read its
    event stream to the end."""
    request = urllib.request.Request(
        f"{url}/gradio_api/call/{api_name}",
        data=json.dumps({"data": data, "session_hash": session or session_hash()}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        event_id = json.loads(response.read())["event_id"]
    event, result = None, None
    with urllib.request.urlopen(f"{url}/gradio_api/call/{api_name}/{event_id}", timeout=timeout) as stream:
        for raw in stream:
            line = raw.decode().strip()
            if line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:"):
                result = json.loads(line[5:].strip())
                if event == "error":
                    raise RuntimeError(f"{api_name} failed: {result}")
                if event == "complete":
                    return result
    return result


@dataclass
class Timing:
    name: str
    seconds: list[float]

    @property
    def p50(self) -> float:
        return statistics.median(self.seconds)

    @property
    def p95(self) -> float:
        ordered = sorted(self.seconds)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def measure(url: str, api_name: str, data: list, runs: int = 50, warmup: int = 5, label: str | None = None) -> Timing:
    for _ in range(warmup):
        call(url, api_name, data)
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        call(url, api_name, data)
        seconds.append(time.perf_counter() - start)
    return Timing(label or api_name, seconds)


def measure_interleaved(url: str, calls: dict[str, tuple], runs: int = 50, warmup: int = 5) -> dict[str, Timing]:
    """Time several endpoints in turn, call by call, so that machine noise hits them alike.

    `calls` maps a label to (api_name, data), or to (page_path, api_name, data) for an endpoint
    under another path of the same server (e.g. "/demos/sketcher").
    """
    targets = {name: (url + c[0], c[1], c[2]) if len(c) == 3 else (url, c[0], c[1]) for name, c in calls.items()}
    for _ in range(warmup):
        for target in targets.values():
            call(*target)
    timings = {name: Timing(name, []) for name in targets}
    for _ in range(runs):
        for name, target in targets.items():
            start = time.perf_counter()
            call(*target)
            timings[name].seconds.append(time.perf_counter() - start)
    return timings


def machine() -> str:
    import torch

    threads = os.environ.get("GALLERY_TORCH_THREADS", "1")  # what configure_for_serving gives the server
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, torch {torch.__version__}, server torch threads {threads}"


def print_table(timings: list[Timing], baseline: str = "noop", goal: float | None = 1.5) -> None:
    base = next(t for t in timings if t.name == baseline).p50
    print(f"machine: {machine()}")
    print(f"{'endpoint':<34}{'p50 ms':>9}{'p95 ms':>9}{'x noop p50':>12}")
    for t in timings:
        ratio = t.p50 / base
        flag = "" if goal is None or t.name == baseline else ("  ok" if ratio <= goal else f"  over goal {goal}")
        print(f"{t.name:<34}{t.p50 * 1000:>9.1f}{t.p95 * 1000:>9.1f}{ratio:>12.2f}{flag}")
