"""Shared fixtures: the real MNIST files, and the whole app running in a subprocess on a free port.

Also the suite's own rules: every test carries exactly one tier marker, nothing skips in CI, and a
run that changes a tracked file fails.
"""

from __future__ import annotations

import hashlib
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
pytest_plugins = ["pytester"]  # tests/test_conftest.py runs small pytest sessions to check the rules below


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def need(condition: bool, why: str) -> None:
    """Skip on a developer's machine, fail in CI: CI must exercise everything."""
    if not condition:
        if in_ci():
            pytest.fail(f"{why} (CI=true: this is a failure, not a skip)")
        pytest.skip(why)


# ---------- the suite's rules ----------

TIERS = ("unit", "reference", "e2e", "browser")  # declared in pyproject.toml; `python -m pytest -m unit`


def tier_problems(items) -> list[str]:
    """Each test that does not carry exactly one tier marker, with the tiers it has."""
    problems = []
    for item in items:
        tiers = sorted({mark.name for mark in item.iter_markers() if mark.name in TIERS})
        if len(tiers) != 1:
            problems.append(f"{item.nodeid}: {' and '.join(tiers) or 'no tier'}")
    return problems


def pytest_collection_modifyitems(config, items):
    problems = tier_problems(items)
    if problems:
        raise pytest.UsageError(
            f"every test needs exactly one tier marker ({', '.join(TIERS)}): a module's "
            "`pytestmark = pytest.mark.<tier>` or the test's own `@pytest.mark.<tier>`\n  " + "\n  ".join(problems)
        )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """In CI a skip is a failure, however it was asked for (need(), skipif, importorskip, pytest.skip)."""
    outcome = yield
    report = outcome.get_result()
    if in_ci() and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped in CI (CI=true), which must run everything: {report.longrepr}"


def tracked_changes(root: Path) -> dict[str, str] | None:
    """Each tracked file that differs from HEAD, with a hash of its content; None outside a git checkout."""
    try:
        top = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=root, capture_output=True, text=True, check=True).stdout
        listing = subprocess.run(
            ["git", "status", "--porcelain", "-z", "--untracked-files=no"], cwd=root, capture_output=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    root = Path(top.strip())  # porcelain paths are relative to the top of the checkout
    changes, fields = {}, iter(listing.decode("utf-8", "replace").split("\0"))
    for entry in fields:
        if not entry:
            continue
        status, name = entry[:2], entry[3:]
        if "R" in status or "C" in status:
            next(fields, None)  # a rename or copy is followed by the path it came from
        path = root / name
        changes[name] = status + (hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "")
    return changes


TRACKED_BEFORE = pytest.StashKey[dict]()


def pytest_sessionstart(session):
    session.config.stash[TRACKED_BEFORE] = tracked_changes(session.config.rootpath)


def pytest_sessionfinish(session, exitstatus):
    """Tests write to tmp_path, never to the repository: a tracked file changed by the run fails it."""
    before = session.config.stash.get(TRACKED_BEFORE, None)
    if before is None or session.config.option.collectonly:
        return
    after = tracked_changes(session.config.rootpath) or {}
    changed = sorted(path for path in before.keys() | after.keys() if before.get(path) != after.get(path))
    if changed:
        session.config.get_terminal_writer().line(
            f"\nThe test run changed tracked files (tests must write only to tmp_path): {', '.join(changed)}", red=True
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


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


def stop(process: subprocess.Popen, timeout: float = 15.0) -> None:
    """SIGTERM, then SIGKILL if the server has not exited within `timeout` seconds."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


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
            pass
        time.sleep(0.2)  # the poll interval, inside the deadline
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
        stop(process)


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


def watched_page(browser, **options):
    """A page in a fresh browser context; console errors fail the test that used it."""
    context = browser.new_context(**options)
    context.add_init_script(EVENT_COUNTER_JS)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    # The web component's script is published on Gradio's CDN; serve the same file from the package.
    page.route(CDN_HOST + "**", serve_cdn_from_package)
    yield page
    context.close()
    assert not errors, f"browser console errors: {errors}"


@pytest.fixture
def page(browser):
    yield from watched_page(browser, viewport={"width": 1280, "height": 1000})


PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True, "device_scale_factor": 2}


@pytest.fixture
def phone_page(browser):
    """A page at a phone's size (390 x 844) that takes touch events; console errors fail the test as with `page`."""
    yield from watched_page(browser, **PHONE)


# axe-core (the engine behind Lighthouse's accessibility audit), from npm: package.json, `npm ci`.
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"


def axe_violations(page, context=None, rules: list[str] | None = None) -> list[dict]:
    """axe-core's violations on the page as it is now: each rule's id, impact, help, how many nodes
    break it and the first few of their CSS selectors.

    `context` is what axe.run takes (a selector such as "#filters-result", or {"include": ..., "exclude": ...});
    the whole document when None. `rules` runs only those rule ids (e.g. ["color-contrast"]).
    """
    need(AXE.exists(), f"{AXE.relative_to(ROOT)} is missing: run `npm ci` in the repository root")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    return page.evaluate(
        """async ([context, rules]) => {
            const options = {resultTypes: ["violations"]};
            if (rules) options.runOnly = {type: "rule", values: rules};
            const result = await axe.run(context || document, options);
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help, count: v.nodes.length,
                targets: v.nodes.slice(0, 5).map(node => node.target.join(" ")),
            }));
        }""",
        [context, rules],
    )


# Which of a page's events are still running, read from the page itself. Gradio's client joins each event
# (POST queue/join, answered with its event_id) and reads every result from one event stream per page
# (GET queue/data), which the server closes once nothing it knows of is pending. The stream cannot
# tell a test that the page is done: when an event's join is answered after the stream has already
# delivered that event's result and closed (a fast event on a busy machine), Gradio's client opens a
# fresh stream for it, which then waits, idle, for the page's next event. Harmless to a visitor (the
# next event uses it), but a page that keeps it open never looks finished by its open requests. So
# this script counts events: joined, and not yet seen completed on any stream.
EVENT_COUNTER_JS = """(() => {
    if (window.__gradioEvents) return;
    const joined = new Set(), completed = new Set();
    window.__gradioEvents = {joined: () => joined.size, pending: () => [...joined].filter(id => !completed.has(id)).length};
    const read = async (response) => {
        const reader = response.body.getReader(), decoder = new TextDecoder();
        let buffer = "";
        try {
            for (;;) {
                const {value, done} = await reader.read();
                if (done) return;
                buffer += decoder.decode(value, {stream: true});
                const messages = buffer.split("\\n\\n");
                buffer = messages.pop();
                for (const line of messages.join("\\n").split("\\n")) {
                    if (!line.startsWith("data:")) continue;
                    try {
                        const message = JSON.parse(line.slice(5));
                        if (message.msg === "process_completed" && message.event_id) completed.add(message.event_id);
                    } catch (error) {}
                }
            }
        } catch (error) {}  // the page closed the stream
    };
    const fetched = window.fetch;
    window.fetch = async function (...args) {
        const response = await fetched.apply(this, args);
        const url = String(args[0] instanceof Request ? args[0].url : args[0]);
        if (url.includes("/queue/join")) {
            response.clone().json().then(body => body && body.event_id && joined.add(body.event_id), () => {});
        } else if (url.includes("/queue/data") && response.body) {
            read(response.clone());
        }
        return response;
    };
})()"""

PENDING_EVENTS_JS = "() => window.__gradioEvents ? window.__gradioEvents.pending() : null"


def open_gradio(page, url: str, timeout: float = 90.0) -> None:
    """Go to a Gradio page and wait until it has rendered and it is quiet for half a second: every
    request it made has answered and every event it started has finished.

    Not Playwright's "networkidle": Gradio keeps a heartbeat stream open for as long as the page lives,
    and sometimes an idle event stream too (EVENT_COUNTER_JS, added to every page by `watched_page`).
    """

    def go() -> None:
        page.goto(url)
        page.wait_for_selector(".gradio-container", timeout=timeout * 1000)

    settle(page, go, timeout)


def settle(page, action, timeout: float = 90.0) -> None:
    """Do `action()`, then wait until `page` has been quiet for half a second (see `open_gradio`)."""
    requests: set = set()

    def on_request(request) -> None:
        if "/heartbeat/" not in request.url:
            requests.add(request)

    def on_end(request) -> None:
        requests.discard(request)

    page.on("request", on_request)
    page.on("requestfinished", on_end)
    page.on("requestfailed", on_end)
    try:
        action()
        deadline, quiet_since, waiting_on = time.monotonic() + timeout, None, []
        while time.monotonic() < deadline:
            page.wait_for_timeout(100)
            events = page.evaluate(PENDING_EVENTS_JS)
            # Where the page has no event counter, its event stream counts as a request like any other.
            waiting_on = [r.url for r in requests if events is None or "/queue/data" not in r.url]
            waiting_on += [f"{events} unfinished events"] if events else []
            quiet_since = (quiet_since or time.monotonic()) if not waiting_on else None
            if quiet_since and time.monotonic() - quiet_since > 0.5:
                return
        raise TimeoutError(f"{page.url}: still waiting after {timeout}s on {waiting_on}")
    finally:
        page.remove_listener("request", on_request)
        page.remove_listener("requestfinished", on_end)
        page.remove_listener("requestfailed", on_end)


def wait_until_streaming_ends(page, output, timeout: float = 30.0) -> None:
    """Wait until Gradio no longer marks `output` (a locator for one of an event's outputs) as
    streaming: the event has finished or was cancelled, so no further update will reach it."""
    page.wait_for_function("el => !el.querySelector('.generating')", arg=output.element_handle(), timeout=timeout * 1000)
