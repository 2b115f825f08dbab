"""Each endpoint's model work in process, on the CPU and on the GPU side by side, and batch throughput.

Each device runs in its own process (`GALLERY_DEVICE=<device> python -m bench.device --one`), so
every cached loader builds there afresh. Latency is the median of `--runs` calls after two warm-up
calls, with one torch thread as the server has (`configure_for_serving`); outputs come back to the
CPU inside each call, so a GPU call is timed to its end. Throughput: images per second at batch 256
for the digit CNN (as it answers: batch norms folded) and the generator (fused), best of 5 passes.

    python -m bench.device [--runs 30]

Without a GPU the GPU column says so: nothing is estimated.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from bench.timing import machine
from core.device import configure_for_serving, default_device, model_device
from core.digits.explain import attributions
from core.digits.predict import answering_cnn, class_probabilities
from core.digits.preprocess import prepare_digit, to_model_input
from core.digits.reading import read_digit
from core.gan.fused import load_fused_generator
from core.gan.sample import sample_digits, walk_between_classes
from core.playground.experiment import PRESETS, run_to_end
from core.sentiment.predict import probabilities
from core.vision.filters import layer_grid
from core.vision.model import digit_vision_model

ASSETS = Path(__file__).resolve().parent.parent / "demos" / "assets"
TEXT = "A quietly devastating film: the acting is superb, though the last act drags on far too long."
BATCH = 256


def _timed(fn, runs: int) -> float:
    fn(), fn()  # loaders, kernels and caches warm
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds)


def _endpoints():
    """(name, call) for each endpoint's in-process work, as its handler runs it."""
    digit = np.asarray(Image.open(ASSETS / "digit_3.png"))
    sixteen = torch.cat([to_model_input(prepare_digit(digit))] * 16)  # augment_digit: 16 samples read by the CNN
    playground = dataclasses.replace(PRESETS["memorise the noise"], epochs=100)
    return [
        ("classify_digit (CNN)", lambda: read_digit(digit, explain=False)),
        ("sketcher page (CNN + MLP + IG)", lambda: read_digit(digit)),
        ("feature_maps (conv1 grid)", lambda: layer_grid(digit_vision_model(), digit, "conv1")),
        ("explain_digit (occlusion, CNN)", lambda: attributions(answering_cnn(), sixteen[:1], 3, "occlusion")),
        ("generate_digits (64)", lambda: sample_digits(-1, 0, 64)),
        ("walk_between_classes (12 frames)", lambda: walk_between_classes(3, 8, 0, 12)),
        ("classify_sentiment scratch", lambda: probabilities([TEXT], "scratch")),
        ("classify_sentiment transfer", lambda: probabilities([TEXT], "transfer")),
        ("augment_digit CNN check (16)", lambda: class_probabilities(answering_cnn(), sixteen)),
        ("playground run (memorise, 100 ep)", lambda: run_to_end(playground)),
    ]


def _throughput() -> dict[str, float]:
    cnn, generator = answering_cnn(), load_fused_generator()
    device = model_device(cnn)
    inputs = torch.randn(BATCH, 1, 28, 28, generator=torch.Generator().manual_seed(0)).to(device)
    z = torch.randn(BATCH, generator.w1.shape[1] - generator.embed.embedding_dim, generator=torch.Generator().manual_seed(1)).to(device)
    labels = (torch.arange(BATCH) % 10).to(device)
    rates = {}
    for name, fn in (("digit CNN", lambda: cnn(inputs)), ("generator", lambda: generator(z, labels))):
        best = float("inf")
        with torch.inference_mode():
            fn()
            for _ in range(5):
                if device.type == "cuda":
                    torch.cuda.synchronize()
                start = time.perf_counter()
                fn()
                if device.type == "cuda":
                    torch.cuda.synchronize()
                best = min(best, time.perf_counter() - start)
        rates[name] = BATCH / best
    return rates


def one_device(runs: int) -> dict:
    """Measure on the device GALLERY_DEVICE names (or the best one): {"device", "latency", "throughput"}."""
    configure_for_serving()
    latency = {}
    for name, call in _endpoints():
        try:
            latency[name] = _timed(call, runs if "playground" not in name else 3)
        except Exception as error:  # a missing checkpoint: say which, measure the rest
            latency[name] = f"failed: {type(error).__name__}"
    return {"device": str(default_device()), "latency": latency, "throughput": _throughput()}


def _measure_in_child(device: str, runs: int) -> dict:
    env = dict(os.environ, GALLERY_DEVICE=device)
    out = subprocess.run(
        [sys.executable, "-m", "bench.device", "--one", "--runs", str(runs)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=1800,  # minutes on a busy CPU; a child that hangs fails the benchmark instead
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _cell(value, unit: str) -> str:
    if isinstance(value, str):
        return value
    return f"{value * 1000:.1f} ms" if unit == "ms" else f"{value:,.0f}/s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--one", action="store_true", help="measure on $GALLERY_DEVICE only and print JSON")
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one_device(args.runs)))
        return

    gpu_name = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    cpu = _measure_in_child("cpu", args.runs)
    gpu = _measure_in_child("cuda", args.runs) if gpu_name else None
    missing = "not measured: no GPU lent"
    print(f"machine: {machine()}; GPU: {gpu_name or 'none'}")
    print(f"in process, median of {args.runs} calls (playground: of 3 runs), one torch thread")
    print(f"{'endpoint':<36}{'CPU':>14}{'GPU':>28}")
    for name, seconds in cpu["latency"].items():
        print(f"{name:<36}{_cell(seconds, 'ms'):>14}{_cell(gpu['latency'][name], 'ms') if gpu else missing:>28}")
    print(f"{'convolve (sandbox)':<36}{'numpy only: runs on the CPU whatever the device':>42}")
    print(f"throughput at batch {BATCH}, best of 5 passes")
    for name, rate in cpu["throughput"].items():
        print(f"{name:<36}{_cell(rate, '/s'):>14}{_cell(gpu['throughput'][name], '/s') if gpu else missing:>28}")


if __name__ == "__main__":
    main()
