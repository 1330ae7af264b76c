"""The pytest plugin: ``d4h_sandbox`` (session) and ``d4h_sandbox_fresh`` (function), run through pytester."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytest_plugins = ["pytester"]

_TESTS = """
import pytest

SEEN = []


def test_session_a(d4h_sandbox):
    SEEN.append(d4h_sandbox)
    assert sorted(d4h_sandbox.participants) == ["ad-company", "hospital", "research-lab"]


def _sandbox_threads():
    import threading

    return sorted(t.name for t in threading.enumerate() if t.name.startswith("d4h-") and t.is_alive())


def test_session_b(d4h_sandbox):
    assert SEEN and d4h_sandbox is SEEN[0]  # one sandbox for the whole session
    SEEN.append(_sandbox_threads())


def test_fresh_one(d4h_sandbox_fresh, d4h_sandbox):
    SEEN.append(d4h_sandbox_fresh)
    assert d4h_sandbox_fresh is not d4h_sandbox
    assert d4h_sandbox_fresh.provider_url != d4h_sandbox.provider_url


def test_fresh_two(d4h_sandbox_fresh):
    assert d4h_sandbox_fresh is not SEEN[-1]  # a new one per test


def test_the_fresh_sandboxes_are_stopped(d4h_sandbox):
    assert _sandbox_threads() == SEEN[1]  # only the session sandbox's threads are left


def test_version_endpoint_answers(d4h_sandbox):
    from d4h_sdk._http import HttpClient

    with HttpClient(timeout=(2, 5), max_retries=0) as http:
        body = http.get(d4h_sandbox.version_url).json()
    assert {v["version"] for v in body["protocolVersions"]} == {"2025-1", "2024-1"}


@pytest.mark.d4h_sandbox(seed=5, patients=3)
def test_marker_sets_the_fresh_options(d4h_sandbox_fresh):
    cohort = next(d for d in d4h_sandbox_fresh.datasets if d.id == "diabetes-cohort")
    assert cohort.summary is not None and cohort.summary.patients == 3


def test_options_set_the_session_sandbox(d4h_sandbox):
    cohort = next(d for d in d4h_sandbox.datasets if d.id == "diabetes-cohort")
    assert cohort.summary is not None and cohort.summary.patients == 4  # --d4h-sandbox-patients 4


@pytest.mark.d4h_sandbox(colour="red")
def test_unknown_marker_option(d4h_sandbox_fresh):
    pass
"""


def test_fixtures_in_a_user_test_suite(pytester: pytest.Pytester) -> None:
    # a subprocess: pytester's in-process runs re-import cryptography, which breaks its key classes
    pytester.makepyfile(test_user=_TESTS)
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--strict-markers", "--d4h-sandbox-seed", "9", "--d4h-sandbox-patients", "4"
    )
    result.assert_outcomes(passed=8, errors=1)
    result.stdout.fnmatch_lines(["*ERROR*test_unknown_marker_option*", "*unknown options ?'colour'?*"])


def test_bad_options_are_usage_errors(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_bad="def test_nothing():\n    pass\n")
    result = pytester.runpytest_subprocess("--d4h-sandbox-patients", "0")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--d4h-sandbox-patients: must be at least 1, not 0*"])


def test_the_plugin_is_registered_and_light() -> None:
    code = (
        "import sys, importlib.metadata as m\n"
        "eps = [e for e in m.entry_points(group='pytest11') if e.name == 'd4h_sdk']\n"
        "assert eps and eps[0].value == 'd4h_sdk.testing._plugin', eps\n"
        "eps[0].load()\n"
        "heavy = sorted(n for n in ('werkzeug', 'jwcrypto', 'pyld', 'rdflib', 'd4h_sdk.sandbox') if n in sys.modules)\n"
        "assert heavy == [], heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
