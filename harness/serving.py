"""Servers in subprocesses, and waits that end: every wait here has a deadline and says what it
was waiting for when it runs out.

    with served_app() as app:  # `python app.py` on a free port, as a user starts it
        urllib.request.urlopen(app.url + "/demos/sketcher/")
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parent.parent
T = TypeVar("T")


def free_port() -> int:
    """A TCP port nothing listens on now (the OS picks it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(condition: Callable[[], T], timeout: float, what: str, interval: float = 0.05) -> T:
    """Call `condition()` every `interval` seconds until it returns something true, and return that.

    Raises TimeoutError naming `what` (the condition, in words) after `timeout` seconds. An
    exception from `condition` ends the wait at once: that is how a caller gives up early (a
    server that exited will never answer).
    """
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise TimeoutError(f"waited {timeout:g} s for {what}, in vain")
        time.sleep(interval)  # the poll interval, inside the deadline


def join(threads: list[threading.Thread], timeout: float, what: str) -> None:
    """Join every thread, all within `timeout` seconds; TimeoutError naming `what` if one is still running."""
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    running = sum(thread.is_alive() for thread in threads)
    if running:
        raise TimeoutError(f"waited {timeout:g} s for {what}: {running} of {len(threads)} threads still running")


def stop(process: subprocess.Popen, timeout: float = 15.0) -> None:
    """SIGTERM, then SIGKILL if it has not exited within `timeout` seconds. A process that leads
    its own session (start_new_session=True, e.g. deploy/serve.sh and its replicas) is killed with
    its whole group."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        if os.getpgid(process.pid) == process.pid:  # it leads its own group
            os.killpg(process.pid, signal.SIGKILL)
        else:
            process.kill()
        process.wait(timeout=timeout)  # SIGKILL cannot be ignored: this is only the reaping


def wait_for_http(url: str, process: subprocess.Popen, timeout: float = 90.0, interval: float = 0.2) -> None:
    """Wait until `url` answers HTTP 200, asking every `interval` seconds; fail at once if
    `process` (the server) exits first."""

    def answers() -> bool:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with code {process.returncode} before {url} answered")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status == 200
        except OSError:
            return False

    wait_until(answers, timeout, f"{url} to answer HTTP 200", interval=interval)


@dataclass(frozen=True)
class Served:
    url: str  # http://127.0.0.1:PORT, no trailing slash
    process: subprocess.Popen
    log: Path  # the server's stdout and stderr

    @property
    def pid(self) -> int:
        return self.process.pid


@contextlib.contextmanager
def served(
    command: list[str],
    *,
    cwd: Path = ROOT,
    env: dict[str, str | None] | None = None,
    timeout: float = 120.0,
    log: Path | None = None,
    new_session: bool = False,
) -> Iterator[Served]:
    """Run `command`, a server that listens on $GRADIO_SERVER_PORT (or on the port put where an
    argument says "{port}"), on a free port; yield once its `/` answers HTTP 200; stop it (SIGTERM,
    then SIGKILL) when the block ends. `new_session` starts it in a session of its own, stopped as a
    group (a server with children: deploy/serve.sh).

    `env` is added to this process's environment (a value of None removes that variable). The
    server's output goes to `log` (default: a temporary file), whose tail is printed to stderr if
    the server does not start or the block raises.
    """
    port = free_port()
    merged = dict(os.environ, GRADIO_SERVER_PORT=str(port), GRADIO_SERVER_NAME="127.0.0.1", GRADIO_ANALYTICS_ENABLED="False")
    for name, value in (env or {}).items():
        if value is None:
            merged.pop(name, None)
        else:
            merged[name] = value
    if log is None:
        with tempfile.NamedTemporaryFile(prefix="served-", suffix=".log", delete=False) as made:
            log = Path(made.name)
    with open(log, "w") as out:
        command = [argument.replace("{port}", str(port)) for argument in command]
        process = subprocess.Popen(command, cwd=cwd, env=merged, stdout=out, stderr=subprocess.STDOUT, start_new_session=new_session)
    try:
        wait_for_http(f"http://127.0.0.1:{port}/", process, timeout=timeout)
        yield Served(f"http://127.0.0.1:{port}", process, log)
    except BaseException:
        print(f"server log ({log}), its end:\n{log.read_text(errors='replace')[-4000:]}", file=sys.stderr)
        raise
    finally:
        stop(process, timeout=30 if new_session else 15)


def served_app(cwd: Path = ROOT, **options) -> contextlib.AbstractContextManager[Served]:
    """`python app.py` in `cwd` (another checkout of the project, say), as a user starts it; the
    options are `served`'s."""
    return served([sys.executable, "app.py"], cwd=cwd, **options)
