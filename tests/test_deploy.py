"""`deploy/serve.sh 2 PORT`: two `python app.py` replicas behind nginx, as a user starts them.

Every page answers through the balancer; gradio_client sessions (which need their queue join and
their event stream on one process) all succeed and are spread over both replicas; so are browsers'
first page loads, and each browser then stays on its replica; a client that keeps cookies and whose
first request is an API call is not moved by the cookie that answer sets; file URLs name the
balancer; SIGTERM leaves no process behind; and the file cache deletes old files, both the gallery's
and a standalone page's (the replicas run with GALLERY_DELETE_CACHE set to seconds); nginx refuses one
visitor's flood and names replicas by number, never by address.
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
from harness.serving import ROOT, free_port, wait_for_http
from tests.conftest import need

pytestmark = pytest.mark.e2e

SERVE = ROOT / "deploy" / "serve.sh"
DIGIT = ROOT / "demos" / "assets" / "digit_7_white_on_black.png"
SESSIONS = 40
FIRST_CALLERS = 20  # clients whose first request is an API call (half of them failed when the cookie moved them)
BROWSERS = 20  # first page loads: all on one replica by chance once in about half a million runs
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
                self.process.wait(timeout=30)
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
    """The replica that answers a request carrying `cookies` (nginx numbers it in a header)."""
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


def first_request_is_a_call(url: str) -> str:
    """A client that keeps cookies, as most HTTP clients do, and whose first request is an API call:
    POST the call, then GET its event from the same process. Returns "7" (the label) or what went wrong."""
    call = url + "/demos/sketcher/gradio_api/call/classify_digit"
    digit = {"path": str(DIGIT), "meta": {"_type": "gradio.FileData"}}  # a file on the server's machine
    with httpx.Client(timeout=90) as client:
        try:
            posted = client.post(call, json={"data": [digit]})
            if posted.status_code != 200:
                return f"POST answered {posted.status_code}"
            if "gallery_affinity" not in client.cookies:
                return "no cookie set"
            answer = client.get(f"{call}/{posted.json()['event_id']}")
        except httpx.HTTPError as error:  # the stream cut short: the event is unknown to that replica
            return f"{type(error).__name__}: {error}"
    if answer.status_code != 200 or "event: complete" not in answer.text:
        return f"GET answered {answer.status_code}: {answer.text[:200]!r}"
    return re.search(r'"label": "(\d)"', answer.text).group(1)


def test_a_client_whose_first_request_is_an_api_call_stays_on_its_replica(served):
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(first_request_is_a_call, [served.url] * FIRST_CALLERS))
    failed = [result for result in results if result != "7"]
    assert not failed, f"{len(failed)} of {FIRST_CALLERS} first calls failed: {failed[:3]}"


def first_page_load(url: str) -> str:
    """A new browser: its first request is a page, and the requests that carry the cookie that page's
    answer set go to the replica that served the page. Returns that replica."""
    with httpx.Client(timeout=60) as client:
        page = client.get(url + "/demos/sketcher/")
        assert page.status_code == 200 and "gallery_affinity" in client.cookies
        replica = page.headers["x-gallery-replica"]
        for path in ["config", "gradio_api/info"]:
            assert client.get(f"{url}/demos/sketcher/{path}").headers["x-gallery-replica"] == replica, path
    return replica


def test_browsers_first_page_loads_are_spread_and_each_stays_on_its_replica(served):
    replicas = {first_page_load(served.url) for _ in range(BROWSERS)}
    assert len(replicas) == 2, f"{BROWSERS} browsers from one address all went to {replicas}"


def test_nginx_refuses_one_visitor_s_flood_and_names_no_replica_address(served):
    """nginx's own limits, keyed by the visitor's cookie: a flood of joins from one visitor is
    refused (429, Retry-After, a message a page shows) while another visitor from the same address
    goes on; clients see a replica's number, never its address, which nginx's log keeps."""
    flood, other = (httpx.Client(base_url=served.url + "/demos/sketcher", timeout=60) for _ in range(2))
    for client in (flood, other):
        assert client.get("/config").headers["x-gallery-replica"] in {"1", "2"}
        assert "gallery_visitor" in client.cookies  # the app's identity cookie, what nginx keys on

    def join(client: httpx.Client) -> httpx.Response:  # an empty join: the app answers 422 at once
        return client.post("/gradio_api/queue/join", json={})

    answers: list[httpx.Response] = []
    with ThreadPoolExecutor(8) as pool:
        while not any(answer.status_code == 429 for answer in answers) and len(answers) < 1000:
            answers += pool.map(join, [flood] * 40)
    refused = [answer for answer in answers if answer.status_code == 429]
    assert refused, f"{len(answers)} joins in a row, none refused"
    assert {answer.status_code for answer in answers} == {422, 429}
    assert int(refused[0].headers["retry-after"]) >= 1 and "slow down" in refused[0].json()["detail"]
    assert join(other).status_code == 422  # another visitor behind the same address is not refused
    log = served.log.read_text()
    assert re.search(r'"POST /demos/sketcher/gradio_api/queue/join" 422 replica [12] 127\.0\.0\.1:\d+', log), log[-2000:]
    for client in (flood, other):
        client.close()


def cached(root: Path, suffix: str) -> set[Path]:
    return {path for path in root.rglob(f"*.{suffix}") if path.is_file()} if root.exists() else set()


def pictures(root: Path) -> set[Path]:
    return cached(root, "png") | cached(root, "jpeg")


def test_old_cached_files_are_deleted_by_the_gallery_and_by_a_standalone_page(served):
    before, written = pictures(served.cache), set()
    for seed, path in enumerate(["/", "/demos/gan/"], start=11):  # a tab of the gallery, and the demo on its own page
        client = Client(served.url + path, verbose=False)
        client.predict(9, seed, 4, api_name="/generate_digits")  # a picture not made before
        client.close()
        written |= pictures(served.cache) - before  # after each call: on a slow machine the sweep may take one before the last call ends
    client = Client(served.url + "/demos/augment/", verbose=False)  # a gr.Gallery's pictures: Gradio does not track them
    client.predict(handle_file(str(DIGIT)), '[{"transform": "rotation", "degrees": 30}]', 7, 2, api_name="/augment_digit")
    client.close()
    written |= pictures(served.cache) - before
    assert len(written) == 4, written
    frequency, age = CACHE_SWEEP
    deadline = time.monotonic() + age + 4 * frequency + 30
    while written & pictures(served.cache) and time.monotonic() < deadline:
        time.sleep(frequency / 2)
    left = written & pictures(served.cache)
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
