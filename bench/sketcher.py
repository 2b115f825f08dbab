"""Digit sketcher benchmark, two parts in one run.

1. Preprocessing: MNIST test digits rendered as canvas drawings (sizes 140-1600 px, anywhere on the
   canvas, thinner and thicker strokes, both polarities, RGB, opaque RGBA and ink-in-alpha RGBA),
   read by the same shipped models through `prepare_digit` vs the naive "resize the canvas to
   28x28" most demos use. Target: >= 97% for ours.
2. Latency: `classify_digit` p50/p95 over raw HTTP against a no-op endpoint in the same server.
   Goal: <= 1.5x the no-op.

    python -m bench.sketcher --data-dir ../shared/data [--digits 2000] [--runs 50]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from bench.timing import file_data, machine, measure_interleaved, print_table, serve_demo, upload
from core.data import mnist_tensors
from core.digits.predict import class_probabilities, load_digit_model
from core.digits.preprocess import normalize, prepare_digit, to_model_input
from core.digits.synthetic import naive_28x28, random_style, render


def preprocessing_accuracy(data_dir: str | None, digits: int, seed: int = 0) -> None:
    images, labels = mnist_tensors(train=False, root=data_dir)
    rng = np.random.default_rng(seed)
    chosen = rng.choice(len(labels), size=digits, replace=False)
    ours, naive, styles = [], [], []
    start = time.perf_counter()
    for i in chosen:
        style = random_style(rng)
        canvas = render(images[i].numpy(), style)
        ours.append(to_model_input(prepare_digit(canvas)))
        naive.append(normalize(torch.from_numpy(naive_28x28(canvas)))[None, None])
        styles.append(style)
    seconds = time.perf_counter() - start
    truth = labels[chosen].numpy()
    print(f"{digits} MNIST test digits drawn as canvases (seed {seed}), rendered + preprocessed in {seconds:.1f}s")
    print(f"{'model':<6}{'prepare_digit':>15}{'naive resize':>14}")
    for kind in ("cnn", "mlp"):
        model = load_digit_model(kind)
        ours_acc = (class_probabilities(model, torch.cat(ours)).argmax(1) == truth).mean()
        naive_acc = (class_probabilities(model, torch.cat(naive)).argmax(1) == truth).mean()
        print(f"{kind:<6}{ours_acc:>15.2%}{naive_acc:>14.2%}")
    cnn = load_digit_model("cnn")
    hits = class_probabilities(cnn, torch.cat(ours)).argmax(1) == truth
    for name, group in (
        ("white on black", [s.white_on_black for s in styles]),
        ("ink only in alpha", [s.mode == "LA-transparent" for s in styles]),
        ("canvas >= 800 px", [s.canvas >= 800 for s in styles]),
        ("digit < 40% of canvas", [s.height < 0.4 for s in styles]),
        ("thinned stroke", [s.stroke < 0 for s in styles]),
    ):
        mask = np.array(group)
        print(f"  cnn + prepare_digit on {name:<22} {hits[mask].mean():.2%} of {mask.sum()}")


def latency(runs: int) -> None:
    example = Path(__file__).resolve().parent.parent / "demos" / "assets" / "digit_3.png"
    with serve_demo("demos.sketcher") as url, tempfile.TemporaryDirectory():
        digit = file_data(upload(url, example))
        timings = measure_interleaved(url, {"noop": ("noop", []), "classify_digit": ("classify_digit", [digit])}, runs=runs)
    print_table(list(timings.values()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--digits", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    preprocessing_accuracy(args.data_dir, args.digits)
    print()
    latency(args.runs)


if __name__ == "__main__":
    main()
