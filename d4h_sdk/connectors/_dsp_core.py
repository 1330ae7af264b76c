"""The machinery of :class:`~d4h_sdk.connectors.DspConnector`: state, HTTP plumbing, callbacks.

:class:`DspCore` owns the process table (one :class:`~d4h_sdk.connectors._dsp_records.Process` per
negotiation or transfer, guarded by one lock), the endpoint cache, the callback receiver and the worker
that verifies agreements. Every provider callback goes through the pure consumer state machine
(:mod:`~d4h_sdk.connectors._dsp_consumer_sm`); refused ones are answered 400 with a DSP error body, unknown
pids 404, callbacks the ``callback_verifier`` rejects 401.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote, urlsplit

from d4h_sdk import wire
from d4h_sdk._http import AuthBase, HttpClient, HttpResponse
from d4h_sdk.connectors import _dsp_consumer_sm as sm
from d4h_sdk.connectors._dsp_receiver import CallbackReceiver, Inbound, Reply
from d4h_sdk.connectors._dsp_records import Process
from d4h_sdk.connectors._dsp_versions import SUPPORTED_VERSIONS, Endpoint, discover, normalize_version
from d4h_sdk.connectors._types import Provider
from d4h_sdk.errors import (
    ConfigurationError,
    ConflictError,
    D4HError,
    DecodeError,
    ResponseValidationError,
    VerificationError,
)
from d4h_sdk.models import (
    ContractAgreementMessage,
    ContractAgreementVerificationMessage,
    ContractNegotiation,
    ContractNegotiationError,
    ContractNegotiationEventMessage,
    ContractNegotiationTerminationMessage,
    ContractOfferMessage,
    TransferCompletionMessage,
    TransferProcess,
    TransferStartMessage,
    TransferSuspensionMessage,
    TransferTerminationMessage,
)
from d4h_sdk.models._base import WireModel
from d4h_sdk.models.negotiation import NegotiationEventType, NegotiationState
from d4h_sdk.models.policy import Agreement
from d4h_sdk.models.transfer import TransferError as TransferErrorBody

if TYPE_CHECKING:
    from d4h_sdk.identity.dcp import Scope, SelfIssuedTokenSource

__all__ = ["DspCore", "new_pid", "pid_path"]

_log = logging.getLogger("d4h_sdk.connectors.dsp")
_M = TypeVar("_M", bound=WireModel)
_CALLBACK_TYPES: dict[tuple[str, str], type[WireModel]] = {
    ("negotiations", "offers"): ContractOfferMessage,
    ("negotiations", "agreement"): ContractAgreementMessage,
    ("negotiations", "events"): ContractNegotiationEventMessage,
    ("negotiations", "termination"): ContractNegotiationTerminationMessage,
    ("transfers", "start"): TransferStartMessage,
    ("transfers", "completion"): TransferCompletionMessage,
    ("transfers", "suspension"): TransferSuspensionMessage,
    ("transfers", "termination"): TransferTerminationMessage,
}


def _decode_error(body: object) -> object:
    if not isinstance(body, (bytes, str, Mapping)):
        raise DecodeError("not a DSP error body")
    return wire.decode(body)


def new_pid() -> str:
    """A fresh process id (``urn:uuid:...``)."""
    return f"urn:uuid:{uuid.uuid4()}"


def pid_path(pid: str) -> str:
    """A process id as a path segment (percent-encoded, ``:`` kept)."""
    return quote(pid, safe=":@")


_NOT_READY_PAUSES_S = (0.1, 0.25, 0.5, 1.0, 2.0)
"""Pauses before sending a verification again after a 409 (the provider not ready for it yet)."""


class _RawTokenAuth(AuthBase):
    """Sets ``Authorization: <token>`` without a scheme (EDC's ``iam-mock`` tokens); never shows the token."""

    def __init__(self, source: SelfIssuedTokenSource, audience: str, scopes: Sequence[str | Scope]) -> None:
        self._source = source
        self._audience = audience
        self._scopes = scopes

    def __call__(self, r: Any) -> Any:
        r.headers["Authorization"] = self._source.issue(self._audience, scopes=self._scopes)
        return r

    def __repr__(self) -> str:
        return f"_RawTokenAuth(audience={self._audience!r})"


class DspCore:
    """State, HTTP plumbing and callback handling of :class:`~d4h_sdk.connectors.DspConnector`."""

    def __init__(
        self,
        *,
        participant_id: str,
        token_source: SelfIssuedTokenSource | None,
        scopes: Sequence[str | Scope] = (),
        callback_host: str = "127.0.0.1",
        callback_port: int = 0,
        public_callback_url: str | None = None,
        http: HttpClient | None = None,
        versions: Sequence[str] = ("2025-1", "2024-1"),
        callback_verifier: Callable[[str | None], None] | None = None,
        reconcile_after: float = 10.0,
        strict: bool = True,
        token_scheme: str | None = "Bearer",
        raw_edr_token: bool = False,
    ) -> None:
        if not isinstance(participant_id, str) or not participant_id:
            raise ConfigurationError("participant_id must be the consumer's DID or participant id")
        wanted = tuple(normalize_version(v) for v in versions)
        unknown = [v for v in wanted if v not in SUPPORTED_VERSIONS]
        if not wanted or unknown:
            raise ConfigurationError(
                f"versions must be among {', '.join(SUPPORTED_VERSIONS)}, got {list(versions)}"
            )
        if public_callback_url is not None and not public_callback_url.startswith(("http://", "https://")):
            raise ConfigurationError("public_callback_url must be an http(s) URL")
        if reconcile_after < 0:
            raise ConfigurationError("reconcile_after must be 0 or more seconds")
        self.participant_id = participant_id
        self._token_source = token_source
        self._scopes = tuple(scopes)
        self._token_scheme = token_scheme
        self.raw_edr_token = raw_edr_token
        self._versions = wanted
        self._verifier = callback_verifier
        self._reconcile_after = reconcile_after
        self._strict = strict
        self._owns_http = http is None
        self._http = http if http is not None else HttpClient(error_decoder=_decode_error)
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._processes: dict[str, Process] = {}
        self._agreements: dict[str, Agreement] = {}
        self._endpoints: dict[tuple[str, str | None], Endpoint] = {}
        self._closed = False
        try:
            self._receiver = CallbackReceiver(self._on_callback, host=callback_host, port=callback_port)
        except ConfigurationError:
            if self._owns_http:
                self._http.close()
            raise
        self._callback_url = (public_callback_url or self._receiver.url).rstrip("/")
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="d4h-dsp-worker")

    # -- identity and lifecycle ----------------------------------------------------------------------------

    @property
    def kind(self) -> str:
        """Always ``dsp``."""
        return "dsp"

    @property
    def callback_url(self) -> str:
        """The callback address sent to providers (``public_callback_url`` or the bound URL)."""
        return self._callback_url

    @property
    def callback_port(self) -> int:
        """The port the receiver is bound to."""
        return self._receiver.port

    def __repr__(self) -> str:
        return f"DspConnector(participant_id={self.participant_id!r}, callback_url={self._callback_url!r})"

    def close(self) -> None:
        """Stop the receiver, finish pending verifications, release the HTTP client (idempotent)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._receiver.close()
        self._pool.shutdown(wait=True)
        if self._owns_http:
            self._http.close()

    # -- HTTP helpers --------------------------------------------------------------------------------------

    def _auth(self, provider: Provider) -> AuthBase | None:
        if self._token_source is None:
            return None
        if not provider.participant_id:
            raise ConfigurationError(
                f"provider {provider.address} has no participant_id: it is the audience of the DCP token"
            )
        if self._token_scheme is None:
            return _RawTokenAuth(self._token_source, provider.participant_id, self._scopes)
        from d4h_sdk.identity.dcp import SelfIssuedTokenAuth

        return SelfIssuedTokenAuth(self._token_source, provider.participant_id, scopes=self._scopes)

    def endpoint(self, provider: Provider) -> Endpoint:
        """The provider's versioned DSP endpoint (discovered once per address and protocol, then cached).

        Raises:
            ConfigurationError: The provider serves none of the wanted versions, or none can be found.
        """
        key = (provider.address, provider.protocol)
        with self._lock:
            found = self._endpoints.get(key)
        if found is None:
            found = discover(self._http, provider, self._versions)
            with self._lock:
                found = self._endpoints.setdefault(key, found)
        return found

    def _send(
        self, provider: Provider, endpoint: Endpoint, path: str, message: WireModel, **kwargs: Any
    ) -> HttpResponse:
        body = wire.encode(message, dialect=endpoint.dialect)
        return self._http.post(endpoint.base + path, json=body, auth=self._auth(provider), **kwargs)

    def _decode(self, response: HttpResponse, dialect: str, model: type[_M]) -> _M:
        decoded = wire.decode(response.content, dialect=dialect)
        if not isinstance(decoded, model):
            raise ResponseValidationError(
                f"{response.method} {urlsplit(response.url).path}: expected a {model.__name__}, "
                f"got a {type(decoded).__name__}",
                request_method=response.method,
                url=response.url.split("?", 1)[0],
            )
        return decoded

    # -- process bookkeeping -------------------------------------------------------------------------------

    def _process(self, local_id: str, kind: str) -> Process:
        with self._lock:
            process = self._processes.get(local_id)
        if process is None or process.kind != kind:
            raise ConfigurationError(
                f"unknown {kind} {local_id!r}: this connector did not start it (restore_process it first)"
            )
        return process

    def _register(self, process: Process) -> None:
        with self._lock:
            self._processes[process.record.consumer_pid] = process

    def _update(self, process: Process, record: sm.NegotiationRecord | sm.TransferRecord) -> None:
        """Store ``record`` (lock held by the caller or taken here) and wake waiters on a change."""
        with self._changed:
            changed = record.version != process.record.version
            process.record = record
            if isinstance(record, sm.NegotiationRecord) and record.agreement is not None:
                if record.agreement.id:
                    self._agreements[record.agreement.id] = record.agreement
            if changed:
                process.touched = time.monotonic()
                self._changed.notify_all()

    def _submit(self, fn: Callable[[str], None], local_id: str) -> None:
        with self._lock:
            if self._closed:
                _log.warning("DSP connector closed; %s of %s not done", fn.__name__, local_id)
                return
            self._pool.submit(self._run_quietly, fn, local_id)

    @staticmethod
    def _run_quietly(fn: Callable[[str], None], local_id: str) -> None:
        try:
            fn(local_id)
        except D4HError as exc:
            _log.warning(
                "DSP %s of %s failed (reading the process retries it): %s", fn.__name__, local_id, exc
            )
        except Exception:
            _log.exception("DSP %s of %s failed", fn.__name__, local_id)

    def wait_for_change(self, process_id: str, timeout: float) -> bool:
        """Block until ``process_id`` changes (callback or reply) or ``timeout`` seconds pass.

        Returns True at once when the process changed since it was last read through ``get_*``.

        Raises:
            ConfigurationError: The id is unknown here.
        """
        with self._lock:
            process = self._processes.get(process_id)
            if process is None:
                raise ConfigurationError(f"unknown process {process_id!r}: this connector did not start it")
            seen = process.seen
            return self._changed.wait_for(lambda: process.record.version > seen, timeout=max(0.0, timeout))

    def _acknowledged(self, process: Process, provider_pid: str, state: Any) -> None:
        with self._lock:
            record = process.record
            if record.provider_pid is None:  # no callback has told it yet
                record = replace(record, provider_pid=provider_pid)
                process.record = record
            self._update(process, sm.advance(record, state))
            process.seen = process.record.version

    def _needs_reconcile(self, process: Process) -> bool:
        if process.record.state.is_final or process.record.provider_pid is None:
            return False
        return process.reconcile or time.monotonic() - process.touched >= self._reconcile_after

    def _reconcile(self, process: Process) -> None:
        record = process.record
        noun = "negotiations" if process.kind == "negotiation" else "transfers"
        model: type[WireModel] = ContractNegotiation if noun == "negotiations" else TransferProcess
        response = self._http.get(
            f"{process.endpoint.base}/{noun}/{pid_path(record.provider_pid or '')}",
            auth=self._auth(process.provider),
        )
        remote = self._decode(response, process.endpoint.dialect, model)
        if not isinstance(remote, (ContractNegotiation, TransferProcess)):
            return
        state = remote.state
        with self._lock:
            process.reconcile = False
            process.touched = time.monotonic()
            self._update(process, sm.advance(process.record, state))
            current = process.record
        if (
            isinstance(current, sm.NegotiationRecord)
            and current.state is NegotiationState.AGREED
            and state is NegotiationState.AGREED
            and current.agreement is not None
        ):
            self._submit(self._verify, current.consumer_pid)  # our verification got lost: send it again

    def _verify(self, negotiation_id: str) -> None:
        process = self._process(negotiation_id, "negotiation")
        record = process.record
        if record.state is not NegotiationState.AGREED or record.provider_pid is None:
            return
        message = ContractAgreementVerificationMessage(
            provider_pid=record.provider_pid, consumer_pid=record.consumer_pid
        )
        with self._lock:  # a FINALIZED event may overtake the provider's answer to the verification
            current = process.record
            if isinstance(current, sm.NegotiationRecord):
                self._update(process, replace(current, verification_sent=True))
        path = f"/negotiations/{pid_path(record.provider_pid)}/agreement/verification"
        for pause in (*_NOT_READY_PAUSES_S, None):
            try:
                self._send(process.provider, process.endpoint, path, message)
                break
            except ConflictError:
                # 409: the provider has not recorded its own agreement yet (EDC marks AGREED only once its
                # POST to us returned) - try again shortly, unless the negotiation moved on meanwhile.
                if pause is None or process.record.state is not NegotiationState.AGREED:
                    self._unsent(process)
                    raise
                time.sleep(pause)
            except D4HError:
                self._unsent(process)
                raise
        with self._lock:
            self._update(process, sm.advance(process.record, NegotiationState.VERIFIED))

    def _unsent(self, process: Process) -> None:
        """The verification did not get through: nothing is verified, and the next read asks the provider."""
        with self._lock:
            current = process.record
            if isinstance(current, sm.NegotiationRecord) and current.state is NegotiationState.AGREED:
                self._update(process, replace(current, verification_sent=False))
        process.reconcile = True  # the next read asks the provider and verifies again if still AGREED

    def _accept_if_unchanged(self, negotiation_id: str) -> None:
        process = self._process(negotiation_id, "negotiation")
        record = process.record
        if isinstance(record, sm.NegotiationRecord) and record.state is NegotiationState.OFFERED:
            if sm.same_offer(record.offer, record.provider_offer):
                self.accept_offer(negotiation_id)

    def accept_offer(self, negotiation_id: str) -> None:
        """Accept the provider's current offer (ContractNegotiationEventMessage ``ACCEPTED``).

        Raises:
            ConfigurationError: The id is unknown here.
            NegotiationError: The negotiation is not OFFERED.
        """
        process = self._process(negotiation_id, "negotiation")
        record = process.record
        sm.check_move(record, "accept")
        message = ContractNegotiationEventMessage(
            provider_pid=record.provider_pid or "",
            consumer_pid=record.consumer_pid,
            event_type=NegotiationEventType.ACCEPTED,
        )
        path = f"/negotiations/{pid_path(message.provider_pid)}/events"
        with self._lock:  # ACCEPTED first: the provider's agreement may arrive before its answer to the event
            before = process.record
            self._update(process, sm.advance(before, NegotiationState.ACCEPTED))
        try:
            self._send(process.provider, process.endpoint, path, message)
        except D4HError:
            with self._lock:
                if process.record.state is NegotiationState.ACCEPTED:
                    self._update(process, before)  # not accepted after all: the offer stands
            raise

    # -- callbacks -----------------------------------------------------------------------------------------

    def _error_body(
        self, kind: str, consumer_pid: str, provider_pid: str | None, dialect: str, text: str, code: str
    ) -> Any:
        model: WireModel
        if kind == "negotiations":
            model = ContractNegotiationError(
                provider_pid=provider_pid or consumer_pid,
                consumer_pid=consumer_pid,
                code=code,
                reason=(text,),
            )
        else:
            model = TransferErrorBody(
                provider_pid=provider_pid or consumer_pid,
                consumer_pid=consumer_pid,
                code=code,
                reason=(text,),
            )
        return wire.encode(model, dialect=dialect)

    def _on_callback(self, inbound: Inbound) -> Reply:
        kind_name = "negotiation" if inbound.kind == "negotiations" else "transfer"
        with self._lock:
            process = self._processes.get(inbound.pid)
        dialect = process.endpoint.dialect if process is not None else f"dsp-{self._versions[0]}"
        if self._verifier is not None:
            try:
                self._verifier(inbound.authorization)
            except VerificationError as exc:
                body = self._error_body(inbound.kind, inbound.pid, None, dialect, str(exc), "UNAUTHORIZED")
                return Reply(401, body)
        if process is None or process.kind != kind_name:
            text = f"unknown {kind_name} {inbound.pid}"
            return Reply(404, self._error_body(inbound.kind, inbound.pid, None, dialect, text, "NOT_FOUND"))
        if inbound.method == "GET":
            return self._answer_get(process, dialect)
        expected = _CALLBACK_TYPES.get((inbound.kind, inbound.leaf))
        try:
            message = wire.decode(inbound.body, dialect=dialect)
        except D4HError as exc:
            return self._refused(process, inbound, dialect, f"unreadable message: {exc}")
        if expected is None or not isinstance(message, expected):
            text = f"{type(message).__name__} is not accepted at .../{inbound.leaf}"
            return self._refused(process, inbound, dialect, text)
        return self._apply(process, message, inbound, dialect)

    def _refused(self, process: Process, inbound: Inbound, dialect: str, text: str) -> Reply:
        body = self._error_body(
            inbound.kind, inbound.pid, process.record.provider_pid, dialect, text, "INVALID"
        )
        return Reply(400, body)

    def _answer_get(self, process: Process, dialect: str) -> Reply:
        with self._lock:
            record = process.record
        pids = {
            "provider_pid": record.provider_pid or record.consumer_pid,
            "consumer_pid": record.consumer_pid,
        }
        model: WireModel
        if isinstance(record, sm.NegotiationRecord):
            model = ContractNegotiation(**pids, state=record.state)
        else:
            model = TransferProcess(**pids, state=record.state)
        return Reply(200, wire.encode(model, dialect=dialect))

    def _apply(self, process: Process, message: WireModel, inbound: Inbound, dialect: str) -> Reply:
        with self._lock:
            record = process.record
            if isinstance(record, sm.NegotiationRecord):
                verdict: sm.Verdict[Any] = sm.on_negotiation_message(record, message, strict=self._strict)
            else:
                verdict = sm.on_transfer_message(record, message)
            if verdict.status != 200:
                _log.info("refused DSP callback %s for %s: %s", inbound.leaf, inbound.pid, verdict.error)
                return self._refused(process, inbound, dialect, verdict.error or "refused")
            if isinstance(message, TransferStartMessage) and message.data_address is not None:
                process.token_dropped = False
            self._update(process, verdict.record)
            for action in verdict.actions:
                self._react(action, inbound.pid)
        return Reply(200)

    def _react(self, action: str, local_id: str) -> None:
        """Act on a verdict's action (lock held; work goes to the worker): verify, accept an equal offer."""
        if action == "verify":
            self._submit(self._verify, local_id)
        elif action == "offered":
            self._submit(self._accept_if_unchanged, local_id)
