"""Fault injection for the sandbox provider: latency, error bursts, dropped connections, slow bodies, ...

A :class:`FaultPlan` is an immutable description of what should go wrong; :class:`FaultInjector` is the WSGI
middleware that applies its HTTP faults to the provider connector (control plane and data plane alike). The
other faults are applied by the connector itself: ``expired_edr`` makes the EDR issuer mint tokens that are
already expired, ``duplicate_callbacks`` and ``delayed_callbacks`` make the callback sender POST a callback
twice, or late (in a background thread) so that a later callback arrives first.

Rules match a request by an :mod:`fnmatch` pattern on its path (``*`` also matches ``/``, e.g.
``"*/catalog/request"`` or ``"/data/*"``) and optionally its method. Counted faults (error bursts, dropped
connections) hit the first ``count`` matching requests after the plan is set; jitter is drawn from a
``random.Random(plan.seed)``, so a plan replayed with the same requests in the same order behaves the same.
Every duration and count is bounded (see the ``MAX_*`` constants).

A dropped connection shuts the client socket down (werkzeug exposes it as ``environ["werkzeug.socket"]``)
and raises :class:`ConnectionAbortedError`, which werkzeug treats as a dropped connection: no status line
and no byte of response are written, and the client sees the connection closed.

```python
plan = FaultPlan(errors=(ErrorBurst("*/catalog/request", count=2, status=503, retry_after_s=0),))
with Sandbox(faults=plan) as ds:
    ...
    ds.faults = FaultPlan()          # back to normal
```
"""

from __future__ import annotations

import fnmatch
import random
import socket
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from d4h_sdk.errors import ConfigurationError

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

__all__ = [
    "MAX_COUNT",
    "MAX_DELAY_S",
    "CallbackDelay",
    "DropConnections",
    "ErrorBurst",
    "FaultInjector",
    "FaultPlan",
    "Latency",
    "SlowBody",
]

MAX_DELAY_S = 30.0
"""Longest latency, jitter, chunk delay, ``Retry-After`` or callback delay a rule may ask for."""

MAX_COUNT = 10_000
"""Largest number of requests a counted rule (error burst, dropped connections) may hit."""


def _check_delay(value: float, name: str) -> None:
    if isinstance(value, bool) or not 0 <= value <= MAX_DELAY_S:
        raise ConfigurationError(f"{name} must be between 0 and {MAX_DELAY_S:g} seconds, got {value!r}")


def _check_count(value: int, name: str) -> None:
    if isinstance(value, bool) or not 1 <= value <= MAX_COUNT:
        raise ConfigurationError(f"{name} must be between 1 and {MAX_COUNT}, got {value!r}")


@dataclass(frozen=True)
class _Rule:
    """A request matcher: an fnmatch pattern on the path and an optional method."""

    path: str = "*"
    method: str | None = None

    def matches(self, method: str, path: str) -> bool:
        """Whether a request with this method and path is hit by the rule."""
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return fnmatch.fnmatchcase(path, self.path)


@dataclass(frozen=True)
class Latency(_Rule):
    """Delay matching requests by ``seconds`` plus a uniform draw in ``[0, jitter_s]``.

    Raises:
        ConfigurationError: A duration out of bounds.
    """

    seconds: float = 0.0
    jitter_s: float = 0.0

    def __post_init__(self) -> None:
        _check_delay(self.seconds, "Latency.seconds")
        _check_delay(self.jitter_s, "Latency.jitter_s")


@dataclass(frozen=True)
class ErrorBurst(_Rule):
    """Answer the first ``count`` matching requests with ``status`` (a JSON error body) and ``Retry-After``.

    Raises:
        ConfigurationError: A status that is not 4xx/5xx, or a count or ``retry_after_s`` out of bounds.
    """

    count: int = 1
    status: int = 503
    retry_after_s: float | None = 1

    def __post_init__(self) -> None:
        _check_count(self.count, "ErrorBurst.count")
        if not 400 <= self.status <= 599:
            raise ConfigurationError(f"ErrorBurst.status must be 4xx or 5xx, got {self.status}")
        if self.retry_after_s is not None:
            _check_delay(self.retry_after_s, "ErrorBurst.retry_after_s")


@dataclass(frozen=True)
class DropConnections(_Rule):
    """Close the connection of the first ``count`` matching requests without answering.

    Raises:
        ConfigurationError: A count out of bounds.
    """

    count: int = 1

    def __post_init__(self) -> None:
        _check_count(self.count, "DropConnections.count")


@dataclass(frozen=True)
class SlowBody(_Rule):
    """Send the body of matching responses in ``chunk_bytes`` pieces, sleeping ``delay_s`` before each.

    The total added time is bounded by ``max_total_s``: after that, the rest is sent at full speed.

    Raises:
        ConfigurationError: A size or duration out of bounds.
    """

    chunk_bytes: int = 1024
    delay_s: float = 0.01
    max_total_s: float = 5.0

    def __post_init__(self) -> None:
        if isinstance(self.chunk_bytes, bool) or self.chunk_bytes < 1:
            raise ConfigurationError(f"SlowBody.chunk_bytes must be at least 1, got {self.chunk_bytes!r}")
        _check_delay(self.delay_s, "SlowBody.delay_s")
        _check_delay(self.max_total_s, "SlowBody.max_total_s")


@dataclass(frozen=True)
class CallbackDelay:
    """Send matching callbacks ``delay_s`` late, from a background thread, so later ones overtake them.

    Attributes:
        path: An fnmatch pattern on the callback URL's path (e.g. ``"*/transfers/*/start"``).
        delay_s: The delay.

    Raises:
        ConfigurationError: A delay out of bounds.
    """

    path: str
    delay_s: float = 0.5

    def __post_init__(self) -> None:
        _check_delay(self.delay_s, "CallbackDelay.delay_s")


@dataclass(frozen=True)
class FaultPlan:
    """What the sandbox provider should do wrong (immutable; the default plan injects nothing).

    Attributes:
        latency: Added latency per path pattern (every matching rule adds up).
        errors: Error bursts (the first matching rule with requests left answers).
        drops: Dropped connections.
        slow_bodies: Slowly streamed response bodies (the first matching rule applies).
        expired_edr: Mint EDR tokens that are already expired (the data plane answers 401).
        duplicate_callbacks: fnmatch patterns on callback URL paths; a matching callback is POSTed twice.
        delayed_callbacks: Callbacks sent late (out of order).
        seed: Seed of the jitter draws.
    """

    latency: tuple[Latency, ...] = ()
    errors: tuple[ErrorBurst, ...] = ()
    drops: tuple[DropConnections, ...] = ()
    slow_bodies: tuple[SlowBody, ...] = ()
    expired_edr: bool = False
    duplicate_callbacks: tuple[str, ...] = ()
    delayed_callbacks: tuple[CallbackDelay, ...] = field(default=())
    seed: int = 0

    def duplicates(self, path: str) -> bool:
        """Whether a callback to this URL path is to be sent twice."""
        return any(fnmatch.fnmatchcase(path, pattern) for pattern in self.duplicate_callbacks)

    def callback_delay(self, path: str) -> float:
        """How late a callback to this URL path is to be sent (0: on time)."""
        for rule in self.delayed_callbacks:
            if fnmatch.fnmatchcase(path, rule.path):
                return rule.delay_s
        return 0.0


class FaultInjector:
    """WSGI middleware applying a :class:`FaultPlan`'s HTTP faults to an application.

    Args:
        app: The wrapped application.
        plan: The initial plan.
        sleep: The sleep function (latency, slow bodies); by default a wait that :meth:`close` cuts short.

    Attributes:
        hits: How many requests each kind of fault hit (``latency``, ``error``, ``drop``, ``slow``).
    """

    def __init__(
        self,
        app: WSGIApplication,
        plan: FaultPlan | None = None,
        *,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self._app = app
        self._closing = threading.Event()
        self._sleep: Callable[[float], None] = sleep if sleep is not None else self._wait
        self._lock = threading.Lock()
        self._plan = FaultPlan()
        self._used: dict[tuple[str, int], int] = {}
        self._random = random.Random(0)
        self.hits: dict[str, int] = {}
        self.plan = plan if plan is not None else FaultPlan()

    @property
    def plan(self) -> FaultPlan:
        """The plan in force; setting it resets the counters and the jitter generator."""
        return self._plan

    @plan.setter
    def plan(self, plan: FaultPlan) -> None:
        if not isinstance(plan, FaultPlan):
            raise ConfigurationError(f"faults must be a FaultPlan, got {type(plan).__name__}")
        with self._lock:
            self._plan = plan
            self._used = {}
            self._random = random.Random(plan.seed)
            self.hits = {"latency": 0, "error": 0, "drop": 0, "slow": 0}

    def _take(self, kind: str, rules: Iterable[ErrorBurst | DropConnections], method: str, path: str) -> Any:
        """The first matching rule with requests left (and count it), or ``None``."""
        with self._lock:
            for index, rule in enumerate(rules):
                if rule.matches(method, path) and self._used.get((kind, index), 0) < rule.count:
                    self._used[(kind, index)] = self._used.get((kind, index), 0) + 1
                    self.hits[kind] += 1
                    return rule
        return None

    def _delay(self, plan: FaultPlan, method: str, path: str) -> float:
        total = 0.0
        with self._lock:
            for rule in plan.latency:
                if rule.matches(method, path):
                    total += rule.seconds + (self._random.uniform(0, rule.jitter_s) if rule.jitter_s else 0.0)
                    self.hits["latency"] += 1
        return total

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        plan = self._plan
        method = str(environ.get("REQUEST_METHOD", "GET"))
        path = str(environ.get("PATH_INFO", ""))
        if self._take("drop", plan.drops, method, path) is not None:
            _drop(environ)
        burst = self._take("error", plan.errors, method, path)
        delay = self._delay(plan, method, path)
        if delay:
            self._sleep(delay)
        if isinstance(burst, ErrorBurst):
            return _error(burst, environ, start_response)
        result = self._app(environ, start_response)
        slow = next((rule for rule in plan.slow_bodies if rule.matches(method, path)), None)
        if slow is None:
            return result
        with self._lock:
            self.hits["slow"] += 1
        return _Slow(result, slow, self._sleep)

    def _wait(self, seconds: float) -> None:
        self._closing.wait(seconds)

    def close(self) -> None:
        """End the injected waits in progress at once (so that a server can stop promptly)."""
        self._closing.set()

    def __repr__(self) -> str:
        return f"FaultInjector(plan={self._plan!r})"


def _drop(environ: WSGIEnvironment) -> None:
    """Shut the client connection down and abort the request (werkzeug writes nothing more)."""
    conn = environ.get("werkzeug.socket")
    if isinstance(conn, socket.socket):
        try:
            conn.shutdown(socket.SHUT_RDWR)
        except OSError as exc:
            raise ConnectionAbortedError("fault injection: the connection was already closed") from exc
    raise ConnectionAbortedError("fault injection: connection dropped")


def _error(burst: ErrorBurst, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    from d4h_sdk.sandbox._http_server import error_response

    headers = {}
    if burst.retry_after_s is not None:
        headers["Retry-After"] = f"{burst.retry_after_s:g}"
    response = error_response(burst.status, "fault injection: an injected error", headers=headers)
    return response(environ, start_response)


class _Slow:
    """A response body re-chunked into small pieces with sleeps in between (closes the wrapped body)."""

    def __init__(self, body: Iterable[bytes], rule: SlowBody, sleep: Callable[[float], None]) -> None:
        self._body = body
        self._rule = rule
        self._sleep = sleep

    def __iter__(self) -> Iterator[bytes]:
        size, budget = self._rule.chunk_bytes, self._rule.max_total_s
        for chunk in self._body:
            for start in range(0, len(chunk), size):
                if budget >= self._rule.delay_s > 0:
                    self._sleep(self._rule.delay_s)
                    budget -= self._rule.delay_s
                yield chunk[start : start + size]

    def close(self) -> None:
        close = getattr(self._body, "close", None)
        if callable(close):
            close()
