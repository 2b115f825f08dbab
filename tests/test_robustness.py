"""Hostile input for every named API endpoint of every demo, found from the live API description.

Each call must end, within a bounded time, in a result or a clear `gr.Error` message (never the bare
"Error" of an uncaught exception), and the server must still answer a normal request correctly.
"""

from __future__ import annotations

import math
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from gradio_client import Client, handle_file
from PIL import Image

from demos import DEMOS

SECONDS_PER_CALL = 90
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


def endpoints(app_url: str):
    """(slug, api_name, parameters) for every named endpoint of every demo."""
    found = []
    for demo in DEMOS:
        api = Client(f"{app_url}/demos/{demo.slug}/", verbose=False).view_api(print_info=False, return_format="dict")
        for name, info in api["named_endpoints"].items():
            found.append((demo.slug, name, info["parameters"]))
    return found


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
        for label, value in values.items():
            args = defaults(parameters, files)
            args[i] = value
            yield f"{p['parameter_name']}={label}", args


def outcome(client: Client, api_name: str, args: list) -> str:
    """'ok', or the error message the user would see."""
    job = client.submit(*args, api_name=api_name)
    try:
        job.result(timeout=SECONDS_PER_CALL)
        return "ok"
    except TimeoutError:
        job.cancel()
        raise AssertionError(f"{api_name} did not answer within {SECONDS_PER_CALL}s") from None
    except Exception as error:  # gradio_client raises AppError carrying the server's message
        return str(error)


def test_every_endpoint_survives_hostile_input(app_url, hostile_files):
    failures = []
    for slug, api_name, parameters in endpoints(app_url):
        client = Client(f"{app_url}/demos/{slug}/", verbose=False)
        for label, args in hostile_calls(parameters, hostile_files):
            message = outcome(client, api_name, args)
            if message != "ok" and (not message.strip() or message.strip() in ("Error", "None")):
                failures.append(f"{slug}{api_name} with {label}: bare error {message!r}")
        # The server must still answer a normal request correctly right after.
        canary = Client(f"{app_url}/demos/sketcher/", verbose=False)
        assert canary.predict(handle_file(str(DIGIT)), api_name="/classify_digit")["label"] == "3"
    assert not failures, "\n".join(failures)


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
