"""Calls per second of `/classify_digit` under 32 concurrent clients: one `python app.py` and
`deploy/serve.sh 2` (two replicas behind nginx), both up in the same run and loaded in turn; the
ratio is the result.

    python -m bench.replicas [--clients 32] [--seconds 15] [--rounds 3] [--sessions 100]

Goal: two replicas >= 1.5x one process, zero errors. The load comes from Locust (FastHttpUser,
geventhttpclient) in this process: each client is one session with its own cookies (so nginx keeps it
on one replica), uploads a digit once, then calls back to back through Gradio's HTTP API (POST the
call, read its event stream). The load generator runs on the same cores as the servers, so its CPU
time is printed too, beside the servers' own. First, what a session kept on the server costs in
memory (one process's RSS over new sessions), for the README's note on SESSIONS_KEPT.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import gevent
import httpx
from locust import FastHttpUser, constant, events, task
from locust.env import Environment

from bench.timing import call, file_data, upload
from demos import SESSIONS_KEPT
from harness import serving
from harness.serving import ROOT

DIGIT = ROOT / "demos" / "assets" / "digit_3.png"
TRIES = 20  # new visitors to meet every replica once: with two, each page at even odds, both met within 20 but once in 500,000
ROUND_TRIP = "CALL"  # the request type under which a whole call (POST, then its event stream) is recorded


@contextlib.contextmanager
def served(replicas: int, env: dict | None = None):
    """`python app.py` (replicas=0) or `deploy/serve.sh REPLICAS PORT`, in its own session; yields
    (base URL, session id). Stopped with SIGTERM, as a user stops it."""
    command = [sys.executable, "app.py"] if replicas == 0 else [str(ROOT / "deploy" / "serve.sh"), str(replicas), "{port}"]
    env = {"PYTHON": sys.executable, "GRADIO_SERVER_NAME": None, **(env or {})}  # nginx and the replicas on 127.0.0.1
    with serving.served(command, env=env, timeout=240, new_session=True) as server:
        yield server.url, server.pid


def session_cpu_seconds(session: int) -> float:
    """User + system CPU time of every live process in `session` (the servers and nginx)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == session:
            total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime (stat fields 14, 15)
    return total


class GradioUser(FastHttpUser):
    """A visitor with its own session and cookies, calling Gradio's HTTP API."""

    abstract = True
    replicas: Counter = Counter()  # which replica answered, by nginx's X-Gallery-Replica header
    resent = 0  # POSTs sent again after the server closed an idle connection (see post_once_more_if_closed)
    page = "/demos/sketcher"  # the page the visitor opens first

    def on_start(self):
        # As a browser does: the page first, whose answer sets the balancer's cookie, so that the
        # calls after it (the first without the cookie goes by address) stay on one replica.
        self.client.get(f"{self.page}/", name=f"{self.page}/ page")

    def upload(self, page: str, path: Path) -> dict:
        with open(path, "rb") as f:
            files = {"files": (path.name, f.read(), "image/png")}
        response = self.post_once_more_if_closed(f"{page}/gradio_api/upload", f"{page} upload", files=files)
        return {"path": response.json()[0], "meta": {"_type": "gradio.FileData"}}

    def post_once_more_if_closed(self, url: str, name: str, **body):
        """POST; sent again, once, when the server had closed the kept-alive connection before it
        answered, as browsers do (uvicorn closes one idle for 5 s; geventhttpclient never retries a
        POST). Counted in GradioUser.resent."""
        for attempt in range(2):
            with self.client.post(url, name=name, catch_response=True, **body) as posted:
                error = posted.request_meta["exception"]
                if attempt == 0 and error is not None and "connection closed" in str(error).lower():
                    posted.success()
                    GradioUser.resent += 1
                    continue
            return posted

    def call(self, page: str, api_name: str, data: list, name: str | None = None) -> str:
        """One call through Gradio's HTTP API, recorded as a whole under ROUND_TRIP; its last data line."""
        name = name or api_name
        start, answer, error = time.perf_counter(), "", None
        try:
            posted = self.post_once_more_if_closed(f"{page}/gradio_api/call/{api_name}", f"{name} post", json={"data": data})
            posted.raise_for_status()
            GradioUser.replicas[posted.headers.get("x-gallery-replica", "app.py")] += 1
            stream = self.client.get(f"{page}/gradio_api/call/{api_name}/{posted.json()['event_id']}", name=f"{name} stream")
            stream.raise_for_status()
            answer = stream.text or ""
            if "event: complete" not in answer:
                error = RuntimeError(f"{api_name}: {answer[-200:]!r}")
        except Exception as failure:  # counted as a failed call: the goal is zero
            error = failure
        events.request.fire(
            request_type=ROUND_TRIP,
            name=name,
            response_time=(time.perf_counter() - start) * 1000,
            response_length=len(answer),
            exception=error,
            context={},
        )
        return answer.strip().rsplit("data:", 1)[-1]


class DigitReader(GradioUser):
    wait_time = constant(0)  # back to back: a closed loop of `clients` callers

    def on_start(self):
        super().on_start()
        self.digit = self.upload("/demos/sketcher", DIGIT)

    @task
    def classify(self):
        self.call("/demos/sketcher", "classify_digit", [self.digit])


def run_load(url: str, user_classes: list, users: int, seconds: float, spawn_rate: float | None = None) -> Environment:
    """Run Locust headless in this process against `url`; the finished Environment (its .stats)."""
    environment = Environment(user_classes=user_classes, host=url, events=events)
    runner = environment.create_local_runner()
    runner.start(users, spawn_rate=spawn_rate or users)
    gevent.sleep(seconds)
    runner.quit()
    return environment


def warm_up(url: str, replicas: int) -> None:
    """One call answered by each replica (each loads its model on its first call), from new sessions."""
    answered: set[str] = set()
    for _ in range(TRIES):  # a new visitor's page lands on either replica, at random: enough tries to meet both
        if len(answered) >= max(replicas, 1):
            return
        with httpx.Client(base_url=url + "/demos/sketcher", timeout=120) as client:
            # The page first, as a browser: nginx routes a page without a cookie at random, and its
            # cookie keeps the calls there. A call sent first is routed by the client's address.
            client.get("/").raise_for_status()
            with open(DIGIT, "rb") as f:
                path = client.post("/gradio_api/upload", files={"files": (DIGIT.name, f)}).json()[0]
            posted = client.post("/gradio_api/call/classify_digit", json={"data": [{"path": path, "meta": {"_type": "gradio.FileData"}}]})
            answer = client.get(f"/gradio_api/call/classify_digit/{posted.json()['event_id']}").text
            if "event: complete" not in answer:
                raise RuntimeError(f"warm-up call failed: {answer[-300:]}")
            answered.add(posted.headers.get("x-gallery-replica", "app.py"))
    if len(answered) < max(replicas, 1):
        raise RuntimeError(f"warm-up: of {TRIES} new visitors, only {sorted(answered)} answered, of {replicas} replicas")


def measure(url: str, session: int, clients: int, seconds: float) -> dict:
    GradioUser.replicas.clear()
    load_before, server_before, client_before = os.getloadavg()[0], session_cpu_seconds(session), time.process_time()
    environment = run_load(url, [DigitReader], clients, seconds)
    entry = environment.stats.get("classify_digit", ROUND_TRIP)
    return {
        "calls": entry.num_requests,
        "per_second": entry.num_requests / seconds,
        "errors": entry.num_failures + sum(e.num_failures for e in environment.stats.entries.values() if e.method != ROUND_TRIP),
        "p50": entry.get_response_time_percentile(0.5),
        "p95": entry.get_response_time_percentile(0.95),
        "server_cores": (session_cpu_seconds(session) - server_before) / seconds,
        "client_cores": (time.process_time() - client_before) / seconds,
        "load": load_before,
        "replicas": dict(GradioUser.replicas),
    }


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def session_memory(sessions: int) -> None:
    """What a session kept on the server costs: one process's RSS over `sessions` calls, each in a new
    session of the sketcher's page, then as many more (the page keeps SESSIONS_KEPT, so these push out)."""
    with served(0, env={"GALLERY_WARM_UP": "0"}) as (url, pid):
        page = url + "/demos/sketcher"
        digit = [file_data(upload(page, DIGIT))]
        for _ in range(20):  # model loaded, allocator warmed, in sessions of their own
            call(page, "classify_digit", digit, session=uuid.uuid4().hex)
        readings = [rss_mb(pid)]
        for _ in range(2):
            for _ in range(sessions):
                call(page, "classify_digit", digit, session=uuid.uuid4().hex)
            readings.append(rss_mb(pid))
    first, second = readings[1] - readings[0], readings[2] - readings[1]
    print(
        f"server RSS {readings[0]:.0f} MB; +{first:.1f} MB over {sessions} new sessions ({first * 1024 / sessions:.0f} KB a session), "
        f"{second:+.1f} MB over {sessions} more (the page keeps {SESSIONS_KEPT})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=15, help="per server per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sessions", type=int, default=100, help="new sessions for the memory measure (0: skip it)")
    args = parser.parse_args()
    if args.sessions:
        session_memory(args.sessions)
    print(
        f"{os.cpu_count()} cores; {args.clients} clients calling /classify_digit back to back, {args.seconds:.0f} s per server "
        f"in each of {args.rounds} rounds (both servers up, loaded in turn, so that the machine's noise hits both)"
    )
    print(
        f"{'round':<6}{'server':<22}{'calls/s':>9}{'p50 ms':>8}{'p95 ms':>8}{'errors':>8}{'server cores':>14}{'load gen cores':>16}{'load 1m':>9}"
    )
    servers = {"python app.py": 0, "deploy/serve.sh 2": 2}
    totals = {label: {"calls": 0, "errors": 0} for label in servers}
    with served(0) as one, served(2) as two:
        targets = dict(zip(servers, [one, two]))
        for label, (url, _) in targets.items():
            warm_up(url, servers[label])
            run_load(url, [DigitReader], args.clients, 5)  # then a short load: every client's session made
        for round_ in range(1, args.rounds + 1):
            for label, (url, session) in targets.items():
                r = measure(url, session, args.clients, args.seconds)
                totals[label]["calls"] += r["calls"]
                totals[label]["errors"] += r["errors"]
                print(
                    f"{round_:<6}{label:<22}{r['per_second']:>9.1f}{r['p50']:>8.0f}{r['p95']:>8.0f}{r['errors']:>8}"
                    f"{r['server_cores']:>14.2f}{r['client_cores']:>16.2f}{r['load']:>9.1f}"
                    + (f"  calls per replica: {sorted(r['replicas'].values())}" if servers[label] else "")
                )
    rates = {label: total["calls"] / (args.rounds * args.seconds) for label, total in totals.items()}
    for label, rate in rates.items():
        print(f"{label}: {rate:.1f} calls/s over all rounds, {totals[label]['errors']} errors")
    print(f"two replicas / one process: {rates['deploy/serve.sh 2'] / rates['python app.py']:.2f}x calls/s (goal >= 1.5, zero errors)")


if __name__ == "__main__":
    main()
