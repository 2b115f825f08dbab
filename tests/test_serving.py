"""What every served page reads from the environment at start (demos/__init__.py): a setting that
cannot be used stops the server there, with a message that says what is expected."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from demos import delete_cache_setting

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.unit


def test_two_whole_numbers_are_how_often_to_sweep_and_how_old_a_file_may_get():
    assert delete_cache_setting("600,3600") == (600, 3600)
    assert delete_cache_setting(" 5, 10 ") == (5, 10)


@pytest.mark.parametrize("text", ["3600", "600,3600,60", "", "ten,3600", "600;3600", "600,3600.5", "0,3600", "600,-1"])
def test_anything_else_is_refused_with_what_is_expected(text):
    with pytest.raises(ValueError, match=r'GALLERY_DELETE_CACHE must be two whole numbers of seconds.*"600,3600"'):
        delete_cache_setting(text)


def test_the_server_stops_at_start_on_a_setting_it_cannot_use():
    environment = {**os.environ, "GALLERY_DELETE_CACHE": "3600"}
    result = subprocess.run([sys.executable, "-c", "import demos"], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=300)
    assert result.returncode != 0
    assert "GALLERY_DELETE_CACHE must be two whole numbers of seconds" in result.stderr.splitlines()[-1]
