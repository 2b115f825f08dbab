"""Hostile input for every named API endpoint of every demo, found from the live API description.

Each call must end, within a bounded time, in a result or a message the app wrote (`gr.Error`), and
the server must still answer a normal request correctly. An uncaught exception is a bug whatever the
client shows for it: pages are served with show_error=False, so gradio_client receives Gradio's
generic "...has not enabled verbose error reporting" text (or a bare "Error") rather than a message.
A page with a deliberately broken endpoint checks that the check sees it.
"""

from __future__ import annotations

import json
import math
import struct
import time
import urllib.request
import zlib
from pathlib import Path

import gradio as gr
import numpy as np
import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from demos import DEMOS, SERVER_SETTINGS, for_serving
from harness.serving import free_port

pytestmark = pytest.mark.e2e

SECONDS_PER_CALL = 90
# What gradio_client raises for an uncaught exception on a page served with show_error=False, and the
# bare texts older clients and the browser show for one: none of them is a message the app wrote.
UNCAUGHT = "has not enabled verbose error reporting"
BARE = ("", "Error", "None")
DIGIT = Path(__file__).resolve().parent.parent / "demos" / "assets" / "digit_3.png"
TEXTS = {
    "empty": "",
    "whitespace": " \t\n  ",
    "200k characters": "great movie, not bad at all. " * 6900,
    "emoji": "😀🔥👍🏽💯 " * 20,
    "right-to-left": "هذا الفيلم رائع جدا שלום עולם",
    "control characters": "a\x00b\x07c\x1b[31md\x7f\u202e\ufeff",
}
NUMBERS = {"negative": -7, "zero": 0, "enormous": 10**12, "nan": math.nan, "infinite": math.inf, "-infinite": -math.inf}
# Hostile values for particular arguments, besides those of their kind.
BY_NAME = {
    "data_csv": {
        "CSV with text in numbers": "x,y,label\n1,2,0\nthree,4,1\n5,6,0\n7,8,1\n",
        "CSV without a label column": "x,y\n1,2\n3,4\n",
        "CSV of one class": "x,y,label\n" + "1,2,1\n" * 50,
        "CSV of 100,000 rows": "x,y,label\n" + "1,2,0\n1,3,1\n" * 50_000,
        "CSV of NaN and huge values": "x,y,label\nnan,1e308,0\n1,2,1\n3,4,0\n5,6,1\n",
        "CSV header only": "x,y,label\n",
    },
    "lr_schedule": {"unknown schedule": "exponential", "schedule with a NUL": "cosine\x00"},
    "transposed": {"text": "yes", "number": 7, "nothing": None},
    "frames": {"10,000 frames": 10_000},
    "digit_a": {"digit 42": 42},
}


def huge_png(path: Path, side: int = 10_000) -> None:
    """A side x side greyscale PNG that is tiny on disk: written row by row, never held in memory."""
    row = b"\x00" + b"\xff" * side  # filter byte + white pixels
    compressor = zlib.compressobj(9)
    body = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b""))


@pytest.fixture(scope="session")
def hostile_files(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("hostile")
    digit = Image.open(DIGIT).convert("L")
    files = {}

    def keep(name: str, write) -> None:
        files[name] = folder / name
        write(files[name])

    keep("corrupt.png", lambda p: p.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4))
    keep("empty.png", lambda p: p.write_bytes(b""))
    keep("one_pixel.png", lambda p: Image.new("RGB", (1, 1), "black").save(p))
    keep("huge_10000x10000.png", huge_png)
    keep("sixteen_bit.png", lambda p: Image.fromarray(np.asarray(digit, np.uint16) * 257).save(p))
    keep("cmyk.jpg", lambda p: digit.convert("CMYK").save(p, "JPEG"))

    def gif(p: Path) -> None:
        frames = [digit.convert("P"), Image.new("P", digit.size, 0)]
        frames[0].save(p, save_all=True, append_images=frames[1:], duration=100, loop=0)

    keep("animated.gif", gif)
    keep(
        "drawing.svg",
        lambda p: p.write_text(
            '<svg xmlns="http://www.w3.org/2000/svg" width="28" height="28"><path d="M5 5 L20 20" stroke="black"/></svg>'
        ),
    )
    return files


def kind_of(parameter: dict) -> str:
    python_type = parameter["python_type"]["type"].lower()
    if "filepath" in python_type or "filedata" in str(parameter["type"]).lower():
        return "file"
    if python_type in ("int", "float") or python_type.startswith("int") or python_type.startswith("float"):
        return "number"
    if python_type == "str" or python_type.startswith("literal"):
        return "text"
    return "other"


def defaults(parameters: list[dict], files: dict[str, Path]) -> list:
    values = []
    for p in parameters:
        if p["parameter_has_default"]:
            values.append(p["parameter_default"])
        elif kind_of(p) == "file":
            values.append(handle_file(str(DIGIT)))
        elif kind_of(p) == "number":
            values.append(1)
        else:
            values.append("a fine film")
    return values


def hostile_calls(parameters: list[dict], files: dict[str, Path]):
    """One call per hostile value, in one parameter at a time, the others left at defaults."""
    for i, p in enumerate(parameters):
        values = {"file": {k: handle_file(str(v)) for k, v in files.items()}, "text": TEXTS, "number": NUMBERS}.get(kind_of(p), {})
        values = {**values, **BY_NAME.get(p["parameter_name"], {})}
        for label, value in values.items():
            args = defaults(parameters, files)
            args[i] = value
            yield f"{p['parameter_name']}={label}", args


class NotAnAnswer(AssertionError):
    """A call that ended in neither a result nor a message the app wrote: a bug."""


def message_or_bug(error) -> str:
    """The message the app wrote, from an error answer; NotAnAnswer when the answer is what an
    uncaught exception looks like from outside."""
    message = str(error or "").strip()
    if message in BARE or UNCAUGHT in message:
        raise NotAnAnswer(f"an uncaught exception on the server (the client got {message!r})")
    return message


def outcome(client: Client, api_name: str, args: list) -> str:
    """'ok', or the message the app wrote for the user (a `gr.Error`).

    Raises NotAnAnswer for anything else: an uncaught exception on the server, whatever text the client
    shows for it; no answer within SECONDS_PER_CALL; or a call that failed before it got an answer."""
    if not all(math.isfinite(a) for a in args if isinstance(a, float)):
        return outcome_over_http(client.src, api_name, args)
    job = client.submit(*args, api_name=api_name)
    try:
        job.result(timeout=SECONDS_PER_CALL)
        return "ok"
    except TimeoutError:
        job.cancel()
        raise NotAnAnswer(f"no answer within {SECONDS_PER_CALL}s") from None
    except AppError as error:  # the server's answer to the call was an error
        return message_or_bug(error)
    except Exception as error:
        raise NotAnAnswer(f"the call failed: {type(error).__name__}: {error}") from None


def outcome_over_http(url: str, api_name: str, args: list) -> str:
    """`outcome` for values that gradio_client will not encode (NaN and the infinities are not JSON),
    although Python's json module, and so the server, accepts them: Gradio's HTTP API, by hand."""
    call = f"{url.rstrip('/')}/gradio_api/call/{api_name.lstrip('/')}"
    body = json.dumps({"data": args}).encode()  # writes NaN and Infinity as JavaScript does
    deadline, event = time.monotonic() + SECONDS_PER_CALL, None
    try:
        request = urllib.request.Request(call, data=body, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=SECONDS_PER_CALL) as response:
            event_id = json.load(response)["event_id"]
        with urllib.request.urlopen(f"{call}/{event_id}", timeout=SECONDS_PER_CALL) as stream:
            for line in stream:  # server-sent events: "event: <kind>" then "data: <json>"
                line = line.decode("utf-8").rstrip("\n")
                if line.startswith("event: "):
                    event = line.removeprefix("event: ")
                elif line.startswith("data: ") and event == "complete":
                    return "ok"
                elif line.startswith("data: ") and event == "error":
                    error = json.loads(line.removeprefix("data: "))
                    return message_or_bug(error.get("error") if isinstance(error, dict) else error)
                if time.monotonic() > deadline:
                    raise NotAnAnswer(f"no answer within {SECONDS_PER_CALL}s")
    except OSError as error:
        raise NotAnAnswer(f"the call failed: {type(error).__name__}: {error}") from None
    raise NotAnAnswer(f"the answer ended without a result or an error (last event {event!r})")


def bugs_on(url: str, files: dict[str, Path]) -> list[str]:
    """Every named endpoint of the page at `url`, called once with its defaults and once per hostile
    value: each call that is not answered with a result or a message the app wrote."""
    client = Client(url, verbose=False)
    bugs = []
    for api_name, info in client.view_api(print_info=False, return_format="dict")["named_endpoints"].items():
        parameters = info["parameters"]
        for label, args in [("its defaults", defaults(parameters, files)), *hostile_calls(parameters, files)]:
            try:
                outcome(client, api_name, args)
            except NotAnAnswer as bug:
                bugs.append(f"{url} {api_name} with {label}: {bug}")
    return bugs


def test_every_endpoint_survives_hostile_input(app_url, hostile_files):
    bugs = []
    for demo in DEMOS:
        bugs += bugs_on(f"{app_url}/demos/{demo.slug}/", hostile_files)
        # The server must still answer a normal request correctly right after.
        canary = Client(f"{app_url}/demos/sketcher/", verbose=False)
        assert canary.predict(handle_file(str(DIGIT)), api_name="/classify_digit")["label"] == "3"
    assert not bugs, "\n".join(bugs)


@pytest.fixture(scope="module")
def deliberate_page():
    """A page served like every demo, with one endpoint that answers, one that refuses its input with
    a message, and one with a bug; yields its URL."""

    def echo(text: str, number: float) -> str:
        return f"{text} {number}"

    def refuse(text: str) -> str:
        raise gr.Error("Write a review of at least one word.")

    def divide(number: float) -> float:
        return number / 0  # the bug: an uncaught ZeroDivisionError

    with gr.Blocks() as page:
        for fn in (echo, refuse, divide):
            gr.api(fn, api_name=fn.__name__)
    for_serving(page).launch(server_name="127.0.0.1", server_port=free_port(), prevent_thread_lock=True, quiet=True, **SERVER_SETTINGS)
    try:
        yield page.local_url
    finally:
        page.close()


def test_the_check_flags_an_uncaught_exception_whatever_the_client_shows(deliberate_page, hostile_files):
    bugs = bugs_on(deliberate_page, hostile_files)
    assert all("/divide" in bug and "uncaught exception" in bug for bug in bugs), bugs
    labels = {bug.split(" with ")[1].split(":")[0] for bug in bugs}
    assert labels == {"its defaults"} | {f"number={label}" for label in NUMBERS}  # through gradio_client and over HTTP


def test_the_check_takes_a_result_or_a_message_the_app_wrote(deliberate_page):
    client = Client(deliberate_page, verbose=False)
    assert outcome(client, "/echo", ["a fine film", 1.0]) == outcome(client, "/echo", ["a fine film", math.nan]) == "ok"
    assert outcome(client, "/refuse", ["a fine film"]) == "Write a review of at least one word."
    for number in (1.0, math.inf):
        with pytest.raises(NotAnAnswer, match="uncaught exception"):
            outcome(client, "/divide", [number])


def test_hostile_files_get_clear_messages_from_classify_digit(app_url, hostile_files):
    client = Client(f"{app_url}/demos/sketcher/", verbose=False)
    expectations = {
        "corrupt.png": "not an image|damaged",
        "empty.png": "not an image|damaged|empty",
        "huge_10000x10000.png": "megapixels",
        "drawing.svg": "not an image",
        "one_pixel.png": "draw a digit",
    }
    for name, pattern in expectations.items():
        with pytest.raises(Exception, match=pattern):
            client.predict(handle_file(str(hostile_files[name])), api_name="/classify_digit")
    for readable in ("sixteen_bit.png", "cmyk.jpg", "animated.gif"):  # real digits in odd formats: read them
        assert client.predict(handle_file(str(hostile_files[readable])), api_name="/classify_digit")["label"] == "3"


def test_hostile_input_gets_clear_messages_from_explain_digit(app_url, hostile_files):
    client = Client(f"{app_url}/demos/sketcher/", verbose=False)
    expectations = {"corrupt.png": "not an image|damaged", "huge_10000x10000.png": "megapixels", "one_pixel.png": "draw a digit"}
    for name, pattern in expectations.items():
        with pytest.raises(Exception, match=pattern):
            client.predict(handle_file(str(hostile_files[name])), "gradcam", api_name="/explain_digit")
    digit = handle_file(str(DIGIT))
    for text in TEXTS.values():  # every hostile text as the method: refused with the five names
        with pytest.raises(Exception, match="method must be one of saliency, integrated_gradients, smoothgrad, occlusion, gradcam"):
            client.predict(digit, text, api_name="/explain_digit")
    with Image.open(client.predict(handle_file(str(hostile_files["cmyk.jpg"])), "occlusion", api_name="/explain_digit")) as picture:
        assert picture.size == (224, 224)  # a real digit in an odd format: explained
