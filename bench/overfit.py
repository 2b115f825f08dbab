"""Overfitting playground benchmark: the playground's training loop against a bare PyTorch loop on
the same MLP and data, and how many updates a second the page's stream delivers.

    python -m bench.overfit [--repeats 15] [--epochs 100] [--skip-stream]
    python -m bench.overfit --presets   # the six presets' final accuracies, as the README states them

1. Loop speed. "fix it with more data" (340 training points, 34k-weight MLP, batch 32) trained
   for `--epochs` epochs, alternating between:
     - playground: `PlaygroundRun.records()`, i.e. `core.training.fit` + `supervised_step`, with its
       per-epoch measurement of training and validation loss and accuracy;
     - bare, same work: a plain `for` loop doing the same steps and the same per-epoch measurement;
     - bare, steps only: the plain loop without any measurement.
   All on one thread (the playground pins its own work to one; the bare loops get
   torch.set_num_threads(1)). Speed ratio = bare time / playground time, on the best of N runs
   (the one least disturbed by other processes on a shared machine) and on the medians. Goal: >= 0.8.
2. Stream rate. The demo served with a no-op endpoint (bench.timing); the page's training event
   is called over raw HTTP and every streamed update is timestamped. Goal: >= 5 updates/s.

`--presets` instead trains each preset once, as the page does (seed 0), and prints the train and
validation accuracy of the model each run ends with, in the README's words, then the story those
figures tell (`core.playground.story`: memorising opens a gap, each fix narrows it, one unit
underfits), claim by claim. Seeded, so the same figures on one machine; another CPU's kernels (or
another torch) round differently, and 200 epochs of memorising noise carry that into the last
digits. The README states the figures as measured here, naming the machine; tests/test_overfit.py
checks the story (on fresh runs and on the README's figures), never the digits.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import urllib.request
from dataclasses import replace
from pathlib import Path

import torch
import torch.nn.functional as F

import core.playground.experiment as pg
import core.playground.story as story
from bench.timing import machine, measure, serve_demo
from core.playground.settings import setting_names

ROOT = Path(__file__).resolve().parent.parent


def preset_line(figures: story.Figures) -> str:
    """The README's sentence: 'memorise the noise 100.0% / 84.4%; dropout ...' (train / validation %)."""
    return "; ".join(f"{name.removeprefix('fix it with ')} {100 * train:.1f}% / {100 * val:.1f}%" for name, (train, val) in figures.items())


def bare_loop(run, epochs: int, measure_each_epoch: bool) -> None:
    model, optimizer, d = run.model, run.optimizer, run.data
    for _ in range(epochs):
        model.train()
        for x, y in run.batches:
            loss = F.cross_entropy(model(x), y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        if measure_each_epoch:  # what the playground measures for its curves, written out
            model.eval()
            with torch.inference_mode():
                out = model(torch.cat([d.x_train, d.x_val]))
                n = len(d.x_train)
                for o, y in ((out[:n], d.y_train), (out[n:], d.y_val)):
                    float(F.cross_entropy(o, y)), float((o.argmax(1) == y).float().mean())


def time_loops(epochs: int, repeats: int) -> dict[str, list[float]]:
    settings = replace(pg.PRESETS["fix it with more data"], epochs=epochs, max_seconds=60.0)
    before = torch.get_num_threads()
    times: dict[str, list[float]] = {"playground (fit + evaluate)": [], "bare loop, same work": [], "bare loop, steps only": []}

    def playground_run() -> float:
        run = pg.PlaygroundRun(settings)
        start = time.perf_counter()
        for _record in run.records():
            pass
        return time.perf_counter() - start

    def bare_run(measured: bool) -> float:
        torch.set_num_threads(1)
        try:
            run = pg.PlaygroundRun(settings)
            start = time.perf_counter()
            bare_loop(run, epochs, measured)
            return time.perf_counter() - start
        finally:
            torch.set_num_threads(before)

    loops = {
        "playground (fit + evaluate)": playground_run,
        "bare loop, same work": lambda: bare_run(True),
        "bare loop, steps only": lambda: bare_run(False),
    }
    names = list(loops)
    for i in range(repeats):  # rotate the order, so machine noise and warm caches favour none
        for name in names[i % 3 :] + names[: i % 3]:
            times[name].append(loops[name]())
    return times


def stream_updates(url: str, values: list) -> list[float]:
    """Call the page's training event and return the arrival time of each streamed update."""
    request = urllib.request.Request(
        f"{url}/gradio_api/call/train_on_page",
        data=json.dumps({"data": values}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        event_id = json.loads(response.read())["event_id"]
    arrivals, event, deadline = [], None, time.monotonic() + 300
    with urllib.request.urlopen(f"{url}/gradio_api/call/train_on_page/{event_id}", timeout=120) as stream:
        for raw in stream:
            if time.monotonic() > deadline:
                raise TimeoutError("train_on_page: still streaming after 300 s")
            line = raw.decode().strip()
            if line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:"):
                if event == "error":
                    raise RuntimeError(line)
                if event in ("generating", "complete"):
                    arrivals.append(time.perf_counter())
                if event == "complete":
                    break
    return arrivals


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--stream-runs", type=int, default=3)
    parser.add_argument("--skip-stream", action="store_true", help="only the loop comparison")
    parser.add_argument("--presets", action="store_true", help="only the presets' final train / validation accuracy")
    args = parser.parse_args()

    print(f"machine: {machine()}")
    if args.presets:
        print(
            f"CPU kernels: {torch.backends.cpu.get_cpu_capability()}, torch {torch.__version__}, {torch.get_num_threads()} threads; "
            "six presets, seed 0 (train / validation accuracy):"
        )
        figures = story.preset_figures()
        print(preset_line(figures))
        claims = story.story(figures)
        print("the story they tell (the same on every CPU; the digits are not):")
        for claim, holds in claims:
            print(f"  {'yes' if holds else 'NO '}  {claim}")
        if not all(holds for _, holds in claims):
            raise SystemExit(1)
        return
    times = time_loops(args.epochs, args.repeats)
    name = "playground (fit + evaluate)"
    best, middle = min(times[name]), statistics.median(times[name])
    print(f"\n1. training loop, 'fix it with more data', {args.epochs} epochs, {args.repeats} runs each, alternating")
    print(f"{'loop':<30}{'min s':>8}{'median s':>10}{'speed (min)':>13}{'speed (median)':>16}")
    for name, values in times.items():
        print(
            f"{name:<30}{min(values):>8.3f}{statistics.median(values):>10.3f}{min(values) / best:>13.2f}{statistics.median(values) / middle:>16.2f}"
        )
    for label, bare in (("the same work", "bare loop, same work"), ("steps only (no curves)", "bare loop, steps only")):
        ratio = min(times[bare]) / best
        goal = (
            f"(goal >= 0.8) {'ok' if ratio >= 0.8 else 'BELOW GOAL'}"
            if bare.endswith("same work")
            else "(the price of measuring every epoch)"
        )
        print(
            f"playground speed vs a bare loop doing {label}: {ratio:.2f}x best-of-{args.repeats}, {statistics.median(times[bare]) / middle:.2f}x medians {goal}"
        )

    if args.skip_stream:
        return

    settings = replace(pg.DEFAULTS, epochs=400)  # "memorise the noise", a few seconds of training
    values = [getattr(settings, name) for name in setting_names()] + ["default", []]  # the palette, no earlier runs
    with serve_demo("demos.overfit") as url:
        noop = measure(url, "noop", [], runs=20, warmup=3)
        rates, gaps = [], []
        stream_updates(url, [getattr(replace(settings, epochs=20), n) for n in setting_names()] + ["default", []])  # warm-up
        for _ in range(args.stream_runs):
            arrivals = stream_updates(url, values)
            intervals = [b - a for a, b in zip(arrivals, arrivals[1:])]
            rates.append((len(arrivals) - 1) / (arrivals[-1] - arrivals[0]))
            gaps += intervals
    print(
        f"\n2. page stream, 'memorise the noise' for {settings.epochs} epochs, {args.stream_runs} runs (no-op round trip p50 {noop.p50 * 1000:.1f} ms)"
    )
    print(f"updates per second over whole runs: median {statistics.median(rates):.1f} (runs: {', '.join(f'{r:.1f}' for r in rates)})")
    print(
        f"interval between updates: p50 {statistics.median(gaps) * 1000:.0f} ms ({1 / statistics.median(gaps):.1f}/s), "
        f"p95 {sorted(gaps)[int(0.95 * (len(gaps) - 1))] * 1000:.0f} ms, max {max(gaps) * 1000:.0f} ms"
    )
    rate = statistics.median(rates)
    print(f"goal >= 5 updates/s (whole runs, median): {'ok' if rate >= 5 else 'BELOW GOAL'}")


if __name__ == "__main__":
    main()
