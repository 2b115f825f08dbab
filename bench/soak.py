"""Soak: a few clients call every API endpoint of the gallery at random against one `python app.py`
for minutes, and every call must succeed.

    python -m bench.soak [--seconds 300] [--clients 4] [--seed 0]

Each client is a visitor with its own cookies (it opens a page first, as a browser does), making
one call at a time, back to back: an endpoint picked at random from all eleven, with inputs picked
at random among valid ones (a method, a layer, a model, a seed, a count...). So different models,
and different uses of one model, run on the server's threads at the same moment. Before they
start, one client calls each endpoint once (the models load; its errors count too).

An error is any call that does not complete: an HTTP error, Gradio's `error` event (`{"error":
null}` when a handler raised something other than gr.Error: a bug), a stream that ends without a
result, or no result within 120 s. Goal: zero. Printed: calls, errors and latency percentiles per
endpoint; the exceptions the server logged; its RSS over time, read from /proc/<pid>/status every
15 s. The exit status is 1 if any call failed.
"""

from __future__ import annotations

import argparse
import random
import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench.timing import machine
from harness.serving import ROOT, join, served_app

ASSETS = ROOT / "demos" / "assets"
DIGITS = [ASSETS / "digit_3.png", ASSETS / "digit_4_thin.png", ASSETS / "digit_7_white_on_black.png", ASSETS / "hard_1_serif.png"]
PHOTO = ASSETS / "filters" / "grace_hopper.jpg"
CALL_TIMEOUT = 120  # seconds a call may take, in all, before it counts as an error
RSS_EVERY = 15  # seconds between readings of the server's memory

METHODS = ["saliency", "integrated_gradients", "smoothgrad", "occlusion", "gradcam"]
PALETTES = ["default", "safe"]
LAYERS = ["conv1", "conv2", "conv3", "conv4", "conv5"]
PIPELINES = [
    '[{"transform": "hflip"}, {"transform": "rotation", "degrees": 15}]',
    '[{"transform": "hflip"}, {"transform": "rotation"}, {"transform": "color_jitter"}]',
]
REVIEWS = [
    "The cast is wonderful and the story kept me hooked until the end.",
    "A dull, overlong film with a plot that goes nowhere.",
    "Not bad at all, though the second half drags.",
]
GRID = "1 2 3 0\n4 5 6 1\n7 8 9 2\n1 0 1 0"
KERNEL = "1 0 -1\n1 0 -1\n1 0 -1"
# The playground's "memorise the noise" preset as the API takes it, cut to 60 epochs (seed at index 4).
PLAYGROUND = ["moons", 0.35, 200, 0.8, 0, 3, 128, "relu", 0.0, 0.0, False, "adam", 0.01, 32, 60, 0, "", "constant"]


@dataclass
class Files:
    """One client's uploads, as Gradio's FileData, per page."""

    digits: dict[str, list[dict]]  # page -> the digits uploaded there
    photo: dict


# endpoint -> (page, inputs from a random generator and the client's files)
ENDPOINTS: dict[str, tuple[str, Callable[[random.Random, Files], list]]] = {
    "classify_digit": ("/demos/sketcher", lambda r, f: [r.choice(f.digits["/demos/sketcher"])]),
    "explain_digit": ("/demos/sketcher", lambda r, f: [r.choice(f.digits["/demos/sketcher"]), r.choice(METHODS), r.choice(PALETTES)]),
    "augment_image": ("/demos/augment", lambda r, f: [f.photo, r.choice(PIPELINES), r.randrange(10**6), r.choice([4, 16])]),
    "augment_digit": ("/demos/augment", lambda r, f: [r.choice(f.digits["/demos/augment"]), r.choice(PIPELINES), r.randrange(10**6), 16]),
    "feature_maps": ("/demos/filters", lambda r, f: [r.choice(f.digits["/demos/filters"]), r.choice(LAYERS), r.choice(PALETTES)]),
    "convolve": ("/demos/filters", lambda r, f: [GRID, KERNEL, 1, r.choice([0, 1]), 0, 0, 1, r.choice([False, True])]),
    "train_playground": ("/demos/overfit", lambda r, f: PLAYGROUND[:4] + [r.randrange(1000)] + PLAYGROUND[5:]),
    "classify_sentiment": ("/demos/sentiment", lambda r, f: [r.choice(REVIEWS), r.choice(["scratch", "transfer"])]),
    "classify_lines": ("/demos/sentiment", lambda r, f: ["\n".join(r.sample(REVIEWS, 2))]),
    "generate_digits": ("/demos/gan", lambda r, f: [r.randint(-1, 9), r.randrange(10**6), r.choice([8, 64])]),
    "walk_between_classes": ("/demos/gan", lambda r, f: [r.randrange(10), r.randrange(10), r.randrange(10**6), 10]),
}


@dataclass
class Results:
    seconds: dict[str, list[float]] = field(default_factory=lambda: {name: [] for name in ENDPOINTS})
    errors: dict[str, Counter] = field(default_factory=lambda: {name: Counter() for name in ENDPOINTS})
    setup_errors: list[str] = field(default_factory=list)  # before the timed calls: a page, an upload, a warm-up call
    lock: threading.Lock = field(default_factory=threading.Lock)


def upload(client: httpx.Client, page: str, path: Path) -> dict:
    with open(path, "rb") as f:
        response = client.post(f"{page}/gradio_api/upload", files={"files": (path.name, f)})
    response.raise_for_status()
    return {"path": response.json()[0], "meta": {"_type": "gradio.FileData"}}


def call(client: httpx.Client, page: str, api_name: str, data: list) -> None:
    """POST the call, then read its event stream to the result; raises on anything else."""
    deadline = time.monotonic() + CALL_TIMEOUT
    posted = client.post(f"{page}/gradio_api/call/{api_name}", json={"data": data})
    posted.raise_for_status()
    event = None
    with client.stream("GET", f"{page}/gradio_api/call/{api_name}/{posted.json()['event_id']}") as stream:
        stream.raise_for_status()
        for line in stream.iter_lines():  # each line waits at most the client's timeout; heartbeats come meanwhile
            if time.monotonic() > deadline:
                raise TimeoutError(f"no result within {CALL_TIMEOUT} s")
            if line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:") and event == "error":
                raise RuntimeError(f"error event: {line[5:].strip()[:120]}")
            elif line.startswith("data:") and event == "complete":
                return
    raise RuntimeError(f"the event stream ended without a result (last event: {event})")


def visitor(url: str, seed: int, until: float, results: Results, warm_up: bool = False) -> None:
    """One client: open a page, upload its files, then call endpoints at random until `until`
    (with `warm_up`, each endpoint once instead, its time not counted)."""
    rng = random.Random(seed)
    with httpx.Client(base_url=url, timeout=CALL_TIMEOUT) as client:
        try:
            client.get("/demos/sketcher/").raise_for_status()  # as a browser: the page first, which sets the visitor's cookie
            pages = ("/demos/sketcher", "/demos/augment", "/demos/filters")
            files = Files(
                {page: [upload(client, page, path) for path in DIGITS] for page in pages}, upload(client, "/demos/augment", PHOTO)
            )
        except Exception as failure:  # counted as an error: a client that cannot start calls nothing
            with results.lock:
                results.setup_errors.append(f"client {seed}: {type(failure).__name__}: {failure}"[:160])
            return
        names = iter(ENDPOINTS) if warm_up else iter(lambda: rng.choice(list(ENDPOINTS)), None)
        for name in names:
            if time.monotonic() >= until:
                return
            page, inputs = ENDPOINTS[name]
            start = time.perf_counter()
            try:
                call(client, page, name, inputs(rng, files))
                error = None
            except Exception as failure:  # counted and printed: the goal is zero
                error = f"{type(failure).__name__}: {failure}"[:160]
            with results.lock:
                if error and warm_up:
                    results.setup_errors.append(f"warm-up call of {name}: {error}")
                elif error:
                    results.errors[name][error] += 1
                elif not warm_up:
                    results.seconds[name].append(time.perf_counter() - start)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS in /proc/{pid}/status")


def sample_rss(pid: int, began: float, done: threading.Event, samples: list[tuple[float, float]]) -> None:
    """(seconds since `began`, MB) every RSS_EVERY seconds until `done`."""
    while True:
        samples.append((time.monotonic() - began, rss_mb(pid)))
        if done.wait(RSS_EVERY):
            return


def percentile(values: list[float], q: float) -> float:
    """Nearest rank: the value at fraction `q` of the sorted values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def logged_exceptions(log: Path) -> Counter:
    """The exception lines of tracebacks in the server's log ("SomeError: message"), counted."""
    found, lines = Counter(), log.read_text(errors="replace").splitlines()
    for before, line in zip(lines, lines[1:]):
        if before.startswith("  ") and line and not line.startswith((" ", "Traceback")) and ":" in line:
            found[line[:160]] += 1
    return found


def report(results: Results, samples: list[tuple[float, float]], log: Path, seconds: float) -> int:
    """Print the tables; the number of failed calls."""
    print(f"{'endpoint':<22}{'calls':>7}{'errors':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    every = [s for times in results.seconds.values() for s in times]
    rows = [(name, results.seconds[name], sum(results.errors[name].values())) for name in ENDPOINTS]
    rows.append(("all", every, sum(sum(c.values()) for c in results.errors.values()) + len(results.setup_errors)))
    for name, times, errors in rows:
        cells = (
            f"{statistics.median(times) * 1000:>9.0f}{percentile(times, 0.95) * 1000:>9.0f}{percentile(times, 0.99) * 1000:>9.0f}{max(times) * 1000:>9.0f}"
            if times
            else f"{'-':>9}" * 4
        )
        print(f"{name:<22}{len(times) + errors:>7}{errors:>8}{cells}")
    print(f"{len(every) / seconds:.1f} calls/s completed")
    for error in results.setup_errors:
        print(f"  error before the timed calls: {error}")
    for name, kinds in results.errors.items():
        for kind, count in kinds.most_common(3):
            print(f"  error in {name} ({count}x): {kind}")
    exceptions = logged_exceptions(log)
    print(f"exceptions in the server's log: {sum(exceptions.values())}")
    for line, count in exceptions.most_common(5):
        print(f"  ({count}x) {line}")
    print(
        f"server RSS every {RSS_EVERY} s from the clients' start, after one call of each endpoint (s: MB): "
        + "; ".join(f"{t:.0f}: {mb:.0f}" for t, mb in samples)
    )
    print(f"server RSS {samples[0][1]:.0f} -> {samples[-1][1]:.0f} MB (max {max(mb for _, mb in samples):.0f} MB)")
    return rows[-1][2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=300, help="how long the clients call (default 300)")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0, help="client i draws its calls from seed + i")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    print(f"python app.py; {args.clients} clients calling {len(ENDPOINTS)} endpoints at random for {args.seconds:.0f} s, seed {args.seed}")
    results, samples, done = Results(), [], threading.Event()
    with served_app(timeout=240) as app:
        # Each endpoint once first, from one client (its errors count): the models load, so the
        # latencies and the memory below are the served process's, not its start-up's.
        visitor(app.url, args.seed - 1, time.monotonic() + len(ENDPOINTS) * CALL_TIMEOUT, results, warm_up=True)
        began = time.monotonic()
        sampler = threading.Thread(target=sample_rss, args=(app.pid, began, done, samples))
        sampler.start()
        until = began + args.seconds
        clients = [threading.Thread(target=visitor, args=(app.url, args.seed + i, until, results)) for i in range(args.clients)]
        for client in clients:
            client.start()
        join(clients, args.seconds + CALL_TIMEOUT + 60, "the clients' last calls")
        elapsed = time.monotonic() - began
        done.set()
        join([sampler], 10, "the memory sampler")
        samples.append((time.monotonic() - began, rss_mb(app.pid)))
        failed = report(results, samples, app.log, elapsed)
    raise SystemExit(1 if failed else 0)


if __name__ == "__main__":
    main()
