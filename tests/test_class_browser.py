"""A class in a real browser: one teacher page and three student pages, through the whole lesson.

The teacher starts a class on /class (a step of the sketcher's path, one control hidden); two students
open the students' link as the board gives it (the sketcher alone), one opens the same query on the
gallery's sketcher tab. Their answers reach the board's spread (`[data-question="sketcher-1"]`, a `data-count` per
answer) before anyone sees an outcome; a run's verdict waits for the reveal, then shows what that
student's own run made true; a drawn digit reaches the class's confusion matrix and its drawing. A
student's page only ever calls join, answer and revealed: never the board."""

from __future__ import annotations

import re
import urllib.parse

import pytest

from harness.browser import open_gradio
from harness.guide import choose, wait_for_step
from tests.conftest import watched_page

pytestmark = pytest.mark.browser

STUDENT_ROUTES = {"/class/api/join", "/class/api/answer", "/class/api/revealed"}


def class_calls(page) -> list[str]:
    """Record the paths of the class API this page calls."""
    calls: list[str] = []
    page.on("request", lambda request: calls.append(urllib.parse.urlsplit(request.url).path) if "/class/api/" in request.url else None)
    return calls


def spread(teacher, question: str) -> dict[str, int]:
    return teacher.eval_on_selector_all(
        f'[data-question="{question}"] [data-answer]', "rows => Object.fromEntries(rows.map(r => [r.dataset.answer, +r.dataset.count]))"
    )


def test_a_teacher_and_three_students(browser, app_url):
    teachers = watched_page(browser, viewport={"width": 1280, "height": 1000})
    teacher = next(teachers)
    teacher.goto(f"{app_url}/class?tab=sketcher&step=1&hide=sketcher-look-inside")
    teacher.locator("#class-start button[type=submit]").click()
    teacher.locator("#class-board").wait_for(state="visible", timeout=30_000)
    link = teacher.locator("#class-student-link").get_attribute("href")
    query = urllib.parse.urlsplit(link).query
    code = urllib.parse.parse_qs(query)["class"][0]
    assert re.fullmatch(r"[2-9A-HJKMNP-TV-Z]{8}", code)
    assert urllib.parse.urlsplit(link).path == "/demos/sketcher/" and urllib.parse.parse_qs(query)["step"] == ["1"]
    qr = urllib.parse.urlsplit(teacher.locator("#class-qr").get_attribute("src"))
    assert qr.path == "/class/api/qr.svg" and urllib.parse.parse_qs(qr.query)["text"] == [link]  # the code students scan

    sessions = [watched_page(browser, viewport={"width": 1280, "height": 1000}) for _ in range(3)]
    students = [next(session) for session in sessions]
    calls = [class_calls(student) for student in students]
    urls = [f"{app_url}/?tab=sketcher&{query}", link, link]  # the same class in the gallery's tab too
    for student, url in zip(students, urls):
        open_gradio(student, url)
        student.locator("#sketcher-class .class-strip").wait_for(state="visible", timeout=30_000)
        wait_for_step(student, "sketcher", 1)
        assert code[:4] in student.locator("#sketcher-class").inner_text()
        assert student.locator("#sketcher-look-inside").is_hidden()  # the teacher's hidden control
        assert student.locator("#sketcher-class-meant").is_visible()  # the class-only "which digit did you mean"

    teacher.locator('#class-joined[data-count="3"]').wait_for(timeout=10_000)
    for student, label in zip(students, ["The MLP", "The MLP", "The CNN"]):
        choose(student, "sketcher", label)
    teacher.wait_for_function(
        """() => { const q = document.querySelector('[data-question="sketcher-1"]');
                   return q && q.querySelector('[data-answer="mlp"]')?.dataset.count === '2'
                            && q.querySelector('[data-answer="cnn"]')?.dataset.count === '1'; }""",
        timeout=10_000,
    )
    assert spread(teacher, "sketcher-1") == {"mlp": 2, "cnn": 1}

    # A student runs the step before the reveal: the run finishes, its verdict waits.
    first = students[0]
    first.locator("#sketcher-path-run").click()
    first.locator('#sketcher-reveal[data-held="sketcher-1"]').wait_for(state="attached", timeout=60_000)
    assert first.locator("#sketcher-reveal").get_attribute("data-correct") == ""
    assert first.locator("#sketcher-reveal").get_attribute("data-outcome") == ""
    assert "is in" in first.locator("#sketcher-reveal .verdict").inner_text()

    teacher.locator('[data-question="sketcher-1"] button.reveal').click()
    teacher.locator('[data-question="sketcher-1"][data-revealed="true"]').wait_for(state="attached", timeout=10_000)
    first.wait_for_function("() => document.querySelector('#sketcher-reveal').dataset.correct !== ''", timeout=15_000)
    outcome = first.locator("#sketcher-reveal").get_attribute("data-outcome")
    assert outcome in {"mlp", "cnn"}  # what this run made true, judged from it
    assert first.locator("#sketcher-reveal").get_attribute("data-correct") == str(outcome == "mlp").lower()
    assert "this run says" in first.locator("#sketcher-reveal .verdict").inner_text()

    # After the reveal, a run's verdict shows at once.
    second = students[1]
    second.locator("#sketcher-path-run").click()
    second.wait_for_function("() => ['true', 'false'].includes(document.querySelector('#sketcher-reveal').dataset.correct)", timeout=60_000)
    assert second.locator("#sketcher-reveal").get_attribute("data-held") == ""
    assert spread(teacher, "sketcher-1") == {"mlp": 2, "cnn": 1}  # the runs counted no one twice

    # A digit for the class's confusion matrix: the canvas's 7, meant as a 7.
    third = students[2]
    third.get_by_role("button", name="Load a 7").click()
    third.locator("#sketcher-class-meant label").filter(has_text=re.compile(r"^\s*7\s*$")).click()
    third.locator("#sketcher-class-send").click()
    third.wait_for_function("() => /the CNN read \\d/.test(document.querySelector('#sketcher-class-sent').innerText)", timeout=30_000)
    read = re.search(r"the CNN read (\d)", third.locator("#sketcher-class-sent").inner_text()).group(1)
    cell = teacher.locator(f'#class-confusion [data-meant="7"][data-read="{read}"]')
    teacher.wait_for_function(
        f"""() => document.querySelector('#class-confusion [data-meant="7"][data-read="{read}"]')?.dataset.count === '1'""", timeout=10_000
    )
    cell.click()
    teacher.locator("#class-drawings img").first.wait_for(timeout=10_000)
    assert teacher.locator("#class-drawings img").count() == 1

    for made in calls:
        assert made and set(made) <= STUDENT_ROUTES, made  # a student's page never asks for the board

    # Leaving: every strip of the gallery forgets the class (another tab's too), and the class-only controls go.
    gallery = students[0]
    gallery.locator('button[role="tab"][data-tab-id="overfit"]').click()
    gallery.locator("#overfit-class .class-strip:not([hidden])").wait_for(state="visible", timeout=30_000)
    gallery.locator('button[role="tab"][data-tab-id="sketcher"]').click()
    gallery.locator("#sketcher-class button", has_text="Leave the class").click()
    students[0].wait_for_function("() => window.localStorage.getItem('gallery-class') === null", timeout=10_000)
    assert students[0].locator("#sketcher-class .class-strip").is_hidden()
    assert students[0].locator("#sketcher-class-meant").is_hidden()
    assert gallery.evaluate("() => [...document.querySelectorAll('.class-strip')].map(strip => strip.hidden)") == [True, True]

    # The class is kept in the browser: the page opened again without ?class= is still in it, until
    # the class ends; then the page forgets it. (A page of the same context, not watched: the check
    # of the ended class is answered 400, which chromium logs as a console error.)
    again = students[1].context.new_page()
    open_gradio(again, f"{app_url}/demos/sketcher/")
    again.locator("#sketcher-class .class-strip").wait_for(state="visible", timeout=30_000)
    teacher.locator("#class-end").click()
    teacher.locator("#class-end-yes").click()
    teacher.locator("#class-start").wait_for(state="visible", timeout=10_000)
    again.reload()
    again.wait_for_function("() => window.localStorage.getItem('gallery-class') === null", timeout=30_000)
    assert again.locator("#sketcher-class .class-strip").is_hidden()
    again.close()
    for session in [*sessions, teachers]:
        for _ in session:  # the rest of watched_page: close the context, fail on console errors
            pass
