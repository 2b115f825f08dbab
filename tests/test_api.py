"""The API is what the README says it is: on each demo's own page, the endpoints that
`gradio_client` lists, and their arguments in order, are the README's API table, and nothing else
can be called. Also: the gallery builds with docstrings stripped (`python -OO`)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from gradio_client import Client

from demos import DEMOS

ROOT = Path(__file__).resolve().parent.parent
SLUGS = [demo.slug for demo in DEMOS]

pytestmark = pytest.mark.e2e


def split_items(cell: str) -> list[str]:
    """A table cell's list, split at the commas outside brackets and `code`."""
    items, current, depth, in_code = [], [], 0, False
    for char in cell:
        if char == "`":
            in_code = not in_code
        elif not in_code and char in "([{":
            depth += 1
        elif not in_code and char in ")]}":
            depth -= 1
        elif char == "," and depth == 0 and not in_code:
            items.append("".join(current))
            current = []
            continue
        current.append(char)
    return items + ["".join(current)]


def readme_api() -> dict[str, dict[str, list[str]]]:
    """README.md's API table -> {demo: {"/endpoint": [argument names, in order]}}. An argument is
    the first `code` word of an item in the arguments cell; items without one ("all optional",
    "capped at ...") are notes."""
    section = (ROOT / "README.md").read_text().split("\n## API\n", 1)[1].split("\n## ", 1)[0]
    table: dict[str, dict[str, list[str]]] = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]]  # "\|" is a pipe inside a cell
        endpoint = re.match(r"`(/\w+)`", cells[1]) if len(cells) == 4 else None
        if endpoint is None:
            continue
        names = []
        for item in split_items(cells[2]):
            first = re.search(r"`([^`]*)`", item)
            if first and re.fullmatch(r"[a-z_]\w*", first.group(1)):
                names.append(first.group(1))
        table.setdefault(cells[0], {})[endpoint.group(1)] = names
    return table


def test_the_readme_table_is_read_as_written():
    table = readme_api()
    assert set(table) == set(SLUGS)  # one row or more per demo
    assert table["filters"]["/convolve"] == ["input_text", "kernel_text", "stride", "padding", "row", "col", "dilation", "transposed"]
    assert table["sentiment"]["/classify_sentiment"] == ["text", "model"]
    assert len(table["overfit"]["/train_playground"]) == 18


@pytest.mark.parametrize("slug", SLUGS)
def test_each_demos_api_is_the_readmes_table(app_url, slug):
    api = Client(f"{app_url}/demos/{slug}/", verbose=False).view_api(print_info=False, return_format="dict")
    served = {name: [p["parameter_name"] for p in endpoint["parameters"]] for name, endpoint in api["named_endpoints"].items()}
    assert served == readme_api()[slug]
    assert not api["unnamed_endpoints"]


@pytest.mark.parametrize("slug", SLUGS)
def test_only_the_named_endpoints_can_be_called(app_url, slug):
    # "undocumented" events are left out of view_api() but clients can still call them: only the
    # README's endpoints may be callable, besides Gradio's own example loader.
    with urllib.request.urlopen(f"{app_url}/demos/{slug}/config", timeout=30) as response:
        config = json.load(response)
    callable_names = {d["api_name"] for d in config["dependencies"] if d.get("api_visibility") != "private"}
    ours = {name for name in callable_names if not re.fullmatch(r"load_example(_\d+)?", name)}  # one per gr.Examples
    assert ours == {name.lstrip("/") for name in readme_api()[slug]}


def test_a_path_on_the_server_is_refused_where_a_file_is_expected(app_url):
    # A client that sends a bare path instead of handle_file(path): Gradio does not check it, the
    # endpoint must not open it.
    secret = str(ROOT / "demos" / "assets" / "digit_3.png")  # readable by the server, never uploaded
    request = urllib.request.Request(
        f"{app_url}/demos/sketcher/gradio_api/call/classify_digit",
        data=json.dumps({"data": [secret]}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        event = json.load(response)["event_id"]
    with urllib.request.urlopen(f"{app_url}/demos/sketcher/gradio_api/call/classify_digit/{event}", timeout=60) as response:
        stream = response.read().decode()
    assert "event: error" in stream and "handle_file" in stream and '"label"' not in stream


def test_the_gallery_builds_without_docstrings_and_shows_every_lesson():
    # python -OO drops every docstring: lessons are data (demos/lessons/*.md), not module docstrings.
    code = "import json, app; print(json.dumps([b.value for b in app.build_gallery().blocks.values() if type(b).__name__ == 'Markdown']))"
    result = subprocess.run([sys.executable, "-OO", "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    shown = json.loads(result.stdout.splitlines()[-1])
    for slug in SLUGS:
        assert (ROOT / "demos" / "lessons" / f"{slug}.md").read_text(encoding="utf-8").strip() in shown, slug
