"""Sentiment classifier benchmark: `classify_sentiment` p50/p95 over raw HTTP for a one-sentence
input, for both models, against a no-op endpoint in the same server and the same run.
Goal: <= 1.5x the no-op's p50 for either model. Also prints the in-process model time alone.

    python -m bench.sentiment [--runs 50]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from bench.timing import machine, measure_interleaved, print_table, serve_demo
from core.sentiment.predict import probabilities

SENTENCE = "The cast is great, but the plot is a total mess and I was bored."


def model_only(runs: int) -> None:
    """The forward pass alone, in this process: what the endpoint adds on top of the no-op."""
    torch.set_num_threads(1)  # one request, one thread: two threads thrash on a shared 2-core machine
    for model in ("scratch", "transfer"):
        probabilities([SENTENCE], model)
        seconds = []
        for _ in range(runs):
            start = time.perf_counter()
            probabilities([SENTENCE], model)
            seconds.append(time.perf_counter() - start)
        print(f"{model:<10} probabilities() alone, 1 thread: p50 {statistics.median(seconds) * 1000:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    model_only(args.runs)
    calls = {
        "noop": ("noop", []),
        "classify_sentiment scratch": ("classify_sentiment", [SENTENCE, "scratch"]),
        "classify_sentiment transfer": ("classify_sentiment", [SENTENCE, "transfer"]),
    }
    with serve_demo("demos.sentiment") as url:
        timings = measure_interleaved(url, calls, runs=args.runs)
    print_table(list(timings.values()))


if __name__ == "__main__":
    main()
