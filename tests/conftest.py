"""Shared fixtures: the real MNIST files, and the whole app running in a subprocess on a free port.

Also the suite's own rules: every test carries exactly one tier marker, nothing skips in CI, and a
run that changes a tracked file fails.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from harness.browser import CDN_HOST, CHROMIUM, EVENT_COUNTER_JS, FLAGS, PHONE, serve_cdn_from_package
from harness.databases import postgres_schema
from harness.serving import served_app

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


@pytest.fixture(scope="session")
def app_url(tmp_path_factory):
    """`python app.py` exactly as a user starts it, on a free port; yields its base URL."""
    folder = tmp_path_factory.mktemp("app")  # its class store too: tests never write the checkout's .gallery/
    with served_app(log=folder / "app.log", env={"GALLERY_CLASS_DB": str(folder / "classes.db")}) as app:
        yield app.url


# ---------- the class store's two databases ----------


@pytest.fixture(params=["sqlite", "postgres"])
def class_database(request, tmp_path):
    """A class store's address, once on each database: a fresh SQLite file, or a fresh schema in
    GALLERY_TEST_POSTGRES's database (skipped where that is unset, and failing in CI: .ci/run starts
    PostgreSQL)."""
    if request.param == "sqlite":
        yield str(tmp_path / "class.db")
        return
    dsn = os.environ.get("GALLERY_TEST_POSTGRES", "")
    need(bool(dsn), "GALLERY_TEST_POSTGRES is unset: CI must start PostgreSQL: see .ci/run")
    with postgres_schema(dsn, "class_test") as url:
        yield url


# ---------- the browser: Debian's chromium driven by Playwright ----------


@pytest.fixture(scope="session")
def browser():
    need(Path(CHROMIUM).exists(), "Debian's chromium is not installed (apt-get install chromium)")
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
