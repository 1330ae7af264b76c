"""Usage errors exit 2 with a message; a missing configuration is said clearly; the default store path."""

from __future__ import annotations

from pathlib import Path

import pytest

from d4h_sdk.sandbox import Sandbox
from tests.cli.conftest import DATASET, Run


def test_an_unknown_purpose_name_exits_2_with_the_names(d4h: Run, sandbox: Sandbox) -> None:
    done = d4h("negotiate", sandbox.provider_url, DATASET, "--purpose", "curiosity")
    assert done.code == 2
    assert "unknown purpose 'curiosity'" in done.err
    for name in ("SCIENTIFIC_RESEARCH", "ADVERTISING", "AI_TRAINING"):
        assert name in done.err


@pytest.mark.parametrize(
    "argv",
    [
        ("negotiate", "http://127.0.0.1:1/dsp", DATASET),  # --purpose is required
        ("catalog",),  # PROVIDER_URL is required
        ("catalog", "http://127.0.0.1:1/dsp", "--limit", "0"),
        ("catalog", "http://127.0.0.1:1/dsp", "--api-version", "v5"),
        ("fetch", "urn:uuid:a"),  # -o FILE is required
        ("negotiate", "http://127.0.0.1:1/dsp", DATASET, "--purpose", "EDUCATION", "--timeout", "-1"),
        ("negotiations", "resume"),
        (),  # no command
    ],
)
def test_bad_arguments_exit_2(d4h: Run, argv: tuple[str, ...]) -> None:
    done = d4h(*argv)
    assert done.code == 2
    assert "usage: d4h" in done.err


def test_a_purpose_iri_is_accepted(d4h: Run, sandbox: Sandbox) -> None:
    iri = "https://w3id.org/dpv/legal/eu/ehds#HealthcareScientificResearch"
    done = d4h("catalog", sandbox.provider_url, "--provider-id", sandbox.provider.did, "--purpose", iri)
    assert done.code == 0, done.err
    assert "undecided" in done.out


def test_a_missing_management_url_is_said_clearly(d4h: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("D4H_MANAGEMENT_URL")
    done = d4h("catalog", "http://127.0.0.1:1/dsp")
    assert done.code == 2
    assert "no management URL" in done.err and "--management-url" in done.err
    assert "D4H_MANAGEMENT_URL" in done.err


def test_a_provider_url_that_is_not_http_exits_1(d4h: Run) -> None:
    done = d4h("catalog", "hospital.example")
    assert done.code == 1
    assert "http(s) URL" in done.err


def test_negotiations_uses_the_default_store_path(
    d4h: Run, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("D4H_STORE_PATH")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    done = d4h("negotiations")
    assert done.code == 0, done.err
    assert "0 negotiation(s)" in done.out
    assert (tmp_path / "xdg" / "d4h" / "store.sqlite").is_file()
    explicit = d4h("negotiations", "--store", str(tmp_path / "other.sqlite"), "--json")
    assert explicit.code == 0 and explicit.out.strip() == "[]"
    assert (tmp_path / "other.sqlite").is_file()


def test_a_store_that_cannot_be_opened_exits_1(d4h: Run, tmp_path: Path) -> None:
    broken = tmp_path / "not-a-store.sqlite"
    broken.write_bytes(b"this is not a database" * 100)
    done = d4h("negotiations", "--store", str(broken))
    assert done.code == 1
    assert "d4h negotiations: error:" in done.err and "Traceback" not in done.err
