"""Browser tests: Playwright for Python driving Debian's chromium (never `playwright install`).

They walk the gallery's tabs, open each demo alone, embed one in an <iframe> and in the
<gradio-app> web component, draw a digit with the mouse, and fail on any console error. The README's
screenshots are made by scripts/screenshots.py, not here: tests never write tracked files.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from demos import DEMOS
from harness.browser import CDN, SEVEN, draw, open_gradio, settle

pytestmark = pytest.mark.browser


def test_gallery_walks_every_tab_and_keeps_the_url(page, app_url):
    open_gradio(page, app_url + "/")
    for demo in DEMOS:
        page.get_by_role("tab", name=demo.title).click()
        page.wait_for_function(f"window.location.search.includes('tab={demo.slug}')", timeout=10_000)
        expect(page.get_by_role("tab", name=demo.title)).to_have_attribute("aria-selected", "true")


@pytest.mark.parametrize("demo", DEMOS[::-1][:1], ids=lambda d: d.slug)
def test_tab_opens_from_the_url(page, app_url, demo):
    open_gradio(page, f"{app_url}/?tab={demo.slug}")
    expect(page.get_by_role("tab", name=demo.title)).to_have_attribute("aria-selected", "true", timeout=20_000)


@pytest.mark.parametrize("demo", DEMOS, ids=lambda d: d.slug)
def test_each_demo_opens_alone(page, app_url, demo):
    open_gradio(page, f"{app_url}/demos/{demo.slug}/")
    assert page.locator(".gradio-container").count() == 1


def test_a_demo_embeds_in_an_iframe_and_a_web_component(page, app_url):
    slug = DEMOS[0].slug
    html = (
        f'<script type="module" src="{CDN}gradio.js"></script>'
        f'<iframe id="frame" src="{app_url}/demos/{slug}/" width="900" height="700"></iframe>'
        f'<gradio-app src="{app_url}/demos/{slug}/"></gradio-app>'
    )
    # A blog post on the same origin: the page is served by the test, the demo by the app.
    page.route(app_url + "/blog-post.html", lambda route: route.fulfill(body=html, content_type="text/html"))
    page.goto(app_url + "/blog-post.html")
    frame = page.frame_locator("#frame")
    frame.locator(".gradio-container").wait_for(timeout=30_000)
    page.locator("gradio-app .gradio-container").wait_for(timeout=30_000)


def test_drawing_a_digit_gets_it_read(page, app_url):
    open_gradio(page, f"{app_url}/?tab=sketcher")
    canvas = page.locator("#sketcher-canvas canvas").last
    draw(page, canvas, SEVEN)
    expect(page.locator("#verdict")).to_contain_text(re.compile(r"reads? an? 7\b"), timeout=20_000)


def test_a_page_settles_with_an_idle_event_stream_open_but_not_before_its_events_finish(page, app_url):
    """When an event's join is answered after the event stream has delivered its result and closed,
    Gradio's client opens a new stream, which stays open, idle, until the page's next event (CI saw
    page loads "never finish" on one; harness/browser.py, EVENT_COUNTER_JS). Made to happen here:
    one event's join answer is held back while a second event runs. `settle` returns anyway, with
    both events' results on the page."""
    streams, closed, held, hold_next = [], set(), [], []
    page.on("request", lambda r: streams.append(r) if "/queue/data" in r.url else None)
    page.on("requestfinished", lambda r: closed.add(r))
    page.on("requestfailed", lambda r: closed.add(r))  # how Chromium reports a stream the page closed

    def hold(route) -> None:
        if hold_next:  # the event joins (and runs) now; the page hears of it later
            hold_next.clear()
            held.append((route, route.fetch()))
        else:
            route.fallback()

    page.route("**/queue/join*", hold)
    open_gradio(page, f"{app_url}/demos/filters/")
    page.get_by_text("Convolution sandbox").click()
    worked = page.locator("#filters-worked")
    before = worked.inner_text()

    def two_events() -> None:
        hold_next.append(True)
        page.locator("#filters-transposed input").check()  # its join's answer is held back
        page.locator("#filters-try-deeper").click()  # runs, and its event stream closes
        page.wait_for_timeout(2000)
        route, answer = held.pop()
        route.fulfill(response=answer)

    settle(page, two_events, timeout=30)
    assert "transposed" in worked.inner_text().lower() and worked.inner_text() != before  # the held-back event's result
    assert streams[-1] not in closed, "no idle event stream was left open: the race did not happen"

    # What settle waited on instead: the page's events, every one joined seen completed.
    assert page.evaluate("window.__gradioEvents.pending()") == 0
    assert page.evaluate("window.__gradioEvents.joined()") >= 5  # the page's opening events, and these two

    # Harmless to a visitor: the page's next event still gets its answer. (Through that stream, which then
    # closes, or through a new one: which, Gradio's client decides by timing; a fresh-clone run saw both.)
    settle(page, page.locator("#filters-transposed input").uncheck, timeout=30)
    assert "transposed" not in worked.inner_text().lower()
    assert page.evaluate("window.__gradioEvents.pending()") == 0
