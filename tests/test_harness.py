"""harness/: the waits end, with a message that says what was awaited, and servers stop."""

from __future__ import annotations

import itertools
import subprocess
import sys
import time
import urllib.request

import pytest

from harness.serving import free_port, served, stop, wait_for_http, wait_until

pytestmark = pytest.mark.unit

# A server as `served` expects one: it listens on $GRADIO_SERVER_PORT.
HTTP_SERVER = (
    "import os, http.server as h; "
    "h.HTTPServer(('127.0.0.1', int(os.environ['GRADIO_SERVER_PORT'])), h.SimpleHTTPRequestHandler).serve_forever()"
)
# Ignores SIGTERM, and says so by making the file named in its argument.
DEAF = (
    "import pathlib, signal, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); pathlib.Path(sys.argv[1]).touch(); time.sleep(120)"
)


def test_wait_until_returns_the_first_true_value():
    count = itertools.count()
    assert wait_until(lambda: next(count) >= 3 and "ready", timeout=5, what="the count") == "ready"


def test_wait_until_gives_up_at_its_deadline_naming_what_it_waited_for():
    began = time.monotonic()
    with pytest.raises(TimeoutError, match="the moon to turn blue"):
        wait_until(lambda: False, timeout=0.5, what="the moon to turn blue")
    assert 0.5 <= time.monotonic() - began < 5


def test_wait_for_http_fails_at_once_when_the_server_exits_and_at_its_deadline_when_it_never_answers():
    exited = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    with pytest.raises(RuntimeError, match="exited with code 3"):
        wait_for_http(f"http://127.0.0.1:{free_port()}/", exited, timeout=60)
    silent = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        began = time.monotonic()
        with pytest.raises(TimeoutError, match="to answer HTTP 200"):
            wait_for_http(f"http://127.0.0.1:{free_port()}/", silent, timeout=1)
        assert time.monotonic() - began < 10
    finally:
        stop(silent)


def test_stop_kills_a_process_that_ignores_sigterm(tmp_path):
    deaf = subprocess.Popen([sys.executable, "-c", DEAF, str(tmp_path / "deaf")])
    wait_until((tmp_path / "deaf").exists, timeout=30, what="the process to ignore SIGTERM")
    stop(deaf, timeout=1)
    assert deaf.returncode == -9


def test_served_answers_inside_the_block_and_is_stopped_after_it(tmp_path):
    (tmp_path / "index.html").write_text("hello")
    with served([sys.executable, "-c", HTTP_SERVER], cwd=tmp_path, timeout=30) as server:
        with urllib.request.urlopen(server.url + "/", timeout=10) as response:
            assert response.read() == b"hello"
    assert server.process.poll() is not None


def test_served_says_why_a_server_did_not_start(tmp_path, capsys):
    with pytest.raises(RuntimeError, match="exited with code 1"):
        with served([sys.executable, "-c", "raise SystemExit('no port for me')"], cwd=tmp_path, timeout=30):
            pass
    assert "no port for me" in capsys.readouterr().err  # the server's log, printed
