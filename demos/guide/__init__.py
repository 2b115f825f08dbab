"""The guided path that every page has: predict, then see.

Each step sets up an experiment in one click, points at the part of the page it is about, asks
first (two to four answers), runs, and reveals whether the answer was right, judged by a pure
function in core (`core/<concept>/guide.py`) from what this run produced, then explains.

    path = guided_path("overfit")                  # in the page's layout, where the panel goes
    path.wire(page, setup=..., setup_outputs=[...], run=..., run_inputs=[...], run_outputs=[...])

- The steps' words are data: demos/lessons/paths/<slug>.yaml, read and checked by `load_path`. It
  also names the core module whose functions judge its steps (`judges: core.playground.guide`).
- `setup(step_id)` returns the values of `setup_outputs` that set the step's experiment up (the
  page's Try this values); `run(step_id, *run_inputs)` returns (or yields, for a page that streams)
  the values of `run_outputs` followed by the run's result, a dict of plain values that the step's
  judge reads. "Set up and run" does both; "Run as it is now" runs the page's current settings, so a
  learner (or a test) can change a seed or a drawing and see whether the answer still holds.
- The panel is `#<slug>-path`; its step carries `data-step="N"` (1-based); the answers are radio
  inputs (`#<slug>-answers`); the reveal is `#<slug>-reveal`, with `data-correct` ("true"/"false")
  and `data-outcome` (the answer this run made true), announced to screen readers (aria-live).
- Progress (each step's last answer and whether it was right, and the step open) lives in the
  learner's browser (localStorage, where the browser allows it), so a path can be left and resumed; `?step=N` in the
  address opens the path at step N (in the gallery, on the tab the address names).

- In a class (demos/guide/classroom.py): the class strip above the panel (`#<slug>-class`) sends each
  answer to the class, and a run's verdict, judged as always, is held (`data-held` on the reveal)
  until the teacher reveals the step on the board; under the panel, "Classroom" makes the teacher's
  link (a step, hidden controls, a class) and lets a student type a class code.

The steps as data and the values shown from them are demos/guide/steps.py; the browser code is
demos/assets/guide/ (step.js: the spotlight; reveal.js: the verdict) and
demos/assets/classroom/student.js (the class strip).
"""

from __future__ import annotations

import functools
import inspect
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import gradio as gr

from core.errors import UserError
from demos import user_errors
from demos.guide.classroom import TeacherLink, class_strip, held_verdict, show_held, teacher_link, waits_for_reveal
from demos.guide.steps import (  # noqa: F401  (the names pages and tests import from demos.guide)
    ANSWERS,
    NO_VERDICT,
    PATHS,
    RUNNING,
    STEPS,
    GuidedPath,
    Step,
    clamp,
    judge_of,
    load_path,
    reveal_value,
    step_value,
    with_answer,
)

JS = Path(__file__).resolve().parent.parent / "assets" / "guide"

# ---------- the panel ----------


def _script(name: str) -> str:
    return (JS / f"{name}.js").read_text(encoding="utf-8")


_STEP_CSS = """
.guide-step h3 { margin: 0 0 4px; font-size: var(--text-lg); }
.guide-step p { margin: 0 0 4px; }
.where, .score { font-size: var(--text-sm); color: var(--body-text-color-subdued); }
"""

_REVEAL_CSS = """
.guide-reveal:empty, .guide-reveal p:empty { display: none; }
.guide-reveal { border-left: 4px solid var(--border-color-primary); padding: 4px 10px; }
.guide-reveal[data-correct="true"] { border-left-color: #1a7f37; }
.guide-reveal[data-correct="false"] { border-left-color: #b35900; }
.guide-reveal p { margin: 0 0 6px; }
.verdict { font-weight: 600; }
"""


@dataclass
class PathPanel:
    """The panel's components, made by `guided_path`; `wire` connects them to the page."""

    path: GuidedPath
    box: gr.Accordion
    step_view: gr.HTML
    answer: gr.Radio
    back: gr.Button
    setup_run: gr.Button
    run_now: gr.Button
    forward: gr.Button
    reveal: gr.HTML
    progress: gr.JSON  # hidden: the learner's progress, kept in the browser's localStorage by `keep_js`
    result: gr.State
    address: gr.Textbox
    member: gr.HTML  # the class strip: its value is this browser's class membership, set in the browser (demos/guide/classroom.py)
    held: gr.State  # in a class, a verdict held back until the teacher reveals the step
    teach: TeacherLink

    def wire(
        self, page: gr.Blocks, *, setup: Callable, setup_outputs: list, run: Callable, run_inputs: list, run_outputs: list, **run_events
    ):
        """Connect the panel: choosing an answer enables the runs; "Set up and run" sets the step up
        with `setup`, then runs `run`; "Run as it is now" runs `run` on the page as it is; both are
        then judged (`reveal`). `run_events` go to the run's event (concurrency, progress). Returns the
        two run events, for a page's Stop button to cancel."""
        # Everything but the run itself is cheap and answers at once: not queued (queue=False), so a
        # gallery's load, which starts every page's load events together, joins no more queued events
        # than before the paths (demos/visitors caps a visitor's joins in flight).
        quick = dict(api_visibility="private", queue=False)
        steps = [self.step_view, self.answer, self.reveal, self.setup_run, self.run_now]
        self.answer.change(_chosen, self.answer, [self.setup_run, self.run_now], show_progress="hidden", **quick)
        keep = dict(fn=None, inputs=self.progress, js=keep_js(self.path.slug))
        for delta, button in ((-1, self.back), (1, self.forward)):
            moved = button.click(
                functools.partial(_go, self.path, delta), [self.step_view, self.progress], [*steps, self.progress], **quick
            )
            moved.then(**keep)
        # The address as the page was opened: the gallery rewrites `tab` in the address bar as its tabs
        # open, before the pages' load events are sent, so the request's own query may name another tab.
        page.load(
            functools.partial(_open, self.path),
            [self.progress, self.address],
            [self.box, *steps, self.progress],
            js=opened_with_js(self.path.slug),
            show_progress="hidden",
            **quick,
        )

        started = self.setup_run.click(_running, self.answer, self.reveal, show_progress="hidden", **quick)
        set_up = started.success(functools.partial(_set_up, self.path, setup), self.step_view, setup_outputs, **quick)
        again = self.run_now.click(_running, self.answer, self.reveal, show_progress="hidden", **quick)
        judged = functools.partial(_judge, self.path)
        running = _runner(self.path, run)
        runs = []
        for before in (set_up, again):
            ran = before.success(
                running, [self.step_view, *run_inputs], [*run_outputs, self.result], api_visibility="private", **run_events
            )
            verdict = ran.success(
                judged,
                [self.step_view, self.answer, self.result, self.progress, self.member],
                [self.reveal, self.progress, self.step_view, self.held],
                **quick,
            )
            verdict.then(**keep)
            runs.append(ran)
        # The class strip clicks itself when the teacher has revealed the step whose verdict is held.
        shown = self.member.click(
            functools.partial(show_held, self.path),
            [self.held, self.member, self.progress],
            [self.reveal, self.progress, self.step_view, self.held],
            **quick,
        )
        shown.then(**keep)
        self.teach.wire(page, self.path)
        return runs  # the page's Stop button cancels these too


def guided_path(slug: str) -> PathPanel:
    """The panel of `slug`'s guided path, made where it is called (inside the page's Blocks): closed
    until the learner opens it or the address names a step."""
    path = load_path(slug)
    first = path.steps[0]
    member = class_strip(slug)
    with gr.Accordion(f"🧭 Guided path: predict, then see ({len(path.steps)} steps)", open=False, elem_id=f"{slug}-path") as box:
        step_view = gr.HTML(
            step_value(path, 0),
            html_template='<div class="guide-step" data-step="" data-point=""><p class="where"></p><h3 class="title"></h3>'
            '<p class="setup"></p><p class="before"></p><p class="score"></p></div>',
            css_template=_STEP_CSS,
            js_on_load=_script("step"),
            elem_id=f"{slug}-path-step",
            padding=False,
        )
        answer = gr.Radio(_choices(first), value=None, label=first.question, elem_id=f"{slug}-answers")
        with gr.Row():
            back = gr.Button("◀ Back", size="sm", elem_id=f"{slug}-path-back")
            setup_run = gr.Button("Set up and run", variant="primary", size="sm", interactive=False, elem_id=f"{slug}-path-run")
            run_now = gr.Button("Run as it is now", size="sm", interactive=False, elem_id=f"{slug}-path-again")
            forward = gr.Button("Next ▶", size="sm", elem_id=f"{slug}-path-next")
        reveal = gr.HTML(
            NO_VERDICT,
            html_template=f'<div id="{slug}-reveal" class="guide-reveal" data-correct="" data-outcome="" role="status" aria-live="polite">'
            '<p class="verdict"></p><p class="happened"></p><p class="unusual"></p><p class="explain"></p></div>',
            css_template=_REVEAL_CSS,
            js_on_load=_script("reveal"),
            elem_id=f"{slug}-reveal-box",
            padding=False,
        )
    # Not gr.BrowserState: in a page embedded on another origin whose browser blocks third-party storage,
    # reading localStorage throws, and Gradio's own reader reports it as an error in the console. Here
    # the browser reads and writes it (`opened_with_js`, `keep_js`), and a path without storage simply
    # starts afresh.
    progress = gr.JSON({}, visible=False)
    address = gr.Textbox(visible=False)  # the query the page was opened with, read in the browser on load
    teach = teacher_link(slug)
    return PathPanel(
        path,
        box,
        step_view,
        answer,
        back,
        setup_run,
        run_now,
        forward,
        reveal,
        progress,
        gr.State(None),
        address,
        member,
        gr.State(None),
        teach,
    )


def _choices(step: Step) -> list[tuple[str, str]]:
    return [(label, key) for key, label in step.answers.items()]


def _step_updates(path: GuidedPath, index: int, progress) -> list:
    step = path.step(index)
    return [
        step_value(path, index, progress),
        gr.Radio(choices=_choices(step), value=None, label=step.question),
        NO_VERDICT,
        gr.Button(interactive=False),
        gr.Button(interactive=False),
    ]


# ---------- handlers ----------


@user_errors
def _chosen(answer):
    return gr.Button(interactive=bool(answer)), gr.Button(interactive=bool(answer))


@user_errors
def _go(path: GuidedPath, delta: int, shown, progress):
    index = clamp((shown or {}).get("index", 0) + delta if isinstance(shown, Mapping) else 0, len(path.steps))
    kept = dict(progress) if isinstance(progress, Mapping) else {}
    return [*_step_updates(path, index, progress), {**kept, "at": index}]


def storage_key(slug: str) -> str:
    return f"{slug}-guided-path"


def opened_with_js(slug: str) -> str:
    """The load's inputs, read in the browser: the progress kept in localStorage (none where storage is
    blocked), and the query the page was opened with."""
    return f"""(progress, address) => {{
    let kept = {{}};
    try {{ kept = JSON.parse(window.localStorage.getItem({storage_key(slug)!r}) || '{{}}'); }} catch (blocked) {{ kept = {{}}; }}
    const opened = performance.getEntriesByType('navigation')[0];
    return [kept, new URL(opened ? opened.name : location.href).search];
}}"""


def keep_js(slug: str) -> str:
    """Write the progress to localStorage, where the browser allows it."""
    return f"""(progress) => {{
    try {{ window.localStorage.setItem({storage_key(slug)!r}, JSON.stringify(progress || {{}})); }} catch (blocked) {{ /* no storage: nothing kept */ }}
}}"""


@user_errors
def _open(path: GuidedPath, progress, address: str | None):
    """On load, with the query the page was opened with (`?tab=...&step=3`): `?step=N` opens the
    path at step N (in the gallery, only on the tab the address names); otherwise the path stays
    closed on the step the learner last had open."""
    query = {k: v[-1] for k, v in urllib.parse.parse_qs(str(address or "").lstrip("?")[:2000]).items()}
    asked = query.get("step")
    mine = query.get("tab") in (None, path.slug)
    kept = dict(progress) if isinstance(progress, Mapping) else {}
    if asked is not None and mine:
        return [gr.Accordion(open=True), *_step_updates(path, clamp(asked, len(path.steps) + 1) - 1, kept), kept]
    return [gr.skip(), *_step_updates(path, kept.get("at", 0), kept), kept]


@user_errors
def _running(answer):
    if not answer:
        raise UserError("Choose an answer first: the step asks before it shows.")
    return RUNNING


@user_errors
def _set_up(path: GuidedPath, setup: Callable, shown):
    return setup(path.step(_index(shown)).id)


def _index(shown) -> int:
    return shown.get("index", 0) if isinstance(shown, Mapping) else 0


def _runner(path: GuidedPath, run: Callable) -> Callable:
    """The page's `run`, called with the open step's id; a generator stays a generator (Gradio streams it)."""
    if inspect.isgeneratorfunction(run):

        @user_errors
        def streaming(shown, *inputs):
            yield from run(path.step(_index(shown)).id, *inputs)

        return streaming

    @user_errors
    def answering(shown, *inputs):
        return run(path.step(_index(shown)).id, *inputs)

    return answering


@user_errors
def _judge(path: GuidedPath, shown, chosen, result, progress, member=None):
    """The verdict on this run; in a class whose teacher has not revealed the step yet, held back
    (`held_verdict`) until they do, and the learner's score left as it was meanwhile."""
    index = clamp(_index(shown), len(path.steps))
    step = path.steps[index]
    if chosen not in step.answers:
        raise UserError("Choose one of the answers first.")
    judgement = judge_of(path, step)(result)
    value = reveal_value(step, chosen, judgement.outcome, judgement.facts)
    question = f"{path.slug}-{index + 1}"
    if waits_for_reveal(member, question, chosen):
        held = {"question": question, "index": index, "chosen": chosen, "value": value}
        return held_verdict(step, chosen, question), progress, step_value(path, index, progress), held
    progress = with_answer(progress, path, step, chosen, value["correct"], index)
    return value, progress, step_value(path, index, progress), None
