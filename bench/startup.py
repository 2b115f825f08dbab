"""Start-up benchmark: process start to first HTTP 200, `python app.py` vs a hello-world Gradio app.

    python -m bench.startup [--runs 5]

Runs alternate between the two so that machine noise hits both alike; prints medians and the ratio.
Goal: app / hello <= 1.2.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.conftest import free_port  # noqa: E402


def time_to_first_200(script: str) -> float:
    port = free_port()
    env = dict(os.environ, GRADIO_SERVER_PORT=str(port), GRADIO_ANALYTICS_ENABLED="False")
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, script], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{script} exited with {process.returncode}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
                    if response.status == 200:
                        return time.perf_counter() - start
            except OSError:
                time.sleep(0.02)
            if time.perf_counter() - start > 120:
                raise TimeoutError(script)
    finally:
        process.terminate()
        process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    times: dict[str, list[float]] = {"app.py": [], "bench/hello_app.py": []}
    time_to_first_200("bench/hello_app.py")  # warm the OS file cache for both
    time_to_first_200("app.py")
    for _ in range(args.runs):
        for script in times:
            times[script].append(time_to_first_200(script))
    app, hello = statistics.median(times["app.py"]), statistics.median(times["bench/hello_app.py"])
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"{'server':<22}{'median s':>10}{'min s':>8}{'max s':>8}")
    for script, values in times.items():
        print(f"{script:<22}{statistics.median(values):>10.2f}{min(values):>8.2f}{max(values):>8.2f}")
    print(f"ratio app / hello: {app / hello:.2f} (goal <= 1.2)")


if __name__ == "__main__":
    main()
