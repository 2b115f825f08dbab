"""One user-facing error type: `core.errors.UserError`, turned into `gr.Error` in one place
(`demos.user_errors`); any other exception is a bug and goes on as it is."""

from __future__ import annotations

import ast
import inspect
import subprocess
import sys
import typing
from pathlib import Path

import gradio as gr
import pytest

from core.digits.preprocess import NoInkError
from core.errors import UserError, whole_number
from core.playground.settings import SettingsError
from demos import DEMOS, uploaded_path, user_errors

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.unit


def test_a_user_error_reaches_the_visitor_as_its_own_message():
    @user_errors
    def handler(layer: str) -> str:
        raise UserError(f"Unknown layer {layer!r}: choose one of conv1, conv2.")

    with pytest.raises(gr.Error) as error:
        handler("conv9")
    assert error.value.message == "Unknown layer 'conv9': choose one of conv1, conv2."
    assert isinstance(error.value.__cause__, UserError)


@pytest.mark.parametrize("raised", [NoInkError(), SettingsError("Check the settings: width must be between 1 and 256.")])
def test_the_specific_user_errors_are_user_errors_too(raised):
    @user_errors
    def handler():
        raise raised

    with pytest.raises(gr.Error) as error:
        handler()
    assert error.value.message == str(raised) and str(raised)


@pytest.mark.parametrize("bug", [ZeroDivisionError("division by zero"), ValueError("expected 4D input"), TypeError("bad operand")])
def test_any_other_exception_is_not_turned_into_a_message(bug):
    @user_errors
    def handler():
        raise bug

    with pytest.raises(type(bug)) as error:
        handler()
    assert error.value is bug and not isinstance(error.value, gr.Error)


def test_a_streaming_handler_stays_a_generator_and_its_user_errors_become_messages():
    @user_errors
    def train(epochs: int):
        yield "epoch 1"
        raise UserError("The MNIST files are not there.")

    assert inspect.isgeneratorfunction(train)  # Gradio streams only generator functions
    stream = train(3)
    assert next(stream) == "epoch 1"
    with pytest.raises(gr.Error, match="MNIST files"):
        next(stream)

    @user_errors
    def broken():
        yield 1
        raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        list(broken())


def test_a_wrapped_handler_keeps_its_signature_and_type_hints_for_gr_api():
    def classify(text: str, model: str = "scratch") -> dict:
        return {}

    wrapped = user_errors(classify)
    assert inspect.signature(wrapped) == inspect.signature(classify)
    assert typing.get_type_hints(wrapped) == {"text": str, "model": str, "return": dict}


def test_every_event_of_every_demo_goes_through_the_one_converter():
    unwrapped = []
    for demo in DEMOS:
        page = demo.load().build()
        for block_fn in page.fns.values():
            ours = block_fn.fn is not None and block_fn.fn.__module__.startswith("demos")  # not Gradio's own (Examples)
            if ours and not block_fn.fn.__code__.co_qualname.startswith("user_errors."):
                unwrapped.append(f"{demo.slug}: {block_fn.fn.__qualname__}")
    assert not unwrapped


def test_no_demo_makes_messages_of_its_own_or_catches_errors_in_general():
    # The one converter lives in demos/__init__.py; a handler that caught ValueError (or Exception)
    # to show it would also show torch's own errors, which are bugs.
    general = {"Exception", "BaseException", "ValueError", "TypeError", "OverflowError", "ArithmeticError", "RuntimeError"}
    found = []
    # demos/visitors/ and the class API are no pages: the middleware in front of them, and the JSON
    # routes of demos/classroom/api.py, parse headers, cookies and bodies that anyone may send, and
    # answer with HTTP statuses, never a handler's message.
    class_api = ROOT / "demos" / "classroom" / "api.py"
    pages = [path for path in sorted((ROOT / "demos").rglob("*.py")) if "visitors" not in path.parts and path != class_api]
    for path in pages:  # a page that outgrew one file is a package
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ExceptHandler):
                caught = node.type.elts if isinstance(node.type, ast.Tuple) else [node.type]
                names = {getattr(c, "id", getattr(c, "attr", None)) for c in caught if c is not None}
                if node.type is None or names & general:
                    found.append(f"{path.name}:{node.lineno} catches {names or 'everything'}")
            if path.name != "__init__.py" and isinstance(node, ast.Call) and ast.unparse(node.func) == "gr.Error":
                found.append(f"{path.name}:{node.lineno} raises gr.Error itself")
    assert not found


def test_an_api_file_must_be_an_upload_not_a_path_on_the_server():
    upload = {"path": "/tmp/gradio/abc/digit.png", "meta": {"_type": "gradio.FileData"}, "orig_name": "digit.png"}
    assert uploaded_path(upload) == "/tmp/gradio/abc/digit.png"
    # Gradio checks only what is marked as a file: a bare path, or a dict without the mark, would
    # reach the function unchecked and could name any file on the server.
    for sent in ["/etc/passwd", {"path": "/etc/passwd"}, {"path": "/etc/passwd", "meta": "gradio.FileData"}, None, 42]:
        with pytest.raises(UserError, match="handle_file"):
            uploaded_path(sent)


@pytest.mark.parametrize(
    "sent,expected", [(3, 3), (3.0, 3), ("12", 12), (" 7 ", 7), (True, 1), (2**63 - 1, 2**63 - 1), ("9223372036854775807", 2**63 - 1)]
)
def test_whole_numbers_are_read_exactly(sent, expected):
    assert whole_number(sent, "seed", 0, 2**63 - 1) == expected


@pytest.mark.parametrize("sent", [1.5, "seven", None, float("nan"), float("inf"), [1], -1, 2**63, 10**5000], ids=lambda v: type(v).__name__)
def test_other_numbers_are_refused_with_the_range(sent):
    with pytest.raises(UserError, match=r"seed must be between 0 and 9,223,372,036,854,775,807, a whole number; got"):
        whole_number(sent, "seed", 0, 2**63 - 1)


def test_core_errors_imports_nothing_heavy():
    code = "import sys, core.errors; sys.exit(sorted({'torch', 'gradio', 'numpy', 'PIL'} & set(sys.modules)) or 0)"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
