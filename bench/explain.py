"""Attribution cost: `/explain_digit` for each method over raw HTTP, against a no-op endpoint and
`/classify_digit` in the same server, interleaved call by call; then each word-attribution method
in-process on one thread for both sentiment models, on a sentence and on a long review, as a ratio
of integrated gradients (the method the page opens with) measured in the same run.
Goal: every digit method well under a second a request (it is under 0.1 s of model work).

    python -m bench.explain [--runs 20]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch

from bench.timing import file_data, measure_interleaved, print_table, serve_demo, upload
from core.sentiment.explain import read_scratch, read_transfer
from demos.sentiment.texts import LONG_REVIEW

EXAMPLE = Path(__file__).resolve().parent.parent / "demos" / "assets" / "digit_3.png"
DIGIT_METHODS = ("saliency", "integrated_gradients", "smoothgrad", "occlusion", "gradcam")
WORD_METHODS = ("integrated_gradients", "saliency", "smoothgrad", "occlusion")
SENTENCE = "The cast is great, but the plot is a total mess and I was bored."


def digit_latency(runs: int) -> None:
    with serve_demo("demos.sketcher") as url:
        digit = file_data(upload(url, EXAMPLE))
        calls = {"noop": ("noop", []), "classify_digit": ("classify_digit", [digit])}
        calls.update({f"explain_digit {method}": ("explain_digit", [digit, method]) for method in DIGIT_METHODS})
        timings = measure_interleaved(url, calls, runs=runs)
    print_table(list(timings.values()), goal=None)


def word_costs(repeats: int = 3) -> None:
    torch.set_num_threads(1)  # as in the server
    print(f"{'word attributions, 1 thread, best of ' + str(repeats):<44}{'ms':>8}{'x IG':>7}")
    for label, text in (("sentence", SENTENCE), ("long review", LONG_REVIEW)):
        for reader in (read_scratch, read_transfer):
            reader(text)  # load the model, warm the kernels
            best = {}
            for method in WORD_METHODS:
                seconds = []
                for _ in range(repeats):
                    start = time.perf_counter()
                    reader(text, method=method)
                    seconds.append(time.perf_counter() - start)
                best[method] = min(seconds)
            for method in WORD_METHODS:
                name = f"{label}, {reader.__name__}, {method}"
                print(f"{name:<44}{best[method] * 1000:>8.0f}{best[method] / best['integrated_gradients']:>7.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--skip-words", action="store_true", help="only the digit endpoint")
    args = parser.parse_args()
    digit_latency(args.runs)  # prints the machine line

    if not args.skip_words:
        print()
        word_costs()


if __name__ == "__main__":
    main()
