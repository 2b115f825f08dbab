"""Each visitor's share (demos/visitors/): the file cache bounded by size, the upload budget,
events in flight, and how a visitor is known.

The served tests run a small Gradio page behind the same middleware as app.py, in this process,
with small limits, so that each limit is reached in a few requests.
"""

from __future__ import annotations

import contextlib
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import fastapi
import gradio as gr
import httpx
import pytest
import uvicorn
from gradio_client import Client

from demos import png
from demos.visitors import COOKIE, FileCache, Identities, Shares, VisitorShares, client_address, shares_from_environment, trusted_networks
from harness.browser import open_gradio
from harness.serving import free_port, wait_until

MB = 2**20


# ---------- the file cache, bounded by size ----------


def write_in_turn(folder: Path, names: list[str], size: int) -> list[Path]:
    """Files written one after another, each with a later ctime than the one before."""
    paths: list[Path] = []
    for name in names:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)

        def written_later(path=path) -> bool:  # a coarse filesystem clock can give two quick writes one ctime
            path.write_bytes(os.urandom(size))
            return not paths or path.stat().st_ctime > paths[-1].stat().st_ctime

        wait_until(written_later, 5, f"{path}'s ctime to pass the one before")
        paths.append(path)
    return paths


@pytest.mark.unit
def test_the_size_cap_deletes_the_oldest_files_first_and_keeps_the_pages_own(tmp_path, monkeypatch):
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path))
    own = write_in_turn(tmp_path, ["example/photo.jpg"], 100_000)  # oldest of all, but a page's own
    uploads = write_in_turn(tmp_path, [f"upload{i}/photo.png" for i in range(6)] + ["png/ab/picture.png"], 100_000)
    left = png.trim_to(450_000, keep=frozenset(map(str, own)))
    assert [path.exists() for path in uploads] == [False] * 3 + [True] * 4
    assert own[0].exists()
    assert left == 400_000  # trimmed to nine tenths of the cap, the kept file not counted
    assert png.trim_to(450_000, keep=frozenset(map(str, own))) == 400_000  # under the cap now: nothing deleted
    assert sum(path.exists() for path in uploads) == 4


# ---------- how a visitor is known ----------


@pytest.mark.unit
def test_a_visitor_id_is_one_the_server_signed():
    identities = Identities(b"secret")
    cookie = identities.new()
    visitor = identities.verified(cookie)
    assert visitor and cookie.startswith(visitor)
    assert identities.verified(visitor + "." + "0" * 32) is None  # a made-up signature
    assert identities.verified(cookie.upper()) is None
    assert Identities(b"another secret").verified(cookie) is None
    assert identities.verified(None) is None and identities.verified("") is None


@pytest.mark.unit
def test_x_forwarded_for_counts_only_from_a_trusted_proxy():
    trusted = ("127.0.0.1",)
    forwarded = [(b"x-forwarded-for", b"6.6.6.6, 203.0.113.9")]
    assert client_address({"client": ("127.0.0.1", 5000), "headers": forwarded}, trusted) == "203.0.113.9"
    assert client_address({"client": ("198.51.100.7", 5000), "headers": forwarded}, trusted) == "198.51.100.7"
    assert client_address({"client": ("127.0.0.1", 5000), "headers": []}, trusted) == "127.0.0.1"
    # A platform's proxies (a Space's) are a network: GALLERY_TRUSTED_PROXIES=10.0.0.0/8
    platform = trusted_networks("127.0.0.1, 10.0.0.0/8")
    assert client_address({"client": ("10.4.5.6", 5000), "headers": forwarded}, platform) == "203.0.113.9"
    assert client_address({"client": ("11.4.5.6", 5000), "headers": forwarded}, platform) == "11.4.5.6"


@pytest.mark.unit
def test_trusted_proxies_are_read_from_the_environment_and_checked(monkeypatch):
    monkeypatch.setenv("GALLERY_TRUSTED_PROXIES", "127.0.0.1,10.0.0.0/8")
    assert shares_from_environment().trusted_proxies == ("127.0.0.1", "10.0.0.0/8")
    monkeypatch.setenv("GALLERY_TRUSTED_PROXIES", "10.0.0.0/8,localhost")
    with pytest.raises(ValueError, match="'localhost' is not an address or a network"):
        shares_from_environment()


# ---------- served: a small page behind the middleware ----------


class Page:
    """A small Gradio page (an instant reading, a call that waits for a gate) behind VisitorShares."""

    def __init__(self, shares: Shares, cache: FileCache | None = None):
        self.gate = threading.Event()
        with gr.Blocks() as blocks:
            gr.api(self.read, api_name="read")
            gr.api(self.wait_for_gate, api_name="wait", concurrency_limit=None)
            ink, slow, quick = gr.Textbox("ink", label="Ink"), gr.Button("Slow"), gr.Button("Quick")
            answer = gr.Textbox(label="Answer")
            gr.File(label="Photo")  # uploads through /gradio_api/upload as it is given a file
            slow.click(self.wait_for_gate, ink, answer, concurrency_limit=None, api_visibility="private")
            quick.click(self.read, ink, answer, api_visibility="private")
        app = gr.mount_gradio_app(fastapi.FastAPI(), blocks.queue(default_concurrency_limit=None), path="/")
        app.add_middleware(VisitorShares, shares=shares, cache=cache)
        self.middleware_app = app
        self.url = f"http://127.0.0.1:{free_port()}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=int(self.url.rsplit(":", 1)[1]), log_level="warning"))

    @staticmethod
    def read(ink: str) -> str:
        return ink[::-1]

    def wait_for_gate(self, x: str) -> str:
        self.gate.wait(timeout=60)
        return x

    def visitor(self) -> httpx.Client:
        """A client that keeps cookies and opened the page first, as a browser or gradio_client does."""
        client = httpx.Client(base_url=self.url, timeout=60)
        assert client.get("/config").status_code == 200
        return client


@contextlib.contextmanager
def serving(shares: Shares, cache: FileCache | None = None):
    page = Page(shares, cache)
    thread = threading.Thread(target=page.server.run, daemon=True)
    thread.start()
    try:
        wait_until(lambda: page.server.started, 30, "the small page's server to start")
        yield page
    finally:
        page.gate.set()
        page.server.should_exit = True
        thread.join(timeout=30)


def call(client: httpx.Client, api_name: str, value: str) -> httpx.Response:
    """POST .../call/<api_name>; then, if it was accepted, read its result from the event stream."""
    joined = client.post(f"/gradio_api/call/{api_name}", json={"data": [value]})
    if joined.status_code != 200:
        return joined
    with client.stream("GET", f"/gradio_api/call/{api_name}/{joined.json()['event_id']}") as stream:
        stream.read()
        return stream


def upload(client: httpx.Client, size: int) -> httpx.Response:
    return client.post("/gradio_api/upload", files={"files": ("photo.png", os.urandom(size))})


SMALL = Shares(upload_mb_per_minute=20, address_upload_mb_per_minute=200, events_in_flight=2, events_waiting=4, wait_seconds=15)


@pytest.mark.e2e
def test_the_upload_budget_refuses_past_it_and_leaves_the_files_of_others(tmp_path, monkeypatch):
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path))
    with serving(SMALL) as page:
        flood, other = page.visitor(), page.visitor()
        answers = [upload(flood, 9 * MB) for _ in range(4)]
        assert [answer.status_code for answer in answers] == [200, 200, 429, 429]
        assert int(answers[-1].headers["retry-after"]) >= 1
        assert "wait" in answers[-1].text and "uploading again" in answers[-1].text  # what the page shows after "HTTP 429:"
        theirs = upload(other, 1 * MB)
        assert theirs.status_code == 200
        assert Path(theirs.json()[0]).exists() and all(Path(answer.json()[0]).exists() for answer in answers[:2])


@pytest.mark.e2e
def test_uploads_past_the_cache_s_size_trim_it_at_once_oldest_first(tmp_path, monkeypatch):
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path))
    with serving(SMALL, cache=FileCache(10 * MB)) as page:
        first, second = (upload(page.visitor(), 6 * MB).json()[0] for _ in range(2))
        wait_until(lambda: not Path(first).exists(), 30, "the older upload to be deleted")
        assert Path(second).exists()


@pytest.mark.e2e
def test_a_join_past_its_kind_s_limit_gets_429_with_retry_after(tmp_path, monkeypatch):
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path))
    with serving(Shares(events_in_flight=1, events_waiting=0)) as page:
        client = page.visitor()
        first = client.post("/gradio_api/call/wait", json={"data": ["a"]})
        second = client.post("/gradio_api/call/wait", json={"data": ["b"]})
        assert first.status_code == 200
        assert second.status_code == 429, second.text
        assert int(second.headers["retry-after"]) >= 1
        assert "Too many requests at once" in second.json()["detail"]  # what a page shows in its error toast
        assert call(page.visitor(), "read", "ab").status_code == 200  # another visitor is not held up
        assert call(client, "read", "ab").status_code == 200  # nor another kind of event (a page load starts many)
        page.gate.set()
        with client.stream("GET", f"/gradio_api/call/wait/{first.json()['event_id']}") as stream:
            assert "event: complete" in stream.read().decode()
        assert call(client, "read", "ab").status_code == 200  # its event finished: its place is free again


@pytest.mark.e2e
def test_a_visitor_whose_page_closed_mid_event_is_not_locked_out(tmp_path, monkeypatch):
    """A closed or reloaded tab: its event stream (queue/data, as a page reads it) ends before its
    event does (Gradio then drops the session's events), and the event's place is free again at
    once, not after `event_expiry`."""
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path))
    with serving(Shares(visitor_events=1, events_waiting=0)) as page:
        client = page.visitor()
        config = client.get("/config").json()
        wait = next(i for i, event in enumerate(config["dependencies"]) if event.get("api_name") == "wait")
        joined = client.post("/gradio_api/queue/join", json={"data": ["a"], "fn_index": wait, "session_hash": "tab"})
        assert joined.status_code == 200
        with client.stream("GET", "/gradio_api/queue/data", params={"session_hash": "tab"}) as stream:
            lines = stream.iter_lines()  # kept: a dropped iterator closes the stream
            next(line for line in lines if "process_starts" in line)  # it runs until the gate opens
            assert call(client, "read", "ab").status_code == 429  # its place is taken meanwhile
        assert wait_until(lambda: call(client, "read", "ab").status_code == 200, 30, "a place for the next call")


@pytest.mark.e2e
def test_a_drawing_learner_s_readings_all_pass_one_after_another(tmp_path, monkeypatch):
    """The sketcher's live readings: one event at a time (trigger_mode="always_last"), ~15 a second,
    through queue/join and the queue/data stream, as the page sends them (gradio_client does the same)."""
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path))
    with serving(SMALL) as page:
        learner = Client(page.url + "/", verbose=False)
        assert COOKIE in learner.cookies
        # Had a finished reading kept its place, the third would wait its 15 s and be refused (predict raises).
        readings = [learner.predict(f"ink{i}", api_name="/read") for i in range(40)]
        learner.close()
    assert readings == [f"ink{i}"[::-1] for i in range(40)]


@pytest.mark.e2e
def test_thirty_visitors_behind_one_address_are_all_served(tmp_path, monkeypatch):
    """A class behind one school address: each visitor uploads 4 MB (120 MB from the address, more
    than six times one visitor's 20 MB budget) and reads twice at once."""
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path))

    def one_visitor(page: Page) -> list[int]:
        client = page.visitor()
        with ThreadPoolExecutor(2) as both:
            readings = list(both.map(lambda ink: call(client, "read", ink).status_code, ["ab", "cd"]))
        return [upload(client, 4 * MB).status_code, *readings]

    with serving(SMALL) as page, ThreadPoolExecutor(30) as pool:
        answers = list(pool.map(one_visitor, [page] * 30))
    assert answers == [[200, 200, 200]] * 30


@pytest.mark.browser
def test_a_page_over_a_limit_says_so_in_words(browser, tmp_path, monkeypatch):
    """What a visitor sees when refused: Gradio's error toast with the message, not a broken page."""
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path))
    photo = tmp_path / "photo.bin"
    photo.write_bytes(os.urandom(2 * MB))
    errors: list[str] = []
    with serving(Shares(visitor_events=1, events_waiting=0, upload_mb_per_minute=1)) as served:
        context = browser.new_context()
        page = context.new_page()
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        open_gradio(page, served.url + "/")
        toasts = page.get_by_test_id("toast-body")
        page.get_by_role("button", name="Slow").click()  # its event waits for the gate: one in flight
        page.get_by_role("button", name="Quick").click()
        toasts.filter(has_text="Too many requests at once: wait for your earlier ones to finish").wait_for(timeout=30_000)
        served.gate.set()
        page.locator("input[type=file]").set_input_files(str(photo))
        toasts.filter(has_text="HTTP 429: You have uploaded a lot in the last minute: wait").wait_for(timeout=30_000)
        assert page.get_by_role("button", name="Quick").is_enabled()  # the page goes on
        context.close()
    assert errors and all("status of 429" in error for error in errors), errors  # the refusals, and nothing else
