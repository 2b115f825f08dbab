"""The teacher's page, /class (demos/classroom/page.py and demos/assets/classroom/teacher.*), in chromium.

The app runs once for the module on a class store of its own, a SQLite file the tests also open with
`core.classroom.store.open_store` to add drawings (students' drawings reach a class only through the
sketcher page). Students join and answer through the class API with `requests`; the teacher uses the
page. Waits are Playwright's (expect, wait_for_function), each with a deadline; the polling's own
timing is checked on Playwright's fake clock, so nothing here depends on how fast this machine is.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest
import requests
from playwright.sync_api import expect

from core.classroom.store import open_store
from demos.classroom import paths, questions
from harness.serving import served_app
from tests.conftest import axe_violations

pytestmark = pytest.mark.browser

WAIT_MS = 15_000  # the board polls every 1.5 s; a loaded machine may answer slowly
NOT_TEACHER = "not a teacher's link of a live class"
MARKUP = "<svg onload=alert(1)>"  # a nickname is at most 24 characters: this one would run a script if parsed as HTML
LONG_NAME = "W" * 24  # the widest nickname, with nowhere to break
START = 1_800_000_000_000  # ms since the epoch: where the page's fake clock starts (Playwright's page.clock)

# Counts the page's board requests in the page itself: sent, finished, and the most ever in flight at once.
COUNT_BOARD_REQUESTS = """(() => {
    const real = window.fetch, board = window.__board = {sent: 0, done: 0, busy: 0, most: 0};
    window.fetch = function (url) {
        if (!String(url).includes('/class/api/board')) return real.apply(this, arguments);
        board.sent++; board.busy++; board.most = Math.max(board.most, board.busy);
        return real.apply(this, arguments).finally(() => { board.busy--; board.done++; });
    };
})()"""


@pytest.fixture(scope="module")
def class_app(tmp_path_factory):
    """The app on its own class store -> (its URL, the store's file)."""
    folder = tmp_path_factory.mktemp("class-page")
    database = folder / "classes.db"
    with served_app(log=folder / "app.log", env={"GALLERY_CLASS_DB": str(database), "GALLERY_WARM_UP": "0"}) as app:
        yield app.url, database


@pytest.fixture(scope="module")
def store(class_app):
    return open_store(str(class_app[1]), questions=questions())


def student(number: int) -> str:
    return f"student-{number:016d}"


def post(url: str, path: str, body: dict, key: str | None = None) -> requests.Response:
    headers = {"X-Teacher-Secret": key} if key else {}
    return requests.post(f"{url}/class/api/{path}", json=body, headers=headers, timeout=30)


def join_and_answer(url: str, code: str, number: int, answer: str, nickname: str | None = None) -> None:
    joined = post(url, "join", {"code": code, "student": student(number), "nickname": nickname})
    assert joined.status_code == 200, joined.text
    answered = post(url, "answer", {"code": code, "student": student(number), "question": "sketcher-2", "answer": answer})
    assert answered.status_code == 200, answered.text


def seven() -> np.ndarray:
    """A 7 as the sketcher keeps it: 28x28 bytes, white ink on black."""
    image = np.zeros((28, 28), np.uint8)
    image[6:9, 6:22] = 255
    for row in range(9, 23):
        image[row, 21 - (row - 9) // 2 : 23 - (row - 9) // 2] = 255
    return image


def fragment(page) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(page.url).fragment).items()}


def board_shows(page, joined: int) -> None:
    expect(page.locator("#class-board")).to_be_visible(timeout=WAIT_MS)
    expect(page.locator("#class-joined")).to_have_attribute("data-count", str(joined), timeout=WAIT_MS)


@pytest.fixture(scope="module")
def busy_class(class_app, store):
    """A class started through the API, with three students' answers (one nickname is markup, one the
    widest there is) and drawings in two cells -> (its code, its teacher's secret)."""
    url, _ = class_app
    new = post(url, "classes", {"settings": {"tab": "sketcher", "step": 2}})
    assert new.status_code == 201, new.text
    code, key = new.json()["code"], new.json()["secret"]
    for number, (answer, nickname) in enumerate([("mlp", MARKUP), ("mlp", LONG_NAME), ("cnn", None)]):
        join_and_answer(url, code, number, answer, nickname)
    for meant, read in [(7, 1), (7, 1), (7, 7)]:
        store.drawing(code, student(0), meant, read, seven())
    return code, key


@contextmanager
def page_allowing(browser, *expected: str):
    """A page like conftest's `page`, whose console may show only the `expected` errors: Chromium logs a
    refused (403) or failed request as one, and these tests make such requests on purpose."""
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        yield page
    finally:
        context.close()
    unexpected = [error for error in errors if not any(allowed in error for allowed in expected)]
    assert not unexpected, f"browser console errors: {unexpected}"


def open_board(page, url: str, code: str, key: str, joined: int = 3) -> None:
    page.goto(f"{url}/class#code={code}&key={key}")
    board_shows(page, joined)


def test_a_class_whole_life_on_the_teachers_page(page, class_app, store):
    url, _ = class_app
    sent = []
    page.on("request", lambda request: sent.append(request))
    page.goto(url + "/class")
    expect(page.get_by_role("link", name=re.compile("Back to the gallery"))).to_have_attribute("href", "./")
    page.get_by_label("Page").select_option("sketcher")
    page.get_by_label("Step of its guided path").select_option("2")
    page.get_by_role("button", name="Start the class").click()
    board_shows(page, 0)
    code, key = fragment(page)["code"], fragment(page)["key"]
    expect(page.locator("#class-code")).to_have_text(f"{code[:4]}-{code[4:]}")
    students = f"{url}/demos/sketcher/?step=2&class={code}"
    expect(page.locator("#class-student-link")).to_have_text(students)
    qr = page.locator("#class-qr")
    assert parse_qs(urlsplit(qr.get_attribute("src")).query)["text"] == [students]
    page.wait_for_function("document.getElementById('class-qr').naturalWidth > 0", timeout=WAIT_MS)  # the SVG loaded
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=url)
    page.locator("#class-copy-student").click()
    expect(page.locator("#class-copy-student")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == students

    for number, answer in enumerate(["mlp", "mlp", "cnn"]):
        join_and_answer(url, code, number, answer)
    board_shows(page, 3)
    question = page.locator('[data-question="sketcher-2"]')
    expect(question.locator('[data-answer="mlp"]')).to_have_attribute("data-count", "2", timeout=WAIT_MS)
    expect(question.locator('[data-answer="cnn"]')).to_have_attribute("data-count", "1")
    expect(question.locator('[data-answer="both"]')).to_have_attribute("data-count", "0")
    widths = [
        float(question.locator(f'[data-answer="{a}"] .bar > span').evaluate("bar => parseFloat(bar.style.width)")) for a in ("mlp", "cnn")
    ]
    assert widths == pytest.approx([200 / 3, 100 / 3], rel=1e-3)  # each bar is its answer's share
    expect(question).to_contain_text("3 answers")

    revealed = post(url, "revealed", {"code": code, "student": student(2)})
    assert revealed.json() == {"revealed": []}
    question.get_by_role("button", name="Reveal to the class").click()
    expect(question).to_have_attribute("data-revealed", "true", timeout=WAIT_MS)
    expect(question.locator("button.reveal")).to_be_disabled()
    expect(question.locator("button.reveal")).to_have_text("Revealed to the class")
    assert post(url, "revealed", {"code": code, "student": student(2)}).json() == {"revealed": ["sketcher-2"]}

    for _ in range(2):
        store.drawing(code, student(0), 7, 1, seven())
    cell = page.locator('#class-confusion button[data-meant="7"][data-read="1"]')
    expect(cell).to_have_attribute("data-count", "2", timeout=WAIT_MS)
    expect(page.locator('#class-confusion button[data-meant="7"][data-read="7"]')).to_have_attribute("aria-label", re.compile(r"\(right\)"))
    cell.click()
    pictures = page.locator("#class-drawings img")
    expect(pictures).to_have_count(2, timeout=WAIT_MS)
    expect(pictures.first).to_have_attribute("alt", "a 7 read as 1")
    sizes = pictures.first.evaluate("img => [img.naturalWidth, img.getBoundingClientRect().width, getComputedStyle(img).imageRendering]")
    assert sizes == [28, 84, "pixelated"]

    page.get_by_role("button", name="End the class now").click()
    dialog = page.locator("#class-end-confirm")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="End the class").click()
    expect(page.locator("#class-start")).to_be_visible(timeout=WAIT_MS)
    expect(page.locator("#class-board")).to_be_hidden()
    assert "key=" not in page.url  # the ended class's link is gone from the address
    assert requests.get(f"{url}/class/api/board", params={"code": code}, headers={"X-Teacher-Secret": key}, timeout=30).status_code == 403

    # The secret went only in the X-Teacher-Secret header, never in an address.
    calls = [request for request in sent if "/class/api/" in request.url]
    assert calls and not [request.url for request in calls if key in request.url]
    boards = [request for request in calls if "/class/api/board" in request.url]
    assert boards and all(request.headers.get("x-teacher-secret") == key for request in boards)


def test_a_nickname_with_markup_shows_as_text(page, class_app, busy_class):
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    open_board(page, class_app[0], *busy_class)
    names = page.locator("#class-nicknames li")
    expect(names).to_have_text([MARKUP, LONG_NAME])
    assert page.locator("#class-nicknames svg, #class-nicknames li *").count() == 0
    assert dialogs == []


def test_a_wrong_key_shows_why_and_no_board_and_stops_asking(browser, class_app, busy_class):
    with page_allowing(browser, "status of 403") as page:
        wrong_key_shows_why(page, class_app[0], busy_class[0])


def wrong_key_shows_why(page, url: str, code: str) -> None:
    page.add_init_script(COUNT_BOARD_REQUESTS)
    page.clock.install(time=START)
    page.clock.pause_at(START + 1_000)
    page.goto(f"{url}/class#code={code}&key=not-the-secret")
    expect(page.locator("#class-status")).to_contain_text(NOT_TEACHER, timeout=WAIT_MS)
    expect(page.locator("#class-board")).to_be_hidden()
    expect(page.locator("#class-start")).to_be_visible()
    page.clock.run_for(60_000)  # a minute of the page's (fake) time: a page that kept polling would ask 40 times
    assert page.evaluate("window.__board") == {"sent": 1, "done": 1, "busy": 0, "most": 1}


def test_the_form_is_prefilled_from_the_address_and_starts_that_class(page, class_app):
    url, _ = class_app
    page.goto(url + "/class?tab=sketcher&step=3&hide=sketcher-mlp")
    expect(page.get_by_label("Page")).to_have_value("sketcher")
    expect(page.get_by_label("Step of its guided path")).to_have_value("3")
    steps = page.get_by_label("Step of its guided path").locator("option")
    expect(steps).to_have_count(1 + len(paths()["sketcher"].steps))
    expect(steps.nth(3)).to_have_text(f"3. {paths()['sketcher'].steps[2].title}")
    expect(page.get_by_label("Hidden controls")).to_have_value("sketcher-mlp")
    expect(page.get_by_label("Hours the class lasts")).to_have_value("24")

    page.get_by_label("Hours the class lasts").fill("169")
    page.get_by_role("button", name="Start the class").click()
    expect(page.locator("#class-status")).to_have_text(re.compile("1 to 168 hours"))
    expect(page.locator("#class-board")).to_be_hidden()

    page.get_by_label("Hours the class lasts").fill("2")
    page.get_by_role("button", name="Start the class").click()
    board_shows(page, 0)
    code = fragment(page)["code"]
    expect(page.locator("#class-student-link")).to_have_text(f"{url}/demos/sketcher/?step=3&hide=sketcher-mlp&class={code}")
    expect(page.locator("#class-ends")).to_contain_text("(in 2 h 0 min)")


def test_the_board_polls_one_request_at_a_time_and_slower_when_hidden(page, class_app, busy_class):
    page.add_init_script(COUNT_BOARD_REQUESTS)
    held = []
    page.route("**/class/api/board*", lambda route: held.append(route))  # each answer waits until the test lets it through
    page.clock.install(time=START)
    page.clock.pause_at(START + 1_000)  # the page's timers fire only when the test moves its clock
    page.goto(f"{class_app[0]}/class#code={busy_class[0]}&key={busy_class[1]}")

    def board(expected: dict) -> None:
        assert {name: page.evaluate("window.__board")[name] for name in expected} == expected

    def answer_it(done: int) -> None:
        held.pop().continue_()
        page.wait_for_function(f"window.__board.done === {done}", timeout=WAIT_MS)

    page.wait_for_function("window.__board.sent === 1", timeout=WAIT_MS)
    page.clock.run_for(6_000)  # the answer is slow: no second request meanwhile (setInterval would send 4)
    board({"sent": 1})
    answer_it(1)
    board_shows(page, 3)
    page.clock.run_for(1_400)
    board({"sent": 1})
    page.clock.run_for(200)  # 1.5 s after the answer
    board({"sent": 2})

    page.evaluate(
        "Object.defineProperty(document, 'hidden', {configurable: true, get: () => true}); document.dispatchEvent(new Event('visibilitychange'))"
    )
    answer_it(2)
    page.clock.run_for(4_800)
    board({"sent": 2})
    page.clock.run_for(300)  # 5 s after the answer, while hidden
    board({"sent": 3})

    answer_it(3)
    page.evaluate(
        "Object.defineProperty(document, 'hidden', {configurable: true, get: () => false}); document.dispatchEvent(new Event('visibilitychange'))"
    )
    board({"sent": 4})  # back in view: at once, not at the end of the 5 s wait
    answer_it(4)
    page.clock.run_for(1_600)  # and every 1.5 s again
    board({"sent": 5, "most": 1})
    held.pop().continue_()


def test_a_lost_connection_keeps_the_board_and_says_so(browser, class_app, busy_class):
    with page_allowing(browser, "ERR_INTERNET_DISCONNECTED") as page:
        lost_connection_keeps_the_board(page, class_app[0], busy_class)


def lost_connection_keeps_the_board(page, url: str, busy_class: tuple[str, str]) -> None:
    open_board(page, url, *busy_class)
    question = page.locator('[data-question="sketcher-2"]')
    expect(question.locator('[data-answer="mlp"]')).to_have_attribute("data-count", "2", timeout=WAIT_MS)
    page.route("**/class/api/board*", lambda route: route.abort("internetdisconnected"))
    expect(page.locator("#class-connection")).to_contain_text("Reconnecting", timeout=WAIT_MS)
    expect(page.locator("#class-board")).to_be_visible()
    expect(question.locator('[data-answer="mlp"]')).to_have_attribute("data-count", "2")
    page.unroute("**/class/api/board*")
    expect(page.locator("#class-connection")).to_be_empty(timeout=WAIT_MS)


def test_axe_finds_nothing_on_the_form_or_a_busy_board_light_and_dark(page, class_app, busy_class):
    page.goto(class_app[0] + "/class")
    expect(page.locator("#class-start")).to_be_visible()
    assert axe_violations(page) == []
    open_board(page, class_app[0], *busy_class)
    page.locator('#class-confusion button[data-meant="7"][data-read="1"]').click()
    expect(page.locator("#class-drawings img")).to_have_count(2, timeout=WAIT_MS)
    page.locator("#class-teacher summary").click()
    assert axe_violations(page) == []
    page.emulate_media(color_scheme="dark")
    assert axe_violations(page, rules=["color-contrast"]) == []


def test_at_a_phones_width_nothing_scrolls_sideways(phone_page, class_app, busy_class):
    page = phone_page
    page.goto(class_app[0] + "/class")
    expect(page.locator("#class-start")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    open_board(page, class_app[0], *busy_class)
    page.locator('#class-confusion button[data-meant="7"][data-read="1"]').tap()
    expect(page.locator("#class-drawings img")).to_have_count(2, timeout=WAIT_MS)
    page.locator("#class-teacher summary").tap()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    matrix = page.locator(".matrix").evaluate("m => [m.scrollWidth, m.clientWidth]")
    assert matrix[0] <= matrix[1], "the confusion matrix fits without its own sideways scroll"
