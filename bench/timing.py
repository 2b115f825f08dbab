"""Time raw HTTP round trips of any endpoint against a no-op endpoint served by the same process, in
the same run (the server: bench/noop_server.py, in a subprocess).

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
import importlib.metadata
import json
import os
import platform
import statistics
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from harness.serving import served


@contextlib.contextmanager
def serve_demo(module_name: str) -> Iterator[str]:
    """Run the demo with a no-op endpoint (/noop) in a subprocess; yield its base URL."""
    with served([sys.executable, "-m", "bench.noop_server", module_name], timeout=180) as server:
        yield server.url


@contextlib.contextmanager
def serve_app() -> Iterator[tuple[str, int]]:
    """Run the whole app plus /bench-noop/ in a subprocess; yield (base URL, pid).

    Endpoints live under f"{url}/demos/<slug>", the floor under f"{url}/bench-noop".
    """
    with served([sys.executable, "-m", "bench.noop_server", "app"], timeout=180) as server:
        yield server.url, server.pid


def upload(url: str, path: str | Path) -> str:
    """Upload a file the way gradio_client does; return the server-side path."""
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
    event stream to the end. RuntimeError if the call fails (Gradio's `error` event, whose data is
    null when the handler raised something other than gr.Error) or its stream ends without a
    result; TimeoutError if it takes more than `timeout` seconds in all."""
    deadline = time.monotonic() + timeout
    request = urllib.request.Request(
        f"{url}/gradio_api/call/{api_name}",
        data=json.dumps({"data": data, "session_hash": session or session_hash()}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        event_id = json.loads(response.read())["event_id"]
    event = None
    with urllib.request.urlopen(f"{url}/gradio_api/call/{api_name}/{event_id}", timeout=timeout) as stream:
        for raw in stream:  # each line waits at most `timeout` (the socket's); heartbeats come meanwhile
            if time.monotonic() > deadline:
                raise TimeoutError(f"{api_name}: no result within {timeout:g} s")
            line = raw.decode().strip()
            if line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:"):
                result = json.loads(line[5:].strip())
                if event == "error":
                    raise RuntimeError(f"{api_name} failed: {result}")
                if event == "complete":
                    return result
    raise RuntimeError(f"{api_name}: its event stream ended without a result (last event: {event})")


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
    threads = os.environ.get("GALLERY_TORCH_THREADS", "1")  # what configure_for_serving gives the server
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, torch {importlib.metadata.version('torch')}, server torch threads {threads}"


def print_table(timings: list[Timing], baseline: str = "noop", goal: float | None = 1.5) -> None:
    base = next(t for t in timings if t.name == baseline).p50
    print(f"machine: {machine()}")
    print(f"{'endpoint':<34}{'p50 ms':>9}{'p95 ms':>9}{'x noop p50':>12}")
    for t in timings:
        ratio = t.p50 / base
        flag = "" if goal is None or t.name == baseline else ("  ok" if ratio <= goal else f"  over goal {goal}")
        print(f"{t.name:<34}{t.p50 * 1000:>9.1f}{t.p95 * 1000:>9.1f}{ratio:>12.2f}{flag}")
