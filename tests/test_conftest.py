"""The suite's own rules (tests/conftest.py), each checked on a small pytest session of its own:
a test without exactly one tier marker stops collection, a skip fails in CI, and a run that changes a
tracked file fails."""

from __future__ import annotations

import subprocess

import pytest

pytestmark = pytest.mark.unit

INI = """
[pytest]
markers =
    unit: u
    reference: r
    e2e: e
    browser: b
"""


def rules(pytester, *hooks: str) -> None:
    pytester.makeini(INI)
    pytester.makeconftest(f"from tests.conftest import {', '.join(hooks)}  # noqa: F401\n")


def test_a_test_without_exactly_one_tier_stops_collection(pytester):
    rules(pytester, "pytest_collection_modifyitems")
    pytester.makepyfile(
        test_marked="""
        import pytest

        pytestmark = pytest.mark.reference

        def test_from_the_module(): pass
        """,
        test_mixed="""
        import pytest

        @pytest.mark.unit
        def test_tiered(): pass

        def test_untiered(): pass

        @pytest.mark.unit
        @pytest.mark.e2e
        def test_two_tiers(): pass
        """,
    )
    result = pytester.runpytest("--collect-only", "-q")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = result.stderr.str()
    assert "test_mixed.py::test_untiered: no tier" in errors and "test_mixed.py::test_two_tiers: e2e and unit" in errors
    assert "test_tiered" not in errors and "test_from_the_module" not in errors

    pytester.makepyfile(test_mixed="import pytest\n\n@pytest.mark.unit\ndef test_tiered(): pass\n")
    assert pytester.runpytest("-q").ret == pytest.ExitCode.OK


def test_a_skip_fails_in_ci_and_skips_elsewhere(pytester, monkeypatch):
    rules(pytester, "pytest_runtest_makereport")
    pytester.makepyfile(
        """
        import pytest

        def test_skipped_inside(): pytest.skip("no data here")

        @pytest.mark.skipif(True, reason="not trained yet")
        def test_skipped_by_marker(): pass

        def test_imported_or_skipped(): pytest.importorskip("a_module_that_is_not_installed")

        def test_runs(): pass
        """
    )
    monkeypatch.setenv("CI", "true")
    in_ci = pytester.runpytest("-q")
    in_ci.assert_outcomes(passed=1, failed=2, errors=1)  # a skip decided at setup fails the setup
    in_ci.stdout.fnmatch_lines(["*skipped in CI*not trained yet*"])
    monkeypatch.setenv("CI", "false")
    pytester.runpytest("-q").assert_outcomes(passed=1, skipped=3)


def git(folder, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=folder, check=True, capture_output=True)


def test_a_run_that_changes_a_tracked_file_fails(pytester):
    rules(pytester, "pytest_sessionstart", "pytest_sessionfinish")
    pytester.makepyfile(
        test_writes="""
        from pathlib import Path

        def test_writes_to_tmp_path(tmp_path): (tmp_path / "picture.png").write_text("fine")
        """
    )
    (pytester.path / "picture.png").write_text("the committed picture")
    (pytester.path / "edited.txt").write_text("committed")
    git(pytester.path, "init", "-q")
    git(pytester.path, "add", ".")
    git(pytester.path, "commit", "-qm", "start")
    (pytester.path / "edited.txt").write_text("a change made before the run, and left alone by it")
    assert pytester.runpytest("-q", "-p", "no:cacheprovider").ret == pytest.ExitCode.OK

    pytester.makepyfile(
        test_writes="""
        from pathlib import Path

        def test_writes_into_the_repository(): Path("picture.png").write_text("overwritten")

        def test_edits_an_already_changed_file(): Path("edited.txt").write_text("changed again")
        """
    )
    git(pytester.path, "add", "test_writes.py")
    git(pytester.path, "commit", "-qm", "a test that writes")
    result = pytester.runpytest("-q", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*changed tracked files*: edited.txt, picture.png"])


def test_every_test_has_a_time_limit(request):
    """pytest-timeout (requirements-dev.txt) with the limit in pyproject.toml: a hung test fails."""
    assert request.config.pluginmanager.hasplugin("timeout")
    assert 0 < float(request.config.getini("timeout")) <= 600
