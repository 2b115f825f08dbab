"""Benchmark the digit GAN: its generator's 64-digit forward pass against the previous design's, and
`generate_digits` against a no-op endpoint, each pair in the same run.

    python -m bench.gan [--runs 50] [--forward-runs 300]

1. In process, on one CPU core: the shipped generator as it answers (`load_fused_generator`)
   against the design it replaced (commit 7df73e8: a 64-d class embedding joined to z, 32 channels
   at 14x14), built with random weights and fused the same way; a forward pass costs the same
   whatever the weights. Interleaved call by call. Goal: new p50 <= 1.5x previous.
2. Raw HTTP round trips of `generate_digits` (count 64) and a no-op, interleaved call by call; the
   seed changes on every call (nothing can be served from a cache). Goal: p50 <= 1.5x no-op.
"""

from __future__ import annotations

import argparse
import itertools
import time
from pathlib import Path

import torch

from bench.timing import Timing, call, machine, print_table, serve_demo
from core.gan.fused import FusedGenerator, load_fused_generator
from core.gan.models import DigitGanConfig, DigitGenerator

ROOT = Path(__file__).resolve().parent.parent

PREVIOUS_DESIGN = {"latent_dim": 64, "embed_dim": 64, "width": 32}  # the generator before issue 20's


def forward_timings(runs: int, count: int = 64) -> list[Timing]:
    """p50s of the 64-digit forward pass: previous design (random weights) vs the shipped generator."""
    torch.set_num_threads(1)
    torch.manual_seed(0)
    generators = {
        "previous design (random weights)": FusedGenerator(DigitGenerator(DigitGanConfig(**PREVIOUS_DESIGN)).eval()).eval(),
        "shipped generator": load_fused_generator(),
    }
    inputs = {name: (torch.randn(count, g.w1.shape[1] - g.embed.embedding_dim), torch.arange(count) % 10) for name, g in generators.items()}
    timings = {name: Timing(name, []) for name in generators}
    with torch.inference_mode():
        for run in range(runs + 20):  # the first 20 warm up and are not kept
            for name, generator in generators.items():
                start = time.perf_counter()
                generator(*inputs[name])
                if run >= 20:
                    timings[name].seconds.append(time.perf_counter() - start)
    return list(timings.values())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--forward-runs", type=int, default=300)
    parser.add_argument("--count", type=int, default=64)
    args = parser.parse_args(argv)

    previous, shipped = forward_timings(args.forward_runs, args.count)
    ratio = shipped.p50 / previous.p50
    print(f"machine: {machine()}")
    print(f"== generator forward pass, {args.count} digits, 1 torch thread, in process ==")
    for t in (previous, shipped):
        print(f"{t.name:<34}{t.p50 * 1000:>9.2f} ms p50{t.p95 * 1000:>9.2f} ms p95")
    print(f"shipped / previous p50: {ratio:.2f} ({'ok' if ratio <= 1.5 else 'over'} goal 1.5)")

    print("\n== round trip (raw HTTP, interleaved) ==")
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
