"""The whole app against Gradio's own floor, in one run: every named endpoint's round trip, a load
test, and memory growth. One command, one table per part.

    python -m bench.endpoints [--runs 30] [--load-seconds 15] [--clients 32] [--requests 1000]

- Per endpoint: p50/p95 over raw HTTP for a typical request, against a no-op endpoint served by the
  same process, interleaved call by call. Goal: <= 1.5x for inference endpoints.
- Load: 32 concurrent clients calling `classify_digit` for a bounded time, then the no-op under the
  same load: throughput, p50/p95, errors. Goal: zero errors, throughput >= 0.8x the no-op's.
- Memory: the server's RSS before and after 1,000 mixed requests, each in a new session (the
  worst case: every session keeps state). Goal: growth < 50 MB.
- Device: where the models ran.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
import uuid
from pathlib import Path

from bench.timing import call, file_data, machine, measure_interleaved, print_table, serve_app, upload
from core.device import default_device
from harness.serving import join

ASSETS = Path(__file__).resolve().parent.parent / "demos" / "assets"


def typical_requests(url: str) -> dict[str, tuple[str, str, list]]:
    """name -> (page path, api_name, data) for one typical request to each named endpoint."""
    digit = file_data(upload(f"{url}/demos/sketcher", ASSETS / "digit_3.png"))
    photo = file_data(upload(f"{url}/demos/augment", ASSETS / "filters" / "grace_hopper.jpg"))
    flip_rotate = '[{"transform": "hflip"}, {"transform": "rotation", "degrees": 15}]'
    review = "The cast is wonderful and the story kept me hooked until the end."
    return {
        "noop": ("/bench-noop", "noop", []),
        "sketcher/classify_digit": ("/demos/sketcher", "classify_digit", [digit]),
        "augment/augment_image (16)": ("/demos/augment", "augment_image", [photo, flip_rotate, 0, 16]),
        "augment/augment_digit (16)": ("/demos/augment", "augment_digit", [digit, flip_rotate, 0, 16]),
        "filters/feature_maps conv3": ("/demos/filters", "feature_maps", [digit, "conv3"]),
        "filters/convolve": ("/demos/filters", "convolve", ["1 2 3 0\n4 5 6 1\n7 8 9 2\n1 0 1 0", "1 0 -1\n1 0 -1\n1 0 -1", 1, 0, 0, 0]),
        "sentiment/classify (scratch)": ("/demos/sentiment", "classify_sentiment", [review, "scratch"]),
        "sentiment/classify (transfer)": ("/demos/sentiment", "classify_sentiment", [review, "transfer"]),
        "sentiment/classify_lines (3)": ("/demos/sentiment", "classify_lines", ["Loved it.\nHated it.\nNot bad at all."]),
        "gan/generate_digits (64)": ("/demos/gan", "generate_digits", [3, 0, 64]),
    }


# The playground's "memorise the noise" preset, as the API's defaults give it.
PLAYGROUND = ["moons", 0.35, 200, 0.8, 0, 3, 128, "relu", 0.0, 0.0, False, "adam", 0.01, 32, 200, 0]


def stream_playground(url: str, stop: threading.Event) -> int:
    """Keep one client streaming playground trainings until `stop`; count the runs."""
    runs = 0
    while not stop.is_set():
        call(url + "/demos/overfit", "train_playground", PLAYGROUND, timeout=120)
        runs += 1
    return runs


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def load(url: str, page: str, api_name: str, data: list, clients: int, seconds: float) -> dict:
    """`clients` threads call one endpoint back to back for `seconds`; latencies and errors."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def client() -> None:
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            try:
                call(url + page, api_name, data, timeout=60)
                with lock:
                    latencies.append(time.perf_counter() - start)
            except Exception as error:  # counted, reported: the goal is zero
                with lock:
                    errors.append(repr(error)[:120])

    threads = [threading.Thread(target=client) for _ in range(clients)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    join(threads, seconds + 120, f"{clients} clients to finish their last calls")  # a call gives up after 60 s
    elapsed = time.perf_counter() - began
    ordered = sorted(latencies)
    return {
        "calls": len(latencies),
        "per_second": len(latencies) / elapsed,
        "p50": statistics.median(ordered) if ordered else float("nan"),
        "p95": ordered[int(0.95 * (len(ordered) - 1))] if ordered else float("nan"),
        "errors": errors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--load-seconds", type=float, default=15)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--requests", type=int, default=1000)
    args = parser.parse_args()
    print(f"machine: {machine()}")

    print(f"device the models run on: {default_device()}")

    with serve_app() as (url, pid):
        requests = typical_requests(url)

        print("\n== round trip per endpoint (raw HTTP, interleaved) ==")
        print_table(list(measure_interleaved(url, requests, runs=args.runs, warmup=3).values()))

        print(f"\n== load: {args.clients} concurrent clients, {args.load_seconds:.0f}s each ==")
        print(f"{'endpoint':<44}{'calls/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'errors':>8}")
        results = {}
        digit_request = requests["sketcher/classify_digit"]
        scenarios = [
            ("sketcher/classify_digit", digit_request, False),
            ("noop", requests["noop"], False),
            ("sketcher/classify_digit + playground stream", digit_request, True),
        ]
        for name, (page, api_name, data), with_stream in scenarios:
            stop = threading.Event()
            streamer = threading.Thread(target=stream_playground, args=(url, stop)) if with_stream else None
            if streamer:
                streamer.start()
            results[name] = r = load(url, page, api_name, data, args.clients, args.load_seconds)
            stop.set()
            if streamer:
                join([streamer], 180, "the playground stream to end")  # its call gives up after 120 s
            print(f"{name:<44}{r['per_second']:>9.1f}{r['p50'] * 1000:>9.1f}{r['p95'] * 1000:>9.1f}{len(r['errors']):>8}")
            for error in sorted(set(r["errors"]))[:3]:
                print(f"    error: {error}")
        ratio = results["sketcher/classify_digit"]["per_second"] / results["noop"]["per_second"]
        print(f"throughput classify_digit / noop under load: {ratio:.2f} (goal >= 0.8)")
        rise = results["sketcher/classify_digit + playground stream"]["p50"] / results["sketcher/classify_digit"]["p50"]
        print(f"classify_digit p50 with a playground training streaming / without: {rise:.2f} (goal <= 1.5)")

        print(f"\n== memory: {args.requests} mixed requests, each in a new session, after {args.requests // 10} to fill caches ==")
        names = [n for n in requests if n != "noop" and "(16)" not in n]

        def mixed(count: int) -> None:  # each request in a new session: the worst case for memory
            for i in range(count):
                page, api_name, data = requests[names[i % len(names)]]
                call(url + page, api_name, data, session=uuid.uuid4().hex[:12])

        started = rss_mb(pid)
        mixed(args.requests // 10)
        before = rss_mb(pid)
        mixed(args.requests)
        after = rss_mb(pid)
        print(
            f"server RSS: {started:.0f} MB after the benchmarks above, {before:.0f} MB after the first "
            f"{args.requests // 10}, {after:.0f} MB after {args.requests} more: growth {after - before:+.1f} MB (goal < 50)"
        )


if __name__ == "__main__":
    main()
