"""Benchmark: `generate_digits` with count 64 against a no-op endpoint, in the same server and run.

    python -m bench.gan [--runs 50]

Raw HTTP round trips, interleaved call by call so that machine noise hits both alike. The seed
changes on every call (nothing can be served from a cache). Goal: generate_digits p50 <= 1.5x no-op.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.harness import Timing, call, print_table, serve_demo  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--count", type=int, default=64)
    args = parser.parse_args(argv)
    seeds = itertools.count(1000)
    with serve_demo("demos.gan") as url:
        timings = {"noop": Timing("noop", []), "generate": Timing(f"generate_digits (count {args.count})", [])}
        for run in range(args.runs + 5):  # the first five warm up and are not kept
            for name in timings:
                data = [] if name == "noop" else [-1, next(seeds), args.count]
                start = time.perf_counter()
                call(url, "noop" if name == "noop" else "generate_digits", data)
                if run >= 5:
                    timings[name].seconds.append(time.perf_counter() - start)
    print_table(list(timings.values()))


if __name__ == "__main__":
    main()
