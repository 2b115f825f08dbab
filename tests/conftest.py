"""Shared fixtures: the real MNIST files, and the whole app running in a subprocess on a free port."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import gradio
import pytest

ROOT = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() == "true"


def need(condition: bool, why: str) -> None:
    """Skip on a developer's machine, fail in CI: CI must exercise everything."""
    if not condition:
        if IN_CI:
            pytest.fail(f"{why} (CI=true: this is a failure, not a skip)")
        pytest.skip(why)


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    """The data directory with MNIST/raw: $GALLERY_DATA_DIR, else ../shared/data beside the repo."""
    root = Path(os.environ.get("GALLERY_DATA_DIR") or ROOT.parent / "shared" / "data")
    need((root / "MNIST" / "raw" / "t10k-images-idx3-ubyte").exists(), f"MNIST is not in {root}")
    return root


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_http(url: str, process: subprocess.Popen, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"app exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer within {timeout}s")


@pytest.fixture(scope="session")
def app_url(tmp_path_factory):
    """`python app.py` exactly as a user starts it, on a free port; yields its base URL."""
    port = free_port()
    log = tmp_path_factory.mktemp("app") / "app.log"
    env = dict(os.environ, GRADIO_SERVER_PORT=str(port), GRADIO_SERVER_NAME="127.0.0.1", GRADIO_ANALYTICS_ENABLED="False")
    with open(log, "w") as out:
        process = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(url + "/", process)
        yield url
    except Exception:
        print(log.read_text())
        raise
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


# ---------- the browser: Debian's chromium driven by Playwright ----------

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
FRONTEND = Path(gradio.__file__).parent / "templates" / "frontend"
CDN_HOST = "https://gradio.s3-us-west-2.amazonaws.com/"
CDN = f"{CDN_HOST}{gradio.__version__}/"  # where the README's web component loads gradio.js from


def serve_cdn_from_package(route) -> None:
    """Offline stand-in for Gradio's CDN: the same files ship in the gradio package."""
    path = route.request.url[len(CDN_HOST) :].split("?")[0]
    if path.startswith(gradio.__version__ + "/"):
        path = path[len(gradio.__version__) + 1 :]
    route.fulfill(path=str(FRONTEND / path))


@pytest.fixture(scope="session")
def browser():
    need(Path(CHROMIUM).exists(), "Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    # The web component's script is published on Gradio's CDN; serve the same file from the package.
    page.route(CDN_HOST + "**", serve_cdn_from_package)
    yield page
    context.close()
    assert not errors, f"browser console errors: {errors}"


def open_gradio(page, url: str, timeout: float = 90.0) -> None:
    """Go to a Gradio page and wait until it has rendered and every request it made has answered.

    Not Playwright's "networkidle": Gradio keeps a heartbeat stream open for as long as the page lives.
    """
    pending: set = set()
    page.on("request", lambda r: pending.add(r) if "/heartbeat/" not in r.url else None)
    page.on("requestfinished", lambda r: pending.discard(r))
    page.on("requestfailed", lambda r: pending.discard(r))
    page.goto(url)
    page.wait_for_selector(".gradio-container", timeout=timeout * 1000)
    deadline, quiet_since = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        page.wait_for_timeout(100)
        quiet_since = (quiet_since or time.monotonic()) if not pending else None
        if quiet_since and time.monotonic() - quiet_since > 0.5:
            return
    raise TimeoutError(f"{url}: requests still pending after {timeout}s: {[r.url for r in pending]}")
