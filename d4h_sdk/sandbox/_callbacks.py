"""Callbacks from the sandbox provider to consumers: signed with the provider's SI token, retried with care.

:class:`CallbackSender` POSTs DSP messages to a consumer's callback address. Connection failures (no
response at all) are retried with a doubling pause; a timeout, an error status or a refused message are not,
since the consumer may have processed the message. A :class:`~d4h_sdk.sandbox._faults.FaultPlan` may
duplicate or delay callbacks.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from d4h_sdk import wire
from d4h_sdk._http import HttpClient, HttpResponse
from d4h_sdk.errors import APIConnectionError, APIError, APITimeoutError
from d4h_sdk.identity.auth import BearerTokenAuth
from d4h_sdk.sandbox._faults import FaultPlan
from d4h_sdk.sandbox._participants import Participant
from d4h_sdk.sandbox._sm_common import SendCallback

__all__ = ["DEFAULT_DIALECT", "CallbackSender"]

_log = logging.getLogger("d4h_sdk.sandbox")

DEFAULT_DIALECT = "dsp-2025-1"
"""The dialect of a process whose record names none."""


class CallbackSender:
    """POSTs callback messages to consumers, signed with the provider's SI token.

    Args:
        participant: The provider (signs each attempt with a fresh SI token for the consumer).
        http: The client (retries disabled: this class retries connection errors itself).
        attempts: Attempts per callback.
        backoff_s: First pause between attempts (doubled each time).
        sleep: Sleep function.
        faults: Returns the fault plan in force (duplicate and delayed callbacks); default none.
    """

    def __init__(
        self,
        participant: Participant,
        http: HttpClient,
        *,
        attempts: int = 3,
        backoff_s: float = 0.05,
        sleep: Callable[[float], None] = time.sleep,
        faults: Callable[[], FaultPlan] | None = None,
    ) -> None:
        self._participant = participant
        self._http = http
        self._attempts = max(1, attempts)
        self._backoff_s = backoff_s
        self._sleep = sleep
        self._faults = faults
        self._late: list[threading.Thread] = []
        self._late_lock = threading.Lock()
        self._closing = threading.Event()

    def send(self, callback: SendCallback, *, dialect: str | None, audience: str | None) -> bool:
        """Send one callback; return whether the consumer acknowledged it (2xx).

        Connection failures (no response at all) are retried; a timeout, an error status or a refused
        message are not, since the consumer may have processed the message. Under a fault plan, a
        callback may be sent twice (the result is the first one's) or late from a background thread (the
        result is then ``True`` at once).
        """
        plan = self._faults() if self._faults is not None else None
        path = urlsplit(callback.url).path
        delay = plan.callback_delay(path) if plan is not None else 0.0
        if delay > 0:
            late = threading.Thread(
                target=self._send_late,
                args=(delay, callback, dialect, audience),
                name="d4h-provider-late-callback",
                daemon=True,
            )
            with self._late_lock:
                self._late = [thread for thread in self._late if thread.is_alive()]
                self._late.append(late)
            late.start()
            return True
        sent = self._send(callback, dialect=dialect, audience=audience)
        if plan is not None and plan.duplicates(path):
            self._send(callback, dialect=dialect, audience=audience)
        return sent

    def _send_late(
        self, delay: float, callback: SendCallback, dialect: str | None, audience: str | None
    ) -> None:
        self._closing.wait(delay)
        self._send(callback, dialect=dialect, audience=audience)

    def close(self) -> None:
        """Send the late callbacks still pending at once and wait for them."""
        self._closing.set()
        with self._late_lock:
            late, self._late = self._late, []
        for thread in late:
            thread.join()

    def exchange(self, callback: SendCallback, *, dialect: str | None, audience: str | None) -> HttpResponse:
        """POST one message and return the consumer's 2xx answer (no fault plan applies).

        Connection failures are retried like callbacks; anything else is raised at once.

        Raises:
            APIConnectionError: The consumer could not be reached after every attempt.
            APITimeoutError: The consumer did not answer in time.
            APIStatusError: The consumer answered with an error status.
        """
        body = wire.encode(callback.message, dialect=dialect or DEFAULT_DIALECT)
        attempt = 0
        while True:
            auth = BearerTokenAuth(self._participant.issue_token(audience)) if audience else None
            try:
                return self._http.post(callback.url, json=body, auth=auth)
            except APITimeoutError:
                raise
            except APIConnectionError:
                attempt += 1
                if attempt >= self._attempts:
                    raise
                self._sleep(self._backoff_s * (2 ** (attempt - 1)))

    def _send(self, callback: SendCallback, *, dialect: str | None, audience: str | None) -> bool:
        try:
            self.exchange(callback, dialect=dialect, audience=audience)
        except APITimeoutError as exc:
            _log.warning("callback %s timed out; not retried: %s", callback.url, exc)
            return False
        except APIConnectionError as exc:
            _log.warning("callback %s failed after %d attempts: %s", callback.url, self._attempts, exc)
            return False
        except APIError as exc:
            _log.warning("callback %s was refused: %s", callback.url, exc)
            return False
        return True
