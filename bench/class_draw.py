"""A class drawing at the same moment against one `python app.py`: readings on the server (before
issue 28, and still where a browser cannot run WASM) beside readings in the browser.

    python -m bench.class_draw [--drawers 10,20,30] [--seconds 20] [--old COMMIT]

Each simulated learner is a thread with its own session (it opens the page first, as a browser does,
so it holds its own cookie) and draws canvas-style MNIST digits on the sketcher (/demos/sketcher/),
speaking Gradio's queue protocol as the page does (POST queue/join, then the event stream):

- server readings: while the pen moves, the canvas's value goes to the live reading (the surface's
  change event, read_while_drawing), and the next one 50 ms after the last was answered, as the page
  sends them. Figures: readings a second for each learner, and their p95.
- browser readings: a stroke of `--stroke` seconds on average (each one drawn from half to one and
  a half times that, as people draw a digit at different speeds) with nothing sent (the browser reads
  it), then pen-up as the page sends it: one event, the release (finish_drawing: both readings, the
  28x28 view, both attribution maps and the method comparison, one answer); then `--look` seconds on
  average looking at the maps (as bench/visitors.py's drawers), and the next stroke. Every learner
  starts its first stroke at the same moment, as a class told "draw a 3 now". Nothing is sent
  during a stroke (tests/test_reader_browser.py checks that the page sends nothing, and one join on
  pen-up). Figures: events and HTTP requests a pen-up (the join and the event stream), the bytes
  of its answer on the event stream, pen-up to the answer (p50, p95), errors. Goal: 30 learners,
  p95 <= 300 ms, 0 errors.
- the worst case, once per step: every learner lifts the pen at the same instant (strokes of one
  length to the millisecond). Figures: p50, p95 and the last answer, which waits for all the
  others: what one process on this machine does with a class's simultaneous pen-ups.

First, what a pen-up costs the server's CPU, its handlers called directly in this process (one torch
thread, as the server): as the page sent it before (the change event, predict_drawing, then the
comparison chained after it) beside today's one event.

Both run against the same server, one after the other, in the same run. Results: bench/results/class_draw.txt.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import numpy as np
import torch

from bench.feel import old_worktree
from bench.timing import machine
from core.data import mnist_tensors
from core.digits.synthetic import random_style, render, surface_raster
from demos.sketcher import handlers
from harness.serving import join, served_app

PAGE = "/demos/sketcher"
GOAL_P95_MS = 300
PAUSE_S = 0.05  # the next live reading goes 50 ms after the last was answered
PEN_UP_CHOICES = ("default", "integrated_gradients", "gradcam", "cnn")  # palette, the comparison's methods and model as the page opens


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)  # ms: a live reading's answer, or pen-up to the readings and maps
    bytes: int = 0  # the event streams' bytes that carried the answers
    requests: int = 0  # HTTP requests: joins and event streams
    events: int = 0  # joins
    errors: list[str] = field(default_factory=list)
    readings: int = 0


class Learner:
    """One browser's session on the sketcher: joins events and waits for their results."""

    def __init__(self, url: str, events: dict, inks: list[str], number: int):
        self.client = httpx.Client(timeout=60)
        self.client.get(url + PAGE + "/")  # the page first: its cookie, as a browser gets it
        self.api = url + PAGE + "/gradio_api"
        self.events, self.inks, self.number = events, inks, number
        self.session = f"class{number}x{os.getpid()}"
        self.seq = 0

    def value(self, done: bool) -> dict:
        self.seq += 1
        return {"seq": self.seq, "done": done, "side": 140, "ink": self.inks[(self.number + self.seq) % len(self.inks)]}

    def join(self, name: str, data: list, tally: Tally) -> str:
        fn_index, trigger = self.events[name]
        body = {"data": data, "event_data": None, "fn_index": fn_index, "trigger_id": trigger, "session_hash": self.session}
        tally.requests += 1
        tally.events += 1
        response = self.client.post(f"{self.api}/queue/join", json=body)
        response.raise_for_status()
        return response.json()["event_id"]

    def wait(self, event_ids: set[str], tally: Tally) -> None:
        """Read the session's event stream until every one of `event_ids` has completed."""
        left = set(event_ids)
        tally.requests += 1
        with self.client.stream("GET", f"{self.api}/queue/data", params={"session_hash": self.session}) as stream:
            for line in stream.iter_lines():
                tally.bytes += len(line) + 1
                if not line.startswith("data:"):
                    continue
                message = json.loads(line[5:])
                if message.get("msg") == "process_completed" and message.get("event_id") in left:
                    if not message.get("success", False):
                        tally.errors.append(str(message.get("output"))[:100])
                    left.discard(message["event_id"])
                    if not left:
                        return
        if left:
            raise RuntimeError(f"the event stream ended with {len(left)} events unanswered")

    def server_readings(self, until: float, tally: Tally) -> None:
        while time.perf_counter() < until:
            asked = time.perf_counter()
            try:
                self.wait({self.join("read_while_drawing", [self.value(False)], tally)}, tally)
                tally.latencies.append(1000 * (time.perf_counter() - asked))
                tally.readings += 1
            except (httpx.HTTPError, RuntimeError) as error:
                tally.errors.append(f"{type(error).__name__}: {error}"[:100])
            time.sleep(PAUSE_S)

    def browser_readings(self, until: float, stroke: float, look: float, tally: Tally, same: bool = False) -> None:
        """Strokes read in the browser, then pen-up, until `until`. `same`: every stroke exactly
        `stroke` seconds long (all learners lift the pen at the same instant), else half to one and
        a half times that."""
        pauses = random.Random(self.number)
        while time.perf_counter() + stroke < until:
            time.sleep(stroke if same else pauses.uniform(stroke / 2, 1.5 * stroke))  # the browser reads it; the server hears nothing
            finished = self.value(True)
            up = time.perf_counter()
            try:
                self.wait({self.join("finish_drawing", [finished, *PEN_UP_CHOICES], tally)}, tally)
                tally.latencies.append(1000 * (time.perf_counter() - up))
            except (httpx.HTTPError, RuntimeError) as error:
                tally.errors.append(f"{type(error).__name__}: {error}"[:100])
            time.sleep(pauses.uniform(look / 2, 1.5 * look) if look else 0.0)  # looking at the maps before the next digit


def sketcher_events(url: str) -> dict[str, tuple[int, int]]:
    """The sketcher's live reading and pen-up events: name -> (fn_index, the canvas's id)."""
    config = httpx.get(url + PAGE + "/config", timeout=60).json()
    return {
        d["api_name"]: (i, d["targets"][0][0])
        for i, d in enumerate(config["dependencies"])
        if d.get("api_name") in ("read_while_drawing", "finish_drawing")
    }


def pen_up_cpu(inks: list[str], repeats: int = 20) -> tuple[float, float]:
    """CPU ms a pen-up costs the server, its handlers called directly: (as before, today)."""
    values = [{"seq": i, "done": True, "side": 140, "ink": ink} for i, ink in enumerate(inks[:repeats])]

    def before(value):  # the change event (answered nothing), the release, then the comparison chained after it
        handlers.read_while_drawing(value)
        answer = handlers.predict_drawing(value, "default")
        handlers.compare_again(answer[6], *PEN_UP_CHOICES[1:])

    def today(value):
        handlers.finish_drawing(value, *PEN_UP_CHOICES)

    figures = []
    for pen_up in (before, today):
        pen_up(values[0])  # models loaded
        start = time.process_time()
        for value in values:
            pen_up(value)
        figures.append(1000 * (time.process_time() - start) / len(values))
    return figures[0], figures[1]


def canvas_inks(count: int = 64) -> list[str]:
    """Canvas-style MNIST digits as the drawing surface sends them: base64 of 140 x 140 grey."""
    images, _ = mnist_tensors(False)
    rng = np.random.default_rng(0)
    return [base64.b64encode(surface_raster(render(images[i].numpy(), random_style(rng))).tobytes()).decode("ascii") for i in range(count)]


def run(url: str, events: dict, inks: list[str], drawers: int, seconds: float, mode: str, stroke: float, look: float) -> Tally:
    """`drawers` learners for `seconds`: mode "server" (live readings on the server), "browser"
    (strokes of varied length, pen-ups only) or "burst" (one stroke each, all lifted at once)."""
    learners = [Learner(url, events, inks, n) for n in range(drawers)]
    tallies = [Tally() for _ in learners]
    if mode == "burst":
        seconds, look = stroke + 0.5, 0.0  # one stroke each
    until = time.perf_counter() + seconds
    if mode == "server":
        threads = [threading.Thread(target=learner.server_readings, args=(until, tally)) for learner, tally in zip(learners, tallies)]
    else:
        threads = [
            threading.Thread(target=learner.browser_readings, args=(until, stroke, look, tally, mode == "burst"))
            for learner, tally in zip(learners, tallies)
        ]
    for thread in threads:
        thread.start()
    join(threads, seconds + 300, "the learners' last readings")  # a reading's stream may wait on heartbeats for ever
    for learner in learners:
        learner.client.close()
    total = Tally()
    for tally in tallies:
        total.latencies += tally.latencies
        total.requests += tally.requests
        total.events += tally.events
        total.bytes += tally.bytes
        total.errors += tally.errors
        total.readings += tally.readings
    return total


def server_cpu_seconds(pid: int) -> float:
    """CPU seconds the process has used (user and system, from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_until_idle(pid: int, limit: float = 120.0) -> float:
    """Wait until the server uses under 5% of a core for a second (app.py's warm-up of every demo
    done), at most `limit` seconds; returns the seconds waited."""
    start = time.perf_counter()
    while time.perf_counter() - start < limit:
        before = server_cpu_seconds(pid)
        time.sleep(1.0)
        if server_cpu_seconds(pid) - before < 0.05:
            break
    return time.perf_counter() - start


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def started(app, inks: list[str]) -> dict:
    """Wait out the server's warm-up, warm the sketcher; returns its events."""
    print(f"the server's warm-up of every demo: done after {wait_until_idle(app.pid):.0f} s")
    events = sketcher_events(app.url)
    warm = Learner(app.url, events, inks, 0)  # models loaded and the page built before the first step
    warm.browser_readings(time.perf_counter() + 0.5, 0.0, 0.0, Tally(), same=True)
    return events


def server_steps(app, events: dict, inks: list[str], steps: list[int], args) -> None:
    print("\nserver readings (while the pen moves, one at a time, 50 ms apart), as before")
    print(f"{'drawers':>8}{'readings/s each':>17}{'p50 ms':>8}{'p95 ms':>8}{'errors':>8}")
    for drawers in steps:
        total = run(app.url, events, inks, drawers, args.seconds, "server", args.stroke, args.look)
        each = total.readings / drawers / args.seconds
        p50, p95 = percentile(total.latencies, 50), percentile(total.latencies, 95)
        print(f"{drawers:>8}{each:>17.1f}{p50:>8.0f}{p95:>8.0f}{len(total.errors):>8}")
        for error in sorted(set(total.errors))[:3]:
            print(f"    error: {error}")


def pen_up_steps(app, events: dict, inks: list[str], steps: list[int], args, name: str) -> None:
    stroke, look = args.stroke, args.look
    print(
        f"\n{name}: browser readings ({stroke / 2:g}-{1.5 * stroke:g} s strokes read in the browser, then {look / 2:g}-{1.5 * look:g} s looking;"
    )
    print("the server sees pen-ups only)")
    print(f"{'drawers':>8}{'pen-ups':>9}{'events/requests a pen-up':>26}{'KB a pen-up':>13}{'p50 ms':>8}{'p95 ms':>8}{'errors':>8}  goal")
    for drawers in steps:
        total = run(app.url, events, inks, drawers, args.seconds, "browser", stroke, look)
        ups = len(total.latencies)
        p50, p95 = percentile(total.latencies, 50), percentile(total.latencies, 95)
        goal = f"p95 <= {GOAL_P95_MS}, 0 errors: {'met' if p95 <= GOAL_P95_MS and not total.errors else 'not met'}"
        each = f"{total.events / max(ups, 1):.1f} / {total.requests / max(ups, 1):.1f}"
        size = total.bytes / max(ups, 1) / 1000
        print(f"{drawers:>8}{ups:>9}{each:>26}{size:>13.1f}{p50:>8.0f}{p95:>8.0f}{len(total.errors):>8}  {goal}")
        for error in sorted(set(total.errors))[:3]:
            print(f"    error: {error}")
    print(f"{name}: the worst case, every learner lifting the pen at the same instant, once ({stroke:g} s strokes)")
    print(f"{'drawers':>8}{'p50 ms':>8}{'p95 ms':>8}{'last ms':>9}{'errors':>8}")
    for drawers in steps:
        total = run(app.url, events, inks, drawers, args.seconds, "burst", stroke, look)
        p50, p95, last = (percentile(total.latencies, q) for q in (50, 95, 100))
        print(f"{drawers:>8}{p50:>8.0f}{p95:>8.0f}{last:>9.0f}{len(total.errors):>8}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drawers", default="10,20,30", help="learners drawing at once, each step")
    parser.add_argument("--seconds", type=float, default=20, help="how long each step draws")
    parser.add_argument("--stroke", type=float, default=2.0, help="mean seconds a stroke takes (browser readings)")
    parser.add_argument(
        "--look", type=float, default=3.0, help="mean seconds spent looking after each pen-up's answer (0: draw again at once)"
    )
    parser.add_argument("--old", help="a commit whose app also takes the pen-up steps, first, by the same code (a git worktree)")
    args = parser.parse_args(argv)
    steps = [int(n) for n in args.drawers.split(",")]
    inks = canvas_inks()
    print(f"machine: {machine()}; load before: {os.getloadavg()[0]:.1f}; {args.seconds:.0f} s a step, one `python app.py`")
    torch.set_num_threads(1)  # as the server runs
    before, today = pen_up_cpu(inks)
    print(f"\nserver CPU a pen-up, handlers called directly: before {before:.1f} ms (change + release + comparison), ", end="")
    print(f"today {today:.1f} ms (one event): {before / today:.2f}x less")
    env = {"GALLERY_DATA_DIR": os.environ.get("GALLERY_DATA_DIR", "../shared/data")}
    if args.old:
        with old_worktree(args.old) as tree, served_app(tree, env=env) as app:
            pen_up_steps(app, started(app, inks), inks, steps, args, f"old ({args.old})")
    with served_app(env=env) as app:
        events = started(app, inks)
        server_steps(app, events, inks, steps, args)
        pen_up_steps(app, events, inks, steps, args, "today")
    print(f"load after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
