"""SessionConfig: precedence (arguments > D4H_* environment > defaults), validation, replace."""

from __future__ import annotations

import pytest

from d4h_sdk import ConfigurationError, SessionConfig
from d4h_sdk.config import ENVIRONMENT


def test_defaults_without_environment() -> None:
    config = SessionConfig.resolve(environ={})
    assert config == SessionConfig()
    assert config.poll_initial == pytest.approx(0.05)
    assert config.verify_tls is True


def test_environment_overrides_defaults_and_arguments_override_environment() -> None:
    env = {"D4H_READ_TIMEOUT": "12.5", "D4H_MAX_WORKERS": "3", "D4H_VERIFY_TLS": "no"}
    config = SessionConfig.resolve(environ=env)
    assert (config.read_timeout, config.max_workers, config.verify_tls) == (12.5, 3, False)
    config = SessionConfig.resolve(environ=env, max_workers=5, read_timeout=None)
    assert config.max_workers == 5
    assert config.read_timeout == 12.5  # None means "not given"


def test_every_environment_variable_names_a_field() -> None:
    fields = set(SessionConfig.__dataclass_fields__)
    assert {name for name, _ in ENVIRONMENT.values()} <= fields


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("D4H_READ_TIMEOUT", "soon"),
        ("D4H_VERIFY_TLS", "maybe"),
        ("D4H_MAX_RETRIES", "-1"),
        ("D4H_POLL_MAX", "0"),
    ],
)
def test_invalid_environment_names_the_variable(variable: str, value: str) -> None:
    with pytest.raises(ConfigurationError, match=variable):
        SessionConfig.resolve(environ={variable: value})


def test_download_cap_none_in_environment() -> None:
    assert SessionConfig.resolve(environ={"D4H_MAX_DOWNLOAD_BYTES": "none"}).max_download_bytes is None
    assert SessionConfig.resolve(environ={"D4H_MAX_DOWNLOAD_BYTES": "1024"}).max_download_bytes == 1024


@pytest.mark.parametrize(
    "changes",
    [
        {"read_timeout": 0},
        {"read_timeout": True},
        {"max_workers": 0},
        {"poll_factor": 0.5},
        {"poll_initial": 3.0, "poll_max": 1.0},
        {"max_download_bytes": 0},
        {"verify_tls": "yes"},
        {"edr_refresh_margin": -1},
    ],
)
def test_invalid_values_are_refused(changes: dict[str, object]) -> None:
    with pytest.raises(ConfigurationError):
        SessionConfig().replace(**changes)


def test_unknown_option_is_refused_with_the_known_ones() -> None:
    with pytest.raises(ConfigurationError, match="read_timeout"):
        SessionConfig.resolve(environ={}, read_timeot=3)
    with pytest.raises(ConfigurationError, match="unknown"):
        SessionConfig().replace(colour="blue")


def test_replace_returns_a_validated_copy() -> None:
    base = SessionConfig()
    changed = base.replace(negotiation_timeout=3600)
    assert changed.negotiation_timeout == 3600 and base.negotiation_timeout == 300
    assert changed.http_options() == {"timeout": (5.0, 30.0), "max_retries": 2, "verify": True}
