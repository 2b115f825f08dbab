"""One hostile client against one `python app.py` (what a Space runs), beside a visitor's figures alone.

    python -m bench.hostile [--seconds 10] [--calls 150] [--in-flight 16] [--unlimited-too]

1. Upload flood: one client posts distinct 9 MB files to /demos/sketcher/gradio_api/upload for
   `--seconds`, as fast as the server answers; how much the file cache grew (goal: at most 100 MB).
   Twice: a client that keeps its cookies (one visitor), and one that drops them after every
   request (known by its address only).
2. Noisy neighbour: a visitor calls /classify_digit one call after another (POST the call, read its
   event stream), `--calls` times, alone; then again while another client, in its own process,
   keeps `--in-flight` calls in flight, sending the next as soon as one is answered, a refused one at
   once (it honours no Retry-After). Goal: the visitor's median and p95 within 3x of alone. The
   hostile client runs on the same cores: what it costs the machine is part of the measure.

`--unlimited-too` measures the same again on a server with the limits lifted, for comparison.
Both clients open the page's /config first, as a browser and gradio_client do, and so are known
by the signed cookie the server sets (demos/visitors/).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx

from bench.timing import machine
from harness.serving import ROOT, served_app

PAGE = "/demos/sketcher"
DIGIT = ROOT / "demos" / "assets" / "digit_3.png"
MB = 2**20


def folder_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def visitor(url: str) -> httpx.Client:
    """A client that keeps cookies and opened the page first."""
    client = httpx.Client(base_url=url + PAGE, timeout=120)
    client.get("/config").raise_for_status()
    return client


def classify(client: httpx.Client, digit: dict) -> int:
    """One /classify_digit round trip; its HTTP status (200 only if the call completed)."""
    posted = client.post("/gradio_api/call/classify_digit", json={"data": [digit]})
    if posted.status_code != 200:
        return posted.status_code
    with client.stream("GET", f"/gradio_api/call/classify_digit/{posted.json()['event_id']}") as stream:
        answer = stream.read().decode()
    if "event: complete" not in answer:
        raise RuntimeError(f"classify_digit failed: {answer[-300:]}")
    return 200


def uploaded_digit(client: httpx.Client) -> dict:
    path = client.post("/gradio_api/upload", files={"files": (DIGIT.name, DIGIT.read_bytes())}).json()[0]
    return {"path": path, "meta": {"_type": "gradio.FileData"}}


def flood(url: str, cache: Path, seconds: float, keep_cookies: bool) -> str:
    client = visitor(url)
    before, answers, sent = folder_bytes(cache), Counter(), 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not keep_cookies:
            client.cookies.clear()
        answer = client.post("/gradio_api/upload", files={"files": ("noise.png", os.urandom(9 * MB))})
        answers[answer.status_code] += 1
        sent += 9
    time.sleep(1)  # Gradio moves an accepted upload into the cache in a background task after answering
    grew = (folder_bytes(cache) - before) / MB
    kind = "keeps its cookie" if keep_cookies else "drops its cookies"
    return f"upload flood, a client that {kind}: {sent} MB sent in {seconds:g} s, answers {dict(answers)}, cache grew {grew:.0f} MB (goal <= 100)"


def timings(url: str, calls: int) -> list[float]:
    client = visitor(url)
    digit = uploaded_digit(client)
    for _ in range(10):  # the model is loaded, the session made
        classify(client, digit)
    taken = []
    for _ in range(calls):
        started = time.perf_counter()
        status = classify(client, digit)
        if status != 200:
            raise RuntimeError(f"the visitor was refused: HTTP {status}")
        taken.append((time.perf_counter() - started) * 1000)
    return taken


def summary(taken: list[float]) -> tuple[float, float]:
    return statistics.median(taken), statistics.quantiles(taken, n=20)[18]


def hostile(url: str, in_flight: int, stop: Path) -> None:
    """The hostile client's process: `in_flight` calls at once until `stop` exists; prints its counts."""
    client = visitor(url)
    digit = uploaded_digit(client)
    answers: Counter = Counter()

    def keep_calling():
        while not stop.exists():
            answers[classify(client, digit)] += 1

    threads = [threading.Thread(target=keep_calling) for _ in range(in_flight)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(dict(answers), flush=True)


def measure(env: dict, args) -> tuple[list[str], tuple[float, float], tuple[float, float], str]:
    """Both measures on one fresh `python app.py` started with `env`."""
    with tempfile.TemporaryDirectory(prefix="hostile-") as temp:
        cache = Path(temp) / "cache"
        with served_app(env={"GRADIO_TEMP_DIR": str(cache), **env}, timeout=240) as app:
            floods = [flood(app.url, cache, args.seconds, keep_cookies) for keep_cookies in (True, False)]
            alone = summary(timings(app.url, args.calls))
            stop = Path(temp) / "stop"
            neighbour = subprocess.Popen(
                [sys.executable, "-m", "bench.hostile", "--hostile", app.url, "--in-flight", str(args.in_flight), "--stop", str(stop)],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                text=True,
            )
            try:
                time.sleep(3)  # its calls are in flight
                beside = summary(timings(app.url, args.calls))
            finally:
                stop.touch()
                answered, _ = neighbour.communicate(timeout=120)
    return floods, alone, beside, answered.strip()


# The same server with every limit lifted: what the limits are measured against.
UNLIMITED = {
    name: "100000" for name in ("GALLERY_UPLOAD_MB", "GALLERY_ADDRESS_UPLOAD_MB", "GALLERY_EVENTS_IN_FLIGHT", "GALLERY_ADDRESS_EVENTS")
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--calls", type=int, default=150)
    parser.add_argument("--in-flight", type=int, default=16)
    parser.add_argument("--unlimited-too", action="store_true", help="then the same on a server with the limits lifted")
    parser.add_argument("--hostile", help=argparse.SUPPRESS)  # URL: run as the hostile client's process
    parser.add_argument("--stop", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.hostile:
        hostile(args.hostile, args.in_flight, Path(args.stop))
        return

    print(machine())
    runs = [("with the limits (defaults)", {})] + ([("limits lifted", UNLIMITED)] if args.unlimited_too else [])
    for label, env in runs:
        floods, alone, beside, answered = measure(env, args)
        print(f"\n== {label} ==")
        print(*floods, sep="\n")
        print(f"/classify_digit, one visitor, {args.calls} calls one after another (ms):")
        print(f"{'':44s} {'median':>8s} {'p95':>8s}")
        print(f"{'alone':44s} {alone[0]:8.1f} {alone[1]:8.1f}")
        print(f"{f'beside one client with {args.in_flight} calls in flight':44s} {beside[0]:8.1f} {beside[1]:8.1f}")
        print(f"{'ratio (goal <= 3)':44s} {beside[0] / alone[0]:8.2f} {beside[1] / alone[1]:8.2f}")
        print(f"the hostile client's answers, by HTTP status: {answered}", flush=True)


if __name__ == "__main__":
    main()
