"""A page's part in a class: the class strip above its guided path, the verdict held back until the
teacher reveals the step, and the teacher's link ("Teach with this page").

- The strip (`class_strip`, `#<slug>-class`) is a gr.HTML whose browser code (demos/assets/classroom/
  student.js) joins the class the address names (`?class=CODE`), keeps the membership and an anonymous
  student id in localStorage, sends each answer the learner chooses to the class (POST /class/api/answer),
  hides the controls the address names (`?hide=id,id`), and shows the class-only controls
  (`.class-only`, e.g. the sketcher's "which digit did you mean"). Its value is the membership
  ({"slug", "code", "student"}), an input of the events that need it.
- In a class, a run's verdict is judged as always, from the run, but held (`held_verdict`, with
  `data-held` on the reveal) until the teacher reveals the step on the board; the strip asks the class
  API every 2 s while a verdict is held, and clicks itself (`show_held`) once the step is revealed.
- The teacher's link (`teacher_link`): the page at a chosen step, with chosen controls hidden, and
  optionally joining a class; and a link to /class that starts a class with those settings.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import gradio as gr

import demos.classroom as classroom  # a module reference: demos.classroom reads the paths through demos.guide
from core.classroom.codes import checked_code
from core.errors import UserError
from demos import user_errors
from demos.guide.steps import GuidedPath, Step, clamp, step_value, with_answer

STUDENT_JS = Path(__file__).resolve().parent.parent / "assets" / "classroom" / "student.js"
OWN_PARTS = ("-path", "-answers", "-reveal", "-class", "-teach")  # the guide's own elements: never hidden
MOST_CONTROLS = 40  # demos.classroom.MOST_HIDDEN

_STRIP_CSS = """
.class-strip { display: flex; flex-wrap: wrap; gap: 6px 12px; align-items: center; padding: 6px 10px;
  border-left: 4px solid var(--color-accent); background: var(--background-fill-secondary); font-size: var(--text-sm); }
.class-strip[hidden] { display: none; }
.class-strip input { width: 11em; padding: 2px 6px; }
.class-strip button { padding: 2px 10px; }
.class-strip .class-note:empty { display: none; }
"""


def class_strip(slug: str) -> gr.HTML:
    """The class strip of `slug`'s page: empty (hidden) until this browser is in a class."""
    return gr.HTML(
        {"slug": slug},
        html_template='<div class="class-strip" hidden role="region" aria-label="Your class"></div>',
        css_template=_STRIP_CSS,
        js_on_load=STUDENT_JS.read_text(encoding="utf-8"),
        elem_id=f"{slug}-class",
        padding=False,
    )


def membership(member) -> tuple[str, str] | None:
    """The strip's value -> (class code, student id), or None when this page is in no class."""
    if isinstance(member, Mapping) and isinstance(member.get("code"), str) and isinstance(member.get("student"), str):
        return member["code"], member["student"]
    return None


def waits_for_reveal(member, question: str, chosen: str) -> bool:
    """In a class whose teacher has not revealed `question` yet: record `chosen` as this student's
    answer (the last one counts) and hold the verdict. A class that ended, or one this browser never
    joined, holds nothing: the page is a page again."""
    joined = membership(member)
    if joined is None:
        return False
    try:
        if question in classroom.class_store().revealed(*joined):
            return False
        classroom.class_store().answer(*joined, question, chosen)
    except UserError:
        return False
    return True


def held_verdict(step: Step, chosen: str, question: str) -> dict:
    """What the reveal shows while the class waits: the answer, not yet the outcome."""
    return {
        "correct": None,
        "outcome": "",
        "held": question,
        "verdict": f"Your answer “{step.answers[chosen]}” is in.",
        "happened": "Your run has finished. What it showed appears here when your teacher reveals this step to the class.",
        "unusual": "",
        "explain": "",
    }


@user_errors
def show_held(path: GuidedPath, held, member, progress):
    """The held verdict, once the teacher has revealed its step (asked of the store, not the browser)."""
    joined = membership(member)
    if not isinstance(held, Mapping) or joined is None:
        return gr.skip(), gr.skip(), gr.skip(), gr.skip()
    try:
        revealed = held["question"] in classroom.class_store().revealed(*joined)
    except UserError:
        revealed = True  # the class has ended: nothing to wait for
    if not revealed:
        return gr.skip(), gr.skip(), gr.skip(), gr.skip()
    index = clamp(held["index"], len(path.steps))
    value = held["value"]
    progress = with_answer(progress, path, path.steps[index], held["chosen"], value["correct"], index)
    return value, progress, step_value(path, index, progress), None


# ---------- the teacher's link ----------

_LINK_TEMPLATE = (
    '<div class="teacher-link"><p><a class="students" target="_blank" rel="noopener"></a></p>'
    '<p><button type="button" class="copy">Copy the link</button> '
    '<a class="start" target="_blank" rel="noopener">Start a class with these settings ↗</a></p></div>'
)

_LINK_JS = """
// props.value = {slug, step, hide, code}: the teacher's link, made absolute here (the gallery's or this page's own address).
const link = element.querySelector('a.students'), start = element.querySelector('a.start');
function draw(v) {
  v = v || {};
  const inGallery = !!document.querySelector(`button[role="tab"][data-tab-id="${CSS.escape(v.slug || '')}"]`);
  const url = new URL(inGallery ? '/' : location.pathname, location.origin);
  if (inGallery) url.searchParams.set('tab', v.slug);
  if (v.step) url.searchParams.set('step', v.step);
  if (v.hide && v.hide.length) url.searchParams.set('hide', v.hide.join(','));
  if (v.code) url.searchParams.set('class', v.code);
  link.href = link.textContent = url.href;
  const begin = new URL('/class', location.origin);
  if (v.slug) begin.searchParams.set('tab', v.slug);
  if (v.step) begin.searchParams.set('step', v.step);
  if (v.hide && v.hide.length) begin.searchParams.set('hide', v.hide.join(','));
  start.href = begin.href;
}
element.querySelector('button.copy').addEventListener('click', async (event) => {
  try { await navigator.clipboard.writeText(link.href); event.target.textContent = 'Copied'; }
  catch (blocked) { event.target.textContent = 'Select the link to copy it'; }
});
watch('value', () => draw(props.value));
draw(props.value);
"""

# Joining as a student: the code goes in the address (?class=CODE) and the page opens again; the strip joins.
_JOIN_JS = """(code, nickname) => {
    try { window.localStorage.setItem('gallery-class-nickname', (nickname || '').trim()); } catch (blocked) { /* none kept */ }
    const url = new URL(location.href);
    url.searchParams.set('class', (code || '').trim());
    location.assign(url.href);
    return [code, nickname];
}"""


@dataclass
class TeacherLink:
    slug: str
    hide: gr.CheckboxGroup
    step: gr.Dropdown
    code: gr.Textbox
    link: gr.HTML
    join_code: gr.Textbox
    nickname: gr.Textbox
    join: gr.Button

    def wire(self, page: gr.Blocks, path: GuidedPath) -> None:
        """Offer the page's own controls to hide (its components with an elem_id, read from the page as
        built so far), and remake the link as the teacher chooses."""
        self.hide.choices = [(label, elem_id) for label, elem_id in page_controls(page, self.slug)]
        self.step.choices = [("None: the page as it opens", 0)] + [(f"{n}. {s.title}", n) for n, s in enumerate(path.steps, start=1)]
        made = functools.partial(link_value, self.slug, len(path.steps))
        for control in (self.hide, self.step, self.code):
            control.change(
                made, [self.hide, self.step, self.code], self.link, queue=False, show_progress="hidden", api_visibility="private"
            )
        self.join.click(None, [self.join_code, self.nickname], None, js=_JOIN_JS)


def teacher_link(slug: str) -> TeacherLink:
    with gr.Accordion("🏫 Classroom: teach with this page, or join your class", open=False, elem_id=f"{slug}-teach"):
        gr.Markdown(
            "**Teachers:** make a link that opens this page at a guided-path step, with the controls you choose hidden. "
            "Start a class on the [class page](/class) to see your students' answers live before you reveal each outcome."
        )
        with gr.Row():
            step = gr.Dropdown(
                [("None: the page as it opens", 0)], value=0, label="Open the guided path at step", elem_id=f"{slug}-teach-step"
            )
            code = gr.Textbox(label="Class code (optional: students who open the link join it)", max_lines=1, max_length=12)
        hide = gr.CheckboxGroup([], label="Hide these controls from students", elem_id=f"{slug}-teach-hide")
        link = gr.HTML({"slug": slug, "step": 0, "hide": [], "code": ""}, html_template=_LINK_TEMPLATE, js_on_load=_LINK_JS, padding=False)
        gr.Markdown("**Students:** type the code your teacher shows.")
        with gr.Row():
            join_code = gr.Textbox(
                label="Class code", placeholder="e.g. 7KQM-4RXT", max_lines=1, max_length=12, elem_id=f"{slug}-class-code"
            )
            nickname = gr.Textbox(label="Nickname (optional)", max_lines=1, max_length=24)
            join = gr.Button("Join the class", size="sm", elem_id=f"{slug}-class-join")
    return TeacherLink(slug, hide, step, code, link, join_code, nickname, join)


def page_controls(page: gr.Blocks, slug: str) -> list[tuple[str, str]]:
    """The page's visible, named components and sections with an elem_id (its buttons, inputs, outputs
    with a label), as (label, elem_id), in the page's order."""
    found = []
    for block in page.blocks.values():
        elem_id = getattr(block, "elem_id", None)
        if not elem_id or any(elem_id.startswith(slug + part) for part in OWN_PARTS) or getattr(block, "visible", True) is False:
            continue
        if not isinstance(block, gr.components.Component | gr.Accordion | gr.Tab):
            continue
        label = block.value if isinstance(block, gr.Button) else getattr(block, "label", None)
        if not isinstance(label, str) or not label:
            continue  # no name a teacher would know it by: a note, a legend, a hidden relay
        found.append((f"{label} ({elem_id})", elem_id))
    return found[:MOST_CONTROLS]


@user_errors
def link_value(slug: str, steps: int, hide, step, code) -> dict:
    """The teacher's choices -> the link's value (the browser makes the address)."""
    chosen = [h for h in (hide or []) if isinstance(h, str)][:MOST_CONTROLS]
    number = clamp(step, steps + 1) if step else 0
    code = checked_code(code) if isinstance(code, str) and code.strip() else ""
    return {"slug": slug, "step": number, "hide": chosen, "code": code}
