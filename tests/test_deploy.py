"""`deploy/serve.sh 2 PORT`: two `python app.py` replicas behind nginx, as a user starts them.

Every page answers through the balancer; gradio_client sessions (which need their queue join and
their event stream on one process) all succeed and are spread over both replicas; file URLs name the
balancer; SIGTERM leaves no process behind; and the file cache deletes old files, both the gallery's
and a standalone page's (the replicas run with GALLERY_DELETE_CACHE set to seconds).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from gradio_client import Client, handle_file

from demos import DEMOS
from tests.conftest import ROOT, free_port, need, wait_for_http

pytestmark = pytest.mark.e2e

SERVE = ROOT / "deploy" / "serve.sh"
DIGIT = ROOT / "demos" / "assets" / "digit_7_white_on_black.png"
SESSIONS = 40
CACHE_SWEEP = (2, 8)  # (frequency, age) in seconds, for the replicas under test


class Served:
    """deploy/serve.sh running in its own session (process group), with its log."""

    def __init__(self, tmp: Path, replicas: int):
        self.port, self.log = free_port(), tmp / "serve.log"
        self.cache = tmp / "gradio-cache"
        env = dict(
            os.environ,
            PYTHON=sys.executable,
            GALLERY_WARM_UP="0",
            GALLERY_DELETE_CACHE=",".join(map(str, CACHE_SWEEP)),
            GRADIO_TEMP_DIR=str(self.cache),
            GRADIO_ANALYTICS_ENABLED="False",
        )
        env.pop("GRADIO_SERVER_NAME", None)
        with open(self.log, "w") as out:
            self.process = subprocess.Popen(
                [str(SERVE), str(replicas), str(self.port)], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.url = f"http://127.0.0.1:{self.port}"

    def session_members(self) -> list[int]:
        """Every process still in serve.sh's session: the script, its replicas, nginx and its worker."""
        members = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # it ended while being read
            if int(fields[3]) == self.process.pid and fields[0] != "Z":  # field 6 of stat: the session id
                members.append(int(stat.parent.name))
        return members

    def stop(self) -> int | None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        return self.process.returncode


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    need(shutil.which("nginx") is not None or Path("/usr/sbin/nginx").exists(), "nginx is not installed (apt-get install nginx)")
    served = Served(tmp_path_factory.mktemp("deploy"), replicas=2)
    try:
        wait_for_http(served.url + "/", served.process, timeout=240)
        yield served
    except Exception:
        print(served.log.read_text()[-4000:])
        raise
    finally:
        served.stop()
        # a replica or nginx left behind would hold its port and its memory
        for pid in served.session_members():
            os.kill(pid, signal.SIGKILL)


def replica_of(url: str, cookies: dict) -> str:
    """The replica that answers a request carrying `cookies` (nginx names it in a header)."""
    return httpx.get(url, cookies=cookies, timeout=30).headers["x-gallery-replica"]


def test_the_gallery_and_every_demo_answer_through_the_balancer(served):
    for path in ["/"] + [f"/demos/{demo.slug}/" for demo in DEMOS]:
        response = httpx.get(served.url + path, timeout=60)
        assert response.status_code == 200, path
        assert "gallery_affinity=" in response.headers.get("set-cookie", ""), path


def test_file_urls_name_the_balancer_and_its_mount_path(served):
    for path in ["/demos/gan/", "/"]:
        client = Client(served.url + path, verbose=False)
        assert "gallery_affinity" in client.cookies  # gradio_client keeps the cookie of its first request
        event = httpx.post(
            f"{served.url}{path}gradio_api/call/generate_digits", json={"data": [3, 1, 8]}, cookies=client.cookies, timeout=60
        )
        with httpx.stream(
            "GET", f"{served.url}{path}gradio_api/call/generate_digits/{event.json()['event_id']}", cookies=client.cookies, timeout=60
        ) as stream:
            answer = "".join(stream.iter_text())
        url = re.search(r'"url": "([^"]+)"', answer).group(1)
        assert url.startswith(f"{served.url}{path}gradio_api/file="), url
        picture = httpx.get(url, cookies=client.cookies, timeout=30)
        assert picture.status_code == 200 and picture.content.startswith(b"\x89PNG"), url
        client.close()


def one_session(url: str) -> tuple[str, str]:
    """A new gradio_client session: upload a digit, read it; (its label, the replica it is on)."""
    client = Client(url + "/demos/sketcher/", verbose=False)
    try:
        label = client.submit(handle_file(str(DIGIT)), api_name="/classify_digit").result(timeout=90)["label"]
        return label, replica_of(url + "/demos/sketcher/", client.cookies)
    finally:
        client.close()


def test_forty_gradio_client_sessions_all_succeed_on_both_replicas(served):
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(one_session, [served.url] * SESSIONS))
    assert [label for label, _ in results] == ["7"] * SESSIONS
    replicas = {replica for _, replica in results}
    assert len(replicas) == 2, f"every session went to {replicas}"


def cached(root: Path, suffix: str) -> set[Path]:
    return {path for path in root.rglob(f"*.{suffix}") if path.is_file()} if root.exists() else set()


def test_old_cached_files_are_deleted_by_the_gallery_and_by_a_standalone_page(served):
    before = cached(served.cache, "png") | cached(served.cache, "jpeg")
    for seed, path in enumerate(["/", "/demos/gan/"], start=11):  # a tab of the gallery, and the demo on its own page
        client = Client(served.url + path, verbose=False)
        client.predict(9, seed, 4, api_name="/generate_digits")  # a picture not made before
        client.close()
    client = Client(served.url + "/demos/augment/", verbose=False)  # a gr.Gallery's pictures: Gradio does not track them
    client.predict(handle_file(str(DIGIT)), '[{"transform": "rotation", "degrees": 30}]', 7, 2, api_name="/augment_digit")
    client.close()
    written = (cached(served.cache, "png") | cached(served.cache, "jpeg")) - before
    assert len(written) == 4, written
    frequency, age = CACHE_SWEEP
    deadline = time.monotonic() + age + 4 * frequency + 30
    while written & (cached(served.cache, "png") | cached(served.cache, "jpeg")) and time.monotonic() < deadline:
        time.sleep(frequency / 2)
    left = written & (cached(served.cache, "png") | cached(served.cache, "jpeg"))
    assert not left, f"still cached after {age}s: {left}"
    assert httpx.get(served.url + "/", timeout=30).status_code == 200  # the sweep did not stop the server


def test_sigterm_stops_nginx_and_every_replica(served):
    members = served.session_members()
    assert len(members) >= 5, members  # serve.sh, two replicas, nginx's master and worker
    assert served.stop() == 128 + signal.SIGTERM
    deadline = time.monotonic() + 5
    while served.session_members() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert served.session_members() == []
    with pytest.raises(httpx.ConnectError):
        httpx.get(served.url + "/", timeout=5)
