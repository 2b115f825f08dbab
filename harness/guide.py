"""Walking a page's guided path in the browser (demos/guide/'s contract), for tests and scripts.

    open_step(page, url, "overfit", 2)         # /demos/overfit/?step=2, the path open on step 2
    choose(page, "overfit", "It shrinks")       # click an answer's label
    correct, outcome = run_step(page, "overfit")            # "Set up and run", then the verdict
    correct, outcome = run_step(page, "overfit", setup=False)  # "Run as it is now"
    next_step(page, "overfit")

The page is Playwright's; nothing here imports it.
"""

from __future__ import annotations

from harness.browser import open_gradio


def step_shown(page, slug: str) -> int:
    """The number (1-based) of the step the path shows."""
    return int(page.locator(f"#{slug}-path [data-step]").get_attribute("data-step") or 0)


def wait_for_step(page, slug: str, number: int, timeout: float = 30.0) -> None:
    page.locator(f'#{slug}-path [data-step="{number}"]').wait_for(state="visible", timeout=timeout * 1000)


def open_step(page, base_url: str, slug: str, number: int, timeout: float = 90.0, query: str = "") -> None:
    """Open the page alone at `?step=number` (plus `query`, e.g. "&palette=safe") and wait for the step."""
    open_gradio(page, f"{base_url}/demos/{slug}/?step={number}{query}", timeout=timeout)
    wait_for_step(page, slug, number)


def choose(page, slug: str, label: str) -> None:
    """Pick the answer whose label is `label` (exactly)."""
    page.locator(f"#{slug}-answers label").filter(has_text=label).first.click()
    page.locator(f"#{slug}-path-again").wait_for(state="visible")


def run_step(page, slug: str, setup: bool = True, timeout: float = 120.0) -> tuple[bool, str]:
    """Press "Set up and run" (or "Run as it is now") and wait for this run's verdict:
    (whether the chosen answer was right, the answer id this run made true)."""
    reveal = f"#{slug}-reveal"
    page.locator(reveal).evaluate("(node) => { node.dataset.correct = 'stale'; }")  # an older verdict is not this run's
    page.locator(f"#{slug}-path-run" if setup else f"#{slug}-path-again").click()
    page.wait_for_function(
        "(selector) => ['true', 'false'].includes(document.querySelector(selector).dataset.correct)", arg=reveal, timeout=timeout * 1000
    )
    node = page.locator(reveal)
    return node.get_attribute("data-correct") == "true", node.get_attribute("data-outcome") or ""


def next_step(page, slug: str) -> None:
    number = step_shown(page, slug)
    page.locator(f"#{slug}-path-next").click()
    wait_for_step(page, slug, number + 1)
