"""Waiting for a process to change: a monotonic deadline, adaptive polling, callbacks where available.

The first poll comes after ``poll_initial`` (50 ms by default), then the delay grows by ``poll_factor`` up to
``poll_max``. With a :class:`~d4h_sdk.connectors.ChangeNotifier` backend (``DspConnector``), each pause ends
as soon as a callback for the process arrives, so a change is seen within milliseconds, not at the next poll.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from d4h_sdk.config import REFUSAL_STATUSES
from d4h_sdk.connectors import ChangeNotifier
from d4h_sdk.errors import APIStatusError

__all__ = ["PollPolicy", "WaitOutcome", "send_unless_refused", "wait_for"]

S = TypeVar("S")

_log = logging.getLogger("d4h_sdk.negotiation")

_SEND_ATTEMPTS = 3
"""Sends of a state-creating request that the peer refused outright (see ``REFUSAL_STATUSES``)."""


@dataclass(frozen=True)
class PollPolicy:
    """Adaptive polling: first delay, growth factor, cap; clock and sleep injectable for tests."""

    initial: float = 0.05
    factor: float = 1.6
    maximum: float = 2.0
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep

    def delays(self) -> Callable[[], float]:
        """A function returning the next delay each time it is called."""
        current = [self.initial]

        def next_delay() -> float:
            delay = current[0]
            current[0] = min(self.maximum, delay * self.factor)
            return delay

        return next_delay


@dataclass(frozen=True)
class WaitOutcome(Generic[S]):
    """What a wait saw last, and whether it was done (``False``: the deadline passed first)."""

    status: S
    done: bool
    polls: int


def wait_for(
    fetch: Callable[[], S],
    done: Callable[[S], bool],
    *,
    timeout: float,
    policy: PollPolicy,
    notifier: object | None = None,
    process_id: str | None = None,
    on_change: Callable[[S], None] | None = None,
    key: Callable[[S], object] = lambda status: status,
) -> WaitOutcome[S]:
    """Fetch ``status`` until ``done(status)`` or the deadline.

    Args:
        fetch: Returns the current status (one request, or a local read).
        done: True when the wait is over (a final or the awaited state).
        timeout: Seconds from now.
        policy: Poll delays, clock and sleep.
        notifier: The connector; used when it is a :class:`ChangeNotifier`.
        process_id: The process whose callbacks end a pause early.
        on_change: Called with each status whose ``key`` differs from the previous one (the first included).
        key: What counts as a change (default: the status itself).

    Returns:
        The last status, whether it was done, and how many times it was fetched.
    """
    deadline = policy.clock() + timeout
    next_delay = policy.delays()
    listener = notifier if isinstance(notifier, ChangeNotifier) and process_id is not None else None
    previous: object = object()
    polls = 0
    while True:
        status = fetch()
        polls += 1
        marker = key(status)
        if on_change is not None and marker != previous:
            on_change(status)
        previous = marker
        if done(status):
            return WaitOutcome(status, True, polls)
        left = deadline - policy.clock()
        if left <= 0:
            return WaitOutcome(status, False, polls)
        pause = min(next_delay(), left)
        if listener is not None:
            assert process_id is not None
            listener.wait_for_change(process_id, pause)
        else:
            policy.sleep(pause)


def send_unless_refused(send: Callable[[], S], *, what: str, policy: PollPolicy) -> S:
    """Send a state-creating request, and again (up to 3 sends) only while the peer refuses it outright.

    A status of :data:`~d4h_sdk.config.REFUSAL_STATUSES` means nothing was created, so sending again makes no
    duplicate; any other failure (a 500, a dropped connection) is raised at once.

    Args:
        send: Sends the request once and returns its result.
        what: What is sent, for the log (``"contract request"``).
        policy: Supplies the pause (``initial * 4**attempt``, at most ``maximum``) and the sleep function.
    """
    for attempt in range(1, _SEND_ATTEMPTS + 1):
        try:
            return send()
        except APIStatusError as exc:
            if exc.status_code not in REFUSAL_STATUSES or attempt == _SEND_ATTEMPTS:
                raise
            _log.info(
                "%s refused with %s; sending again (%d/%d)", what, exc.status_code, attempt, _SEND_ATTEMPTS
            )
            policy.sleep(min(policy.maximum, policy.initial * (4**attempt)))
    raise AssertionError("unreachable")  # pragma: no cover
