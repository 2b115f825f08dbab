"""Benchmark: a 16-sample grid of a 512x512 photo through the `augment_image` endpoint, against a
no-op endpoint in the same server, with the transforms' own cost measured alongside.

    python -m bench.augment [--runs 30] [--count 16]

Goal (issue 5): endpoint p50 <= 1.5 x no-op p50 + the transforms' own p50. The breakdown separates
what torchvision costs (sampling + applying the transforms), what shrinking, drawing and captioning
the samples costs, what gr.Gallery's postprocess (JPEG encoding, cache files) costs, all measured
in-process, and what remains: transport and queueing.
Calls alternate so that machine noise hits every measurement alike.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import gradio as gr
from gradio.media import get_image
from PIL import Image

from bench.timing import call, file_data, machine, serve_demo, upload
from core.augment.grid import DEFAULTS, caption, load_photo, render
from core.augment.transforms import parse_pipeline, sample_grid
from core.device import configure_for_serving

ROOT = Path(__file__).resolve().parent.parent

PIPELINE = [{"transform": "hflip"}, {"transform": "rotation"}, {"transform": "color_jitter"}]


def photo_512(folder: Path) -> Path:
    """Gradio's cheetah, resized to exactly 512x512 (a stand-in for a user's upload)."""
    path = folder / "cheetah_512.jpg"
    Image.open(get_image("cheetah.jpg")).convert("RGB").resize((512, 512)).save(path, quality=90)
    return path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--count", type=int, default=16)
    args = parser.parse_args()

    configure_for_serving()  # the in-process parts run with the server's torch threads, as the endpoint does

    steps = parse_pipeline(PIPELINE)
    settings = json.dumps(PIPELINE)

    gallery_component = gr.Gallery(format="jpeg")  # what the endpoint's output goes through
    seconds: dict[str, list[float]] = {
        "noop": [],
        "augment_image": [],
        "transforms (in-process)": [],
        "draw + captions (in-process)": [],
        "gr.Gallery postprocess (in-process)": [],
    }
    with tempfile.TemporaryDirectory() as folder, serve_demo("demos.augment") as url:
        path = photo_512(Path(folder))
        image, _ = load_photo(path, DEFAULTS.photo_side)
        data = [file_data(upload(url, path)), settings, 0, args.count]
        for run in range(args.runs + 3):  # 3 warm-up rounds, not counted
            start = time.perf_counter()
            call(url, "noop", [])
            noop = time.perf_counter() - start
            start = time.perf_counter()
            gallery, _ = call(url, "augment_image", data)
            endpoint = time.perf_counter() - start
            assert len(gallery) == args.count
            start = time.perf_counter()
            samples = sample_grid(image, steps, seed=0, count=args.count)
            transforms = time.perf_counter() - start
            start = time.perf_counter()
            shrink = DEFAULTS.display_side / max(image.size)
            items = [(render(s.image, s.boxes, shrink), caption(s, i)) for i, s in enumerate(samples)]
            drawing = time.perf_counter() - start
            start = time.perf_counter()
            gallery_component.postprocess(items)  # JPEG encoding and cache files, in a thread pool
            encoding = time.perf_counter() - start
            if run >= 3:
                for name, value in zip(seconds, (noop, endpoint, transforms, drawing, encoding)):
                    seconds[name].append(value)

    p50 = {name: statistics.median(values) for name, values in seconds.items()}
    p95 = {name: sorted(values)[round(0.95 * (len(values) - 1))] for name, values in seconds.items()}
    print(f"machine: {machine()}")
    print(f"{args.count} samples of a 512x512 photo, pipeline {[s['transform'] for s in PIPELINE]}, {args.runs} runs")
    print(f"{'measurement':<32}{'p50 ms':>9}{'p95 ms':>9}{'x noop p50':>12}")
    for name in seconds:
        print(f"{name:<32}{p50[name] * 1000:>9.1f}{p95[name] * 1000:>9.1f}{p50[name] / p50['noop']:>12.2f}")
    overhead = p50["augment_image"] - p50["transforms (in-process)"]
    budget = 1.5 * p50["noop"] + p50["transforms (in-process)"]
    print(
        f"endpoint minus transforms: {overhead * 1000:.1f} ms = {overhead / p50['noop']:.2f} x noop p50, of which "
        f"drawing + captions {p50['draw + captions (in-process)'] * 1000:.1f} ms and Gradio's gallery encoding "
        f"{p50['gr.Gallery postprocess (in-process)'] * 1000:.1f} ms; the rest is transport and queueing"
    )
    verdict = "ok" if p50["augment_image"] <= budget else "over goal"
    print(f"goal: endpoint p50 {p50['augment_image'] * 1000:.1f} ms <= 1.5 x noop + transforms = {budget * 1000:.1f} ms: {verdict}")


if __name__ == "__main__":
    main()
