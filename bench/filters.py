"""CNN filter visualiser benchmark: `feature_maps` on the digit CNN against a no-op endpoint in the
same server, over raw HTTP, interleaved call by call. Goal: p50 <= 1.5x the no-op's p50.

    python -m bench.filters [--runs 50]

Each call sends an uploaded 280x280 drawing of a 3: the server decodes it (`open_image`), prepares
the digit (`prepare_digit`, most of the cost), runs the CNN up to the layer and returns one
paletted PNG tiling every channel's map. Also prints the one-off cost of activation maximisation
(uncached) for channel 0 of each layer, in-process.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch

from bench.timing import file_data, machine, measure_interleaved, print_table, serve_demo, upload
from core.vision.filters import digit_vision_model, excite

EXAMPLE = Path(__file__).resolve().parent.parent / "demos" / "assets" / "digit_3.png"


def latency(runs: int, layers: list[str]) -> None:
    with serve_demo("demos.filters") as url:
        digit = file_data(upload(url, EXAMPLE))
        calls = {"noop": ("noop", [])}
        calls.update({f"feature_maps {layer}": ("feature_maps", [digit, layer]) for layer in layers})
        timings = measure_interleaved(url, calls, runs=runs)
    print_table(list(timings.values()))


def excitation_cost() -> None:
    vision = digit_vision_model()
    print(f"{'activation maximisation':<26}{'steps':>6}{'seconds':>9}{'start':>9}{'final':>9}")
    for layer in vision.layers:
        start = time.perf_counter()
        found = excite.__wrapped__(vision, layer, 0)  # uncached: the cost a first click pays
        print(f"{layer + ', channel 0':<26}{found.steps:>6}{time.perf_counter() - start:>9.2f}{found.start:>9.3f}{found.final:>9.3f}")
    print(f"(in-process, torch threads {torch.get_num_threads()})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--layers", nargs="+", default=["conv1", "conv3", "conv5"])
    parser.add_argument("--skip-excite", action="store_true", help="only the endpoint latency")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    latency(args.runs, args.layers)
    if not args.skip_excite:
        print()
        excitation_cost()


if __name__ == "__main__":
    main()
