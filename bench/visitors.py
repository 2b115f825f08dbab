"""How many simultaneous visitors one `python app.py` and `deploy/serve.sh 2` serve, with Locust.

    python -m bench.visitors [--steps 8,16,32,48,64] [--step-seconds 40]

Each simulated visitor is a Locust user with its own session and cookies, doing what visitors do,
with pauses between actions:
- drawing (most visitors): strokes of about 1.5 s during which the page asks for a reading every
  ~70 ms (one at a time, as the sketcher's always_last change event does), then 2-5 s to look;
- generating 64 GAN digits, sampling 16 augmentations of a digit, reading a review, every 4-10 s;
- now and then training a small playground run (100 epochs, streamed).

The sketcher's live readings are private UI events (no API name), so the public `/classify_digit`
stands in for them: the same CNN on an uploaded PNG instead of the ink. For each server the number
of visitors steps up; a step passes when the readings' p95 is <= 150 ms and nothing failed, and the
capacity is the last step before the first that fails. Every step runs, so that the file cache is
watched for the whole run. The servers run with GALLERY_DELETE_CACHE=5,30 (delete files older than
30 s, every 5 s) so that the file cache levels off within each step; its size is sampled every 10 s.
POSTs sent again after a server closed an idle connection (as browsers do) are counted and printed.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import tempfile
import time
from pathlib import Path

import gevent
import httpx
from locust import between, task

from bench.replicas import ROUND_TRIP, TRIES, GradioUser, run_load, served
from bench.timing import file_data
from harness.serving import ROOT

ASSETS = ROOT / "demos" / "assets"
DIGIT = ASSETS / "digit_3.png"
LIVE = "reading (classify_digit)"  # the live events whose p95 is the goal
P95_GOAL_MS = 150
CACHE_SWEEP = "5,30"
REVIEWS = [
    "The cast is wonderful and the story kept me hooked until the end.",
    "A dull, overlong film with a plot that goes nowhere.",
    "Not bad at all, though the second half drags.",
]
FLIP_ROTATE = '[{"transform": "hflip"}, {"transform": "rotation", "degrees": 15}]'
# The playground's "memorise the noise" preset as the API takes it, cut to 100 epochs.
PLAYGROUND = ["moons", 0.35, 200, 0.8, 0, 3, 128, "relu", 0.0, 0.0, False, "adam", 0.01, 32, 100, 0, "", "constant"]


class Drawer(GradioUser):
    """Draws a digit: readings while the pen moves, then looks at them."""

    weight = 5
    wait_time = between(2, 5)

    @task
    def stroke(self):
        # Each drawing is sent anew: an upload is deleted from the cache `age` seconds after it was
        # made, however often it is used (GALLERY_DELETE_CACHE), as a visitor's own upload would be.
        digit = self.upload("/demos/sketcher", DIGIT)
        end = time.perf_counter() + random.uniform(1.0, 2.0)
        while time.perf_counter() < end:
            asked = time.perf_counter()
            self.call("/demos/sketcher", "classify_digit", [digit], name=LIVE)
            gevent.sleep(max(0.0, 0.066 - (time.perf_counter() - asked)))  # the page sends at most every 66 ms


class Explorer(GradioUser):
    """Tries the other demos: GAN digits, augmentations, reviews."""

    weight = 4
    wait_time = between(4, 10)

    page = "/demos/augment"

    @task(2)
    def generate_digits(self):
        self.call("/demos/gan", "generate_digits", [random.randint(-1, 9), random.randint(0, 10**6), 64])

    @task(2)
    def augment_digit(self):
        digit = self.upload("/demos/augment", DIGIT)  # sent anew, as the drawer's strokes are
        self.call("/demos/augment", "augment_digit", [digit, FLIP_ROTATE, random.randint(0, 10**6), 16])

    @task(2)
    def classify_sentiment(self):
        self.call("/demos/sentiment", "classify_sentiment", [random.choice(REVIEWS), random.choice(["scratch", "transfer"])])


class Trainer(GradioUser):
    """Trains a small playground run now and then."""

    weight = 1
    wait_time = between(10, 20)
    page = "/demos/overfit"

    @task
    def train(self):
        self.call(
            "/demos/overfit", "train_playground", PLAYGROUND[:4] + [random.randint(0, 1000)] + PLAYGROUND[5:], name="train_playground"
        )


def warm_every_page(url: str, replicas: int) -> None:
    """Each call of the mix once on every replica before the first step: a standalone page is built on
    its first request, and a demo loads its model on its first call. Start-up, not serving: without
    this the first step paid for it (bench/results/visitors.txt, the run at tree 8f81b7d)."""
    warmed: set[str] = set()
    for _ in range(TRIES):  # a new visitor's page lands on either replica, at random
        if len(warmed) >= max(replicas, 1):
            return
        with httpx.Client(base_url=url, timeout=300) as client:
            client.get("/demos/sketcher/").raise_for_status()  # the page first, whose cookie keeps the calls on its replica

            def call(page: str, api: str, data: list) -> str:
                posted = client.post(f"{page}/gradio_api/call/{api}", json={"data": data})
                answer = client.get(f"{page}/gradio_api/call/{api}/{posted.json()['event_id']}").text
                if "event: complete" not in answer:
                    raise RuntimeError(f"warm-up call {api} failed: {answer[-300:]}")
                return posted.headers.get("x-gallery-replica", "app.py")

            def digit(page: str) -> dict:
                with open(DIGIT, "rb") as f:
                    return file_data(client.post(f"{page}/gradio_api/upload", files={"files": (DIGIT.name, f)}).json()[0])

            call("/demos/sketcher", "classify_digit", [digit("/demos/sketcher")])
            call("/demos/gan", "generate_digits", [3, 0, 64])
            call("/demos/augment", "augment_digit", [digit("/demos/augment"), FLIP_ROTATE, 0, 16])
            for model in ("scratch", "transfer"):
                call("/demos/sentiment", "classify_sentiment", [REVIEWS[0], model])
            warmed.add(call("/demos/overfit", "train_playground", PLAYGROUND))
    if len(warmed) < max(replicas, 1):
        raise RuntimeError(f"warm-up: of {TRIES} new visitors, only {sorted(warmed)} answered, of {replicas} replicas")


def cache_size(folder: Path) -> tuple[int, float]:
    """Files and MB under `folder`; a file the sweep deletes while it is counted is not counted."""
    count, size = 0, 0
    for path in folder.rglob("*"):
        try:
            if path.is_file():
                size += path.stat().st_size
                count += 1
        except FileNotFoundError:
            continue
    return count, size / 1e6


def sample_cache(cache: Path, began: float, samples: list) -> None:
    """Every 10 s until killed: (seconds since `began`, files, MB) of the file cache, into `samples`."""
    while True:
        samples.append((time.perf_counter() - began, *cache_size(cache)))
        gevent.sleep(10)


def step(url: str, visitors: int, seconds: float) -> dict:
    GradioUser.resent = 0
    environment = run_load(url, [Drawer, Explorer, Trainer], visitors, seconds, spawn_rate=max(visitors / 5, 1))
    live = environment.stats.get(LIVE, ROUND_TRIP)
    calls = [entry for entry in environment.stats.entries.values() if entry.method == ROUND_TRIP]
    errors = sum(entry.num_failures for entry in environment.stats.entries.values())
    return {
        "visitors": visitors,
        "live_calls": live.num_requests,
        "live_p50": live.get_response_time_percentile(0.5),
        "live_p95": live.get_response_time_percentile(0.95),
        "calls": sum(entry.num_requests for entry in calls),
        "others_p95": {entry.name: entry.get_response_time_percentile(0.95) for entry in calls if entry.name != LIVE},
        "errors": errors,
        "resent": GradioUser.resent,
        "error_kinds": sorted({str(error.error)[:100] for error in environment.stats.errors.values()})[:3],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", default="8,16,32,48,64", help="visitors at each step")
    parser.add_argument("--step-seconds", type=float, default=40)
    args = parser.parse_args()
    steps = [int(n) for n in args.steps.split(",")]
    print(f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; steps of {args.step_seconds:.0f} s: {steps} visitors")
    print(f"goal: readings' p95 <= {P95_GOAL_MS} ms, zero errors; file cache swept with GALLERY_DELETE_CACHE={CACHE_SWEEP}")
    capacity = {}
    for label, replicas in [("python app.py", 0), ("deploy/serve.sh 2", 2)]:
        cache = Path(tempfile.mkdtemp(prefix="bench-visitors-cache-"))
        samples: list[tuple[float, int, float]] = []
        began = time.perf_counter()

        print(f"\n== {label} ==")
        print(f"{'visitors':>9}{'readings':>10}{'p50 ms':>8}{'p95 ms':>8}{'calls':>7}{'errors':>8}{'resent':>8}  other calls' p95 ms")
        with served(replicas, env={"GRADIO_TEMP_DIR": str(cache), "GALLERY_DELETE_CACHE": CACHE_SWEEP}) as (url, _):
            warm_every_page(url, replicas)
            sampler = gevent.spawn(sample_cache, cache, began, samples)
            capacity[label] = previous = 0
            for visitors in steps:
                r = step(url, visitors, args.step_seconds)
                others = ", ".join(f"{name} {p95:.0f}" for name, p95 in sorted(r["others_p95"].items()))
                print(
                    f"{visitors:>9}{r['live_calls']:>10}{r['live_p50']:>8.0f}{r['live_p95']:>8.0f}{r['calls']:>7}{r['errors']:>8}{r['resent']:>8}  {others}"
                )
                for kind in r["error_kinds"]:
                    print(f"    error: {kind}")
                passed = r["live_p95"] <= P95_GOAL_MS and not r["errors"]
                if passed and capacity[label] == previous:  # every step before this one passed too
                    capacity[label] = visitors
                previous = visitors
            sampler.kill()
        samples.append((time.perf_counter() - began, *cache_size(cache)))
        print("file cache (s: files, MB): " + "; ".join(f"{t:.0f}: {n}, {mb:.1f}" for t, n, mb in samples))
        shutil.rmtree(cache, ignore_errors=True)
    print()
    for label, visitors in capacity.items():
        print(f"{label}: {visitors or 'fewer than ' + str(steps[0])} simultaneous visitors within the goal")


if __name__ == "__main__":
    main()
