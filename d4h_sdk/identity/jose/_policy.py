"""``JwtPolicy``: what :func:`~d4h_sdk.identity.jose.verify_compact` requires of a token."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from d4h_sdk.errors import ConfigurationError
from d4h_sdk.identity.jose._algs import check_policy_algorithms

__all__ = ["DEFAULT_MAX_TOKEN_BYTES", "JwtPolicy"]

DEFAULT_MAX_TOKEN_BYTES = 65536
"""Largest token accepted by default; anything larger is refused before it is parsed."""


def _strings(value: str | Sequence[str] | None, name: str) -> tuple[str, ...] | None:
    if value is None:
        return None
    items = (value,) if isinstance(value, str) else tuple(value)
    if not items or not all(isinstance(item, str) and item for item in items):
        raise ConfigurationError(f"{name} must be a non-empty string or a non-empty list of them")
    return items


@dataclass(frozen=True)
class JwtPolicy:
    """The checks a JWT must pass, beyond its signature.

    Sequences are stored as tuples. Every time claim is checked with ``leeway_s`` of tolerance: ``exp``
    (``now < exp + leeway``), ``nbf`` (``nbf <= now + leeway``), ``iat`` (not in the future, and not older
    than ``max_age_s``).

    Attributes:
        audience: Accepted audience(s): the token's ``aud`` (a string or a list) must contain one of them.
            ``None`` turns the audience check off; it has no default so that turning it off is explicit.
        issuer: Required ``iss``, or ``None``.
        subject: Required ``sub``, or ``None``.
        algorithms: Accepted JOSE algorithms, intersected with what the key type allows; ``None`` accepts
            exactly what the key type allows. ``none`` and ``HS*`` are never accepted.
        leeway_s: Clock-skew tolerance in seconds.
        max_age_s: Largest accepted age (``now - iat``) in seconds, or ``None``.
        required: Claims that must be present.
        typ: Accepted ``typ`` header value(s) (compared case-insensitively, ``application/`` prefix optional),
            or ``None`` to accept any.
        max_token_bytes: Larger tokens are refused before parsing.
        require_kid_prefix: Require the header ``kid`` to be a key of the issuer: it must start with
            ``issuer + "#"`` (``issuer`` from the policy, else the token's ``iss``); EDC's rule for DCP
            tokens.
        clock: Epoch-seconds clock.

    Raises:
        ConfigurationError: An option is out of range or an algorithm is never acceptable.
    """

    audience: str | Sequence[str] | None
    issuer: str | None = None
    subject: str | None = None
    algorithms: Sequence[str] | None = None
    leeway_s: float = 5
    max_age_s: float | None = 600
    required: Sequence[str] = ("exp", "iat")
    typ: str | Sequence[str] | None = None
    max_token_bytes: int = DEFAULT_MAX_TOKEN_BYTES
    require_kid_prefix: bool = False
    clock: Callable[[], float] = field(default=time.time, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "audience", _strings(self.audience, "audience"))
        object.__setattr__(self, "typ", _strings(self.typ, "typ"))
        algorithms = _strings(self.algorithms, "algorithms")
        if algorithms is not None:
            check_policy_algorithms(algorithms)
        object.__setattr__(self, "algorithms", algorithms)
        required = (self.required,) if isinstance(self.required, str) else tuple(self.required)
        if not all(isinstance(name, str) and name for name in required):
            raise ConfigurationError("required must list claim names")
        object.__setattr__(self, "required", required)
        for name in ("issuer", "subject"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, str) or not value):
                raise ConfigurationError(f"{name} must be a non-empty string or None")
        if not (math.isfinite(self.leeway_s) and self.leeway_s >= 0):
            raise ConfigurationError(f"leeway_s must be 0 or more, got {self.leeway_s}")
        if self.max_age_s is not None and not (math.isfinite(self.max_age_s) and self.max_age_s > 0):
            raise ConfigurationError(f"max_age_s must be positive or None, got {self.max_age_s}")
        if self.max_token_bytes <= 0:
            raise ConfigurationError(f"max_token_bytes must be positive, got {self.max_token_bytes}")
