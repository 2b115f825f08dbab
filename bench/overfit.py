"""Overfitting playground benchmark: the playground's training loop against a bare PyTorch loop on
the same MLP and data, and how many updates a second the page's stream delivers.

    python -m bench.overfit [--repeats 5] [--epochs 40]

1. Loop speed. "fix it with more data" (340 training points, 34k-weight MLP, batch 32) trained
   for `--epochs` epochs, alternating between:
     - playground: `PlaygroundRun.records()`, i.e. `core.training.fit` + `supervised_step`, with its
       per-epoch measurement of training and validation loss and accuracy;
     - bare, same work: a plain `for` loop doing the same steps and the same per-epoch measurement;
     - bare, steps only: the plain loop without any measurement.
   All on one thread (the playground pins its own work to one; the bare loops get
   torch.set_num_threads(1)). Speed ratio = bare time / playground time. Goal: >= 0.8.
2. Stream rate. The demo served with a no-op endpoint (bench.harness); the page's training event
   is called over raw HTTP and every streamed update is timestamped. Goal: >= 5 updates/s.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import urllib.request
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def bare_loop(run, epochs: int, measure_each_epoch: bool) -> None:
    import torch.nn.functional as F

    from core.playground import measure

    model, optimizer, d = run.model, run.optimizer, run.data
    for _ in range(epochs):
        model.train()
        for x, y in run.batches:
            loss = F.cross_entropy(model(x), y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        if measure_each_epoch:
            measure(model, d.x_train, d.y_train, False)
            measure(model, d.x_val, d.y_val, False)


def time_loops(epochs: int, repeats: int) -> dict[str, list[float]]:
    import torch

    import core.playground as pg

    settings = replace(pg.PRESETS["fix it with more data"], epochs=epochs, max_seconds=60.0)
    before = torch.get_num_threads()
    times: dict[str, list[float]] = {"playground (fit + evaluate)": [], "bare loop, same work": [], "bare loop, steps only": []}
    for _ in range(repeats):  # alternate, so machine noise hits all three alike
        run = pg.PlaygroundRun(settings)
        start = time.perf_counter()
        for _record in run.records():
            pass
        times["playground (fit + evaluate)"].append(time.perf_counter() - start)
        torch.set_num_threads(1)
        try:
            for name, measured in (("bare loop, same work", True), ("bare loop, steps only", False)):
                run = pg.PlaygroundRun(settings)
                start = time.perf_counter()
                bare_loop(run, epochs, measured)
                times[name].append(time.perf_counter() - start)
        finally:
            torch.set_num_threads(before)
    return times


def stream_updates(url: str, values: list) -> list[float]:
    """Call the page's training event and return the arrival time of each streamed update."""
    request = urllib.request.Request(
        f"{url}/gradio_api/call/train_on_page", data=json.dumps({"data": values}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        event_id = json.loads(response.read())["event_id"]
    arrivals, event = [], None
    with urllib.request.urlopen(f"{url}/gradio_api/call/train_on_page/{event_id}", timeout=120) as stream:
        for raw in stream:
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
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--stream-runs", type=int, default=3)
    args = parser.parse_args()

    from bench.harness import machine, measure, serve_demo

    print(f"machine: {machine()}")
    times = time_loops(args.epochs, args.repeats)
    playground = statistics.median(times["playground (fit + evaluate)"])
    print(f"\n1. training loop, 'fix it with more data', {args.epochs} epochs, median of {args.repeats}")
    print(f"{'loop':<30}{'median s':>10}{'min s':>8}{'bare/this':>11}")
    for name, values in times.items():
        print(f"{name:<30}{statistics.median(values):>10.3f}{min(values):>8.3f}{statistics.median(values) / playground:>11.2f}")
    same = statistics.median(times["bare loop, same work"]) / playground
    steps = statistics.median(times["bare loop, steps only"]) / playground
    print(f"playground speed vs bare loop doing the same work: {same:.2f}x (goal >= 0.8) {'ok' if same >= 0.8 else 'BELOW GOAL'}")
    print(f"playground speed vs bare steps without measuring:  {steps:.2f}x (the price of per-epoch curves)")

    import core.playground as pg
    from demos.overfit import setting_names

    settings = replace(pg.DEFAULTS, epochs=400)  # "memorise the noise", a few seconds of training
    values = [getattr(settings, name) for name in setting_names()]
    with serve_demo("demos.overfit") as url:
        noop = measure(url, "noop", [], runs=20, warmup=3)
        rates, gaps = [], []
        stream_updates(url, [getattr(replace(settings, epochs=20), n) for n in setting_names()])  # warm-up
        for _ in range(args.stream_runs):
            arrivals = stream_updates(url, values)
            intervals = [b - a for a, b in zip(arrivals, arrivals[1:])]
            rates.append((len(arrivals) - 1) / (arrivals[-1] - arrivals[0]))
            gaps += intervals
    print(f"\n2. page stream, 'memorise the noise' for {settings.epochs} epochs, {args.stream_runs} runs (no-op round trip p50 {noop.p50 * 1000:.1f} ms)")
    print(f"updates per second: median {statistics.median(rates):.1f} (runs: {', '.join(f'{r:.1f}' for r in rates)}); "
          f"interval p50 {statistics.median(gaps) * 1000:.0f} ms, max {max(gaps) * 1000:.0f} ms")
    rate = statistics.median(rates)
    print(f"goal >= 5 updates/s: {'ok' if rate >= 5 else 'BELOW GOAL'}")


if __name__ == "__main__":
    main()
