"""EDC callback events of the consumer facade: ``callbackAddresses`` of negotiations and transfers.

EDC POSTs an event envelope ``{"id", "at", "type", "payload"}`` to every callback address whose ``events``
prefix-match the event name (``contract.negotiation`` matches ``contract.negotiation.finalized``). The
facade learns state changes from its connector: one watcher thread (started with the first watched
process, stopped by :meth:`EventNotifier.close`) reads the watched processes every ``poll_s`` and sends
one event per state passed, in order. Event types and payload keys follow EDC's
(``ContractNegotiationFinalized`` with ``contractAgreement``, ``TransferProcessStarted`` with the
``dataAddress`` of a pull transfer; EDC puts the EDR token in it, and so does the sandbox).
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from d4h_sdk._http import HttpClient
from d4h_sdk.connectors import Connector
from d4h_sdk.errors import D4HError
from d4h_sdk.models.management import CallbackAddress
from d4h_sdk.sandbox._management_common import now_ms
from d4h_sdk.wire._terms import EDC

__all__ = ["EventNotifier", "Watch"]

_log = logging.getLogger("d4h_sdk.sandbox")

_NEGOTIATION_PATH = ("REQUESTED", "AGREED", "VERIFIED", "FINALIZED")
_TRANSFER_PATH = ("REQUESTED", "STARTED")


@dataclass
class Watch:
    """A process whose state changes are sent to callback addresses.

    Attributes:
        kind: ``negotiation`` or ``transfer``.
        id: The process id.
        callbacks: Where to send the events.
        payload: The fixed part of each event's payload (ids, counter-party, protocol...).
        last: The last state an event was sent for.
    """

    kind: str
    id: str
    callbacks: tuple[CallbackAddress, ...]
    payload: dict[str, Any]
    last: str | None = None
    sent: list[str] = field(default_factory=list)


def _passed(path: Sequence[str], last: str | None, state: str) -> list[str]:
    """The states between ``last`` (excluded) and ``state`` (included) along the usual path."""
    if state in path and (last is None or last in path):
        start = path.index(last) + 1 if last is not None else 0
        end = path.index(state) + 1
        if start < end:
            return list(path[start:end])
    return [state]


def _event_name(kind: str, state: str) -> tuple[str, str]:
    prefix, type_prefix = (
        ("contract.negotiation", "ContractNegotiation")
        if kind == "negotiation"
        else ("transfer.process", "TransferProcess")
    )
    return f"{prefix}.{state.lower()}", type_prefix + state.capitalize()


def _wants(callback: CallbackAddress, event: str) -> bool:
    return any(event == e or event.startswith(e + ".") or not e for e in callback.events)


class EventNotifier:
    """Sends EDC events for watched processes of one consumer facade.

    Args:
        connector: Returns the facade's connector.
        http: The client callbacks are POSTed with (not closed).
        poll_s: Pause between two reads of the watched processes.
    """

    def __init__(self, connector: Callable[[], Connector], http: HttpClient, *, poll_s: float = 0.05) -> None:
        self._connector = connector
        self._http = http
        self._poll_s = poll_s
        self._lock = threading.Lock()
        self._watches: dict[str, Watch] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def watch(self, watch: Watch) -> None:
        """Send events for ``watch`` from now on (starts the watcher thread on first use)."""
        with self._lock:
            if self._stop.is_set():
                return
            self._watches[watch.id] = watch
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="d4h-sandbox-mgmt-events", daemon=True)
                self._thread.start()

    def close(self) -> None:
        """Stop the watcher thread (idempotent)."""
        self._stop.set()
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self._poll_s):
            with self._lock:
                watches = list(self._watches.values())
            for watch in watches:
                if self._stop.is_set():
                    return
                try:
                    self._check(watch)
                except D4HError as exc:
                    _log.debug("management events: cannot read %s %s: %s", watch.kind, watch.id, exc)

    def _check(self, watch: Watch) -> None:
        connector = self._connector()
        extra: dict[str, Any] = {}
        if watch.kind == "negotiation":
            status = connector.get_negotiation(watch.id)
            state = status.state.value
            path: Sequence[str] = _NEGOTIATION_PATH
            if status.agreement is not None:
                from d4h_sdk import wire

                extra["contractAgreement"] = wire.encode(status.agreement, dialect="edc-v3")
            final = status.state.is_final
        else:
            transfer = connector.get_transfer(watch.id)
            state = transfer.state.value
            path = _TRANSFER_PATH
            final = transfer.state.is_final
            if state == "STARTED" and (watch.payload.get("transferType") or "").endswith("-PULL"):
                extra["dataAddress"] = _data_address(connector, watch.id)
        if state == watch.last:
            return
        for passed in _passed(path, watch.last, state):
            self._send(watch, passed, extra)
        watch.last = state
        if final:
            with self._lock:
                self._watches.pop(watch.id, None)

    def _send(self, watch: Watch, state: str, extra: Mapping[str, Any]) -> None:
        event, type_name = _event_name(watch.kind, state)
        payload = {**watch.payload, **extra}
        envelope = {"id": str(uuid.uuid4()), "at": now_ms(), "type": type_name, "payload": payload}
        watch.sent.append(type_name)
        for callback in watch.callbacks:
            if not _wants(callback, event):
                continue
            try:
                self._http.post(callback.uri, json=envelope)
            except D4HError as exc:
                _log.info("management events: callback %s for %s failed: %s", type_name, watch.id, exc)


def _data_address(connector: Connector, transfer_id: str) -> dict[str, Any]:
    edr = connector.get_edr(transfer_id)
    properties = {
        EDC + "type": edr.endpoint_type,
        EDC + "endpointType": edr.endpoint_type,
        EDC + "endpoint": edr.endpoint,
        EDC + "authType": edr.auth_type or "bearer",
        EDC + "authorization": edr.authorization,
    }
    return {"properties": {k: v for k, v in properties.items() if v is not None}}
