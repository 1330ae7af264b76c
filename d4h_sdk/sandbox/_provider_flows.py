"""The sandbox provider's automatic moves: policy decisions, agreements, transfer starts, pushes, callbacks.

:class:`ProviderEngine` is the part of :class:`~d4h_sdk.sandbox._provider.ProviderConnector` that runs in
background worker threads (a small bounded pool): it never runs inside a request. Each move loads the
process from the store under the connector's state lock, applies a pure state-machine move, saves it, and
only then POSTs the callback to the consumer (so that a consumer answering the callback at once finds the
new state). Callbacks are signed with the provider's self-issued token and retried on connection errors
only (they are not idempotent).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from typing import Any, TypeVar
from urllib.parse import urlsplit

from d4h_sdk import wire
from d4h_sdk._http import HttpClient
from d4h_sdk.errors import APIConnectionError, APIError, APITimeoutError, D4HError, ProtocolError
from d4h_sdk.identity.auth import BearerTokenAuth
from d4h_sdk.models.negotiation import NegotiationState
from d4h_sdk.models.policy import Agreement, AnyConstraint, Constraint, LogicalConstraint, Offer
from d4h_sdk.models.transfer import DataAddress, TransferStartMessage, TransferState
from d4h_sdk.sandbox import _negotiation_sm as nsm
from d4h_sdk.sandbox import _transfer_sm as tsm
from d4h_sdk.sandbox._dataplane import BytesSource, DataSource, StreamSource, push
from d4h_sdk.sandbox._edr import EdrTokenIssuer, RevocationList, pull_data_address
from d4h_sdk.sandbox._faults import FaultPlan
from d4h_sdk.sandbox._participants import Participant
from d4h_sdk.sandbox._store import ProviderStore
from d4h_sdk.sandbox.synthetic import Payload, SandboxDataset

__all__ = ["CallbackSender", "DatasetRegistry", "ProviderEngine", "declared_purpose"]

_log = logging.getLogger("d4h_sdk.sandbox")

DEFAULT_DIALECT = "dsp-2025-1"
"""The dialect of a process whose record names none."""

_PURPOSE_OPERATORS = frozenset({"eq", "isA", "isAnyOf", "isPartOf", "isAllOf"})

R = TypeVar("R")


def _term(value: str | None) -> str:
    """The local name of a term or IRI (``odrl:purpose`` / ``http://.../odrl/2/purpose`` -> ``purpose``)."""
    text = value or ""
    for separator in ("#", "/", ":"):
        text = text.rsplit(separator, 1)[-1]
    return text


def _atoms(constraints: Iterable[AnyConstraint]) -> Iterable[Constraint]:
    for item in constraints:
        if isinstance(item, LogicalConstraint):
            if item.operator in ("and", "andSequence"):
                yield from _atoms(item.operands)
        else:
            yield item


def _single_iri(value: Any) -> str | None:
    if isinstance(value, (list, tuple)):
        return _single_iri(value[0]) if len(value) == 1 else None
    if isinstance(value, Mapping):
        found = value.get("@id", value.get("@value"))
        return found if isinstance(found, str) else None
    return value if isinstance(value, str) and value else None


def declared_purpose(offer: Offer) -> str | None:
    """The purpose a consumer declares in its requested offer, if it names exactly one.

    A permission constraint on ``purpose`` (``odrl:purpose`` or its IRI) with ``eq`` (or a set operator with
    a single value) declares it; constraints combined with ``or``/``xone`` declare nothing.

    Args:
        offer: The offer of the consumer's ContractRequestMessage.

    Returns:
        The purpose IRI or term, or ``None``.
    """
    for rule in offer.permission:
        for atom in _atoms(rule.constraint):
            if _term(atom.left_operand) == "purpose" and _term(atom.operator) in _PURPOSE_OPERATORS:
                found = _single_iri(atom.right_operand)
                if found is not None:
                    return found
    return None


def payload_source(payload: Payload) -> DataSource:
    """A data plane source for a dataset payload (small payloads are generated once and kept).

    Args:
        payload: The payload.

    Returns:
        A :class:`BytesSource` when the size is unknown up front, else a lazy :class:`StreamSource`.
    """
    if payload.size is None:
        return BytesSource(b"".join(payload.source()), media_type=payload.media_type)
    digest = payload.sha256() if payload.sha256 is not None else None
    return StreamSource(payload.source, size=payload.size, media_type=payload.media_type, sha256=digest)


class DatasetRegistry:
    """The datasets a provider publishes, by id, with their data sources built on first download."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._datasets: dict[str, SandboxDataset] = {}
        self._sources: dict[str, DataSource] = {}

    def add(self, dataset: SandboxDataset) -> None:
        """Publish (or replace) a dataset."""
        with self._lock:
            self._datasets[dataset.id] = dataset
            self._sources.pop(dataset.id, None)

    def remove(self, dataset_id: str) -> bool:
        """Withdraw a dataset; True if it was published."""
        with self._lock:
            self._sources.pop(dataset_id, None)
            return self._datasets.pop(dataset_id, None) is not None

    def get(self, dataset_id: str | None) -> SandboxDataset | None:
        """The dataset with this id, or ``None``."""
        with self._lock:
            return self._datasets.get(dataset_id or "")

    def all(self) -> list[SandboxDataset]:
        """Every dataset, in publication order."""
        with self._lock:
            return list(self._datasets.values())

    def find_offer(self, offer_id: str, dataset_id: str | None) -> tuple[SandboxDataset, Offer] | None:
        """The dataset and provider offer with this ``@id`` (within ``dataset_id`` when given)."""
        if dataset_id:
            one = self.get(dataset_id)
            candidates = [one] if one is not None else []
        else:
            candidates = self.all()
        for dataset in candidates:
            for offer in dataset.offers:
                if offer.id == offer_id:
                    return dataset, offer
        return None

    def source(self, dataset_id: str) -> DataSource | None:
        """The bytes of a dataset's default payload."""
        dataset = self.get(dataset_id)
        if dataset is None:
            return None
        with self._lock:
            cached = self._sources.get(dataset_id)
        if cached is not None:
            return cached
        built = payload_source(dataset.payload())
        with self._lock:
            return self._sources.setdefault(dataset_id, built)


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

    def send(self, callback: nsm.SendCallback, *, dialect: str | None, audience: str | None) -> bool:
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
        self, delay: float, callback: nsm.SendCallback, dialect: str | None, audience: str | None
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

    def _send(self, callback: nsm.SendCallback, *, dialect: str | None, audience: str | None) -> bool:
        body = wire.encode(callback.message, dialect=dialect or DEFAULT_DIALECT)
        for attempt in range(self._attempts):
            auth = BearerTokenAuth(self._participant.issue_token(audience)) if audience else None
            try:
                self._http.post(callback.url, json=body, auth=auth)
                return True
            except APITimeoutError as exc:
                _log.warning("callback %s timed out; not retried: %s", callback.url, exc)
                return False
            except APIConnectionError as exc:
                if attempt + 1 >= self._attempts:
                    _log.warning("callback %s failed after %d attempts: %s", callback.url, attempt + 1, exc)
                    return False
                self._sleep(self._backoff_s * (2**attempt))
            except APIError as exc:
                _log.warning("callback %s was refused: %s", callback.url, exc)
                return False
        return False


class ProviderEngine:
    """Runs the provider's automatic moves in background threads.

    Args:
        participant: The provider.
        store: Where processes are kept.
        registry: The published datasets.
        state_lock: The lock every load-decide-save of a process takes (shared with the HTTP handlers).
        sender: Sends callbacks.
        edr_issuer: Mints EDR tokens for pull transfers.
        revocations: The EDR revocation list the data plane checks.
        base_url: Returns the connector's root URL (``http://127.0.0.1:<port>``).
        push_http: The client used to push data to consumers.
        max_workers: Worker threads.
    """

    def __init__(
        self,
        *,
        participant: Participant,
        store: ProviderStore,
        registry: DatasetRegistry,
        state_lock: threading.RLock,
        sender: CallbackSender,
        edr_issuer: EdrTokenIssuer,
        revocations: RevocationList,
        base_url: Callable[[], str],
        push_http: HttpClient,
        max_workers: int = 4,
    ) -> None:
        self._participant = participant
        self._store = store
        self._registry = registry
        self._lock = state_lock
        self._sender = sender
        self._edr = edr_issuer
        self._revocations = revocations
        self._base_url = base_url
        self._push_http = push_http
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="d4h-provider-worker")
        self._closed = False

    # -- scheduling ----------------------------------------------------------------------------------------

    def submit(self, fn: Callable[..., object], *args: Any) -> Future[None] | None:
        """Run ``fn(*args)`` on a worker; failures are logged (never lost silently)."""
        if self._closed:
            _log.warning("provider engine closed; dropping %s", getattr(fn, "__name__", fn))
            return None

        def run() -> None:
            try:
                fn(*args)
            except ProtocolError as exc:  # the process moved on meanwhile (e.g. the consumer terminated it)
                _log.info("sandbox provider step %s skipped: %s", getattr(fn, "__name__", fn), exc)
            except Exception:
                _log.exception("sandbox provider background step %s failed", getattr(fn, "__name__", fn))

        try:
            return self._pool.submit(run)
        except RuntimeError:  # the pool shut down between the check and the call
            _log.warning("provider engine closed; dropping %s", getattr(fn, "__name__", fn))
            return None

    def close(self) -> None:
        """Stop accepting work and wait for the running steps."""
        self._closed = True
        self._pool.shutdown(wait=True)
        self._sender.close()

    def dsp_base(self, dialect: str | None) -> str:
        """The versioned DSP base URL of a dialect."""
        return f"{self._base_url()}/{(dialect or DEFAULT_DIALECT).removeprefix('dsp-')}"

    # -- negotiation ---------------------------------------------------------------------------------------

    def negotiation_effects(self, effects: Iterable[nsm.Effect], claims: Mapping[str, Any]) -> None:
        """Schedule the reactions to a negotiation outcome."""
        for effect in effects:
            if isinstance(effect, nsm.EvaluatePolicy):
                self.submit(self._decide, effect, dict(claims))
            elif isinstance(effect, nsm.StateChanged) and effect.state is NegotiationState.VERIFIED:
                self.submit(self.negotiation_move, effect.provider_pid, nsm.finalize)
            elif isinstance(effect, nsm.SendCallback):
                self.submit(self._send_for_negotiation, effect)

    def _send_for_negotiation(self, callback: nsm.SendCallback) -> None:
        record = self._find_negotiation_by_callback(callback)
        self._sender.send(
            callback,
            dialect=record.dialect if record else None,
            audience=record.counterparty if record else None,
        )

    def _find_negotiation_by_callback(self, callback: nsm.SendCallback) -> nsm.NegotiationRecord | None:
        pid = getattr(callback.message, "provider_pid", None)
        return self._store.get_negotiation(pid) if isinstance(pid, str) else None

    def negotiation_move(
        self, provider_pid: str, move: Callable[[nsm.NegotiationRecord], nsm.Step[nsm.NegotiationRecord]]
    ) -> nsm.Step[nsm.NegotiationRecord] | None:
        """Apply a provider move to a stored negotiation, save it, then send its callback.

        Args:
            provider_pid: The negotiation.
            move: A function of the record returning the step (e.g. :func:`finalize`).

        Returns:
            The step, or ``None`` when the negotiation is unknown.

        Raises:
            NegotiationError: The move is not allowed in the current state.
        """
        with self._lock:
            record = self._store.get_negotiation(provider_pid)
            if record is None:
                return None
            step = move(record)
            self._store.save_negotiation(step.record)
        self._sender.send(step.callback, dialect=record.dialect, audience=record.counterparty)
        return step

    def _decide(self, effect: nsm.EvaluatePolicy, claims: dict[str, Any]) -> None:
        from d4h_sdk import policy

        found = self._registry.find_offer(effect.offer.id or "", effect.dataset_id)
        if found is None:
            self.negotiation_move(
                effect.provider_pid,
                lambda r: nsm.terminate(r, "UNKNOWN_OFFER", (f"offer {effect.offer.id} is not offered",)),
            )
            return
        dataset, offer = found
        decision = policy.evaluate(offer, claims=claims, purpose=declared_purpose(effect.offer))
        if not decision.permitted:
            code = f"POLICY_{decision.outcome.value.upper()}"
            reasons = decision.reasons or (decision.explain(),)
            self.negotiation_move(effect.provider_pid, lambda r: nsm.terminate(r, code, reasons))
            return
        agreement = Agreement(
            id=nsm.new_pid(),
            target=dataset.id,
            assigner=self._participant.did,
            assignee=effect.counterparty,
            permission=offer.permission,
            prohibition=offer.prohibition,
            obligation=offer.obligation,
        )
        self.negotiation_move(
            effect.provider_pid,
            lambda r: nsm.agree(r, agreement, provider_address=self.dsp_base(r.dialect)),
        )

    # -- transfer ------------------------------------------------------------------------------------------

    def transfer_effects(self, effects: Iterable[nsm.Effect]) -> None:
        """Schedule the reactions to a transfer outcome (and revoke tokens of stopped transfers)."""
        for effect in effects:
            if isinstance(effect, nsm.CheckAgreement):
                self.submit(self._start_transfer, effect)
            elif isinstance(effect, nsm.StateChanged):
                self._on_transfer_state(effect)
            elif isinstance(effect, nsm.SendCallback):
                self.submit(self._send_for_transfer, effect)

    def _on_transfer_state(self, effect: nsm.StateChanged) -> None:
        pid = effect.provider_pid
        if effect.state is TransferState.SUSPENDED:
            self._revocations.revoke(pid)
        elif effect.state in (TransferState.TERMINATED, TransferState.COMPLETED):
            self._revocations.terminate(pid)
        elif effect.state is TransferState.STARTED and effect.previous is TransferState.SUSPENDED:
            self._revocations.reinstate(pid)
            self.submit(self._refresh_pull_address, pid)

    def _send_for_transfer(self, callback: nsm.SendCallback) -> None:
        pid = getattr(callback.message, "provider_pid", None)
        record = self._store.get_transfer(pid) if isinstance(pid, str) else None
        self._sender.send(
            callback,
            dialect=record.dialect if record else None,
            audience=record.counterparty if record else None,
        )

    def transfer_move(
        self, provider_pid: str, move: Callable[[tsm.TransferRecord], nsm.Step[tsm.TransferRecord]]
    ) -> nsm.Step[tsm.TransferRecord] | None:
        """Apply a provider move to a stored transfer, save it, revoke tokens if it stops, send the callback.

        Returns:
            The step, or ``None`` when the transfer is unknown.

        Raises:
            TransferError: The move is not allowed in the current state.
        """
        with self._lock:
            record = self._store.get_transfer(provider_pid)
            if record is None:
                return None
            step = move(record)
            self._store.save_transfer(step.record)
        state = step.record.state
        if state is TransferState.SUSPENDED:
            self._revocations.revoke(provider_pid)
        elif state.is_final:
            self._revocations.terminate(provider_pid)
        self._sender.send(step.callback, dialect=record.dialect, audience=record.counterparty)
        return step

    def _agreement_problem(self, effect: nsm.CheckAgreement) -> str | None:
        agreement = self._store.get_agreement(effect.agreement_id)
        if agreement is None:
            return f"no agreement {effect.agreement_id} is known to this provider"
        if effect.counterparty and agreement.assignee != effect.counterparty:
            return f"agreement {effect.agreement_id} was not made with the requesting participant"
        finalized = self._store.list_negotiations(states=[NegotiationState.FINALIZED])
        if not any(n.agreement is not None and n.agreement.id == agreement.id for n in finalized):
            return f"the negotiation of agreement {effect.agreement_id} is not finalized"
        if self._registry.get(agreement.target) is None:
            return f"the dataset {agreement.target} of the agreement is no longer published"
        return None

    def _start_transfer(self, effect: nsm.CheckAgreement) -> None:
        problem = self._agreement_problem(effect)
        if problem is not None:
            self.transfer_move(
                effect.provider_pid, lambda r: tsm.terminate(r, "INVALID_AGREEMENT", (problem,))
            )
            return
        if effect.push:
            step = self.transfer_move(effect.provider_pid, lambda r: tsm.start(r))
            if step is not None:
                self._push(step.record)
            return
        self.transfer_move(effect.provider_pid, lambda r: tsm.start(r, self._pull_address(r)))

    def _pull_address(self, record: tsm.TransferRecord) -> DataAddress:
        from d4h_sdk.sandbox._dataplane import DataPlane

        agreement = self._store.get_agreement(record.agreement_id)
        dataset_id = agreement.target if agreement is not None and agreement.target else "unknown"
        issued = self._edr.issue(
            transfer_id=record.provider_pid,
            agreement_id=record.agreement_id,
            dataset_id=dataset_id,
            audience=record.counterparty or self._participant.did,
        )
        address = pull_data_address(
            self._base_url() + DataPlane.path_for(record.provider_pid),
            issued.token,
            expires_at=issued.expires_at,
            lifetime_s=issued.lifetime_s,
            transfer_id=record.provider_pid,
            agreement_id=record.agreement_id,
        )
        return address

    def _refresh_pull_address(self, provider_pid: str) -> None:
        """After the consumer resumed a pull transfer: send a start message with a fresh EDR token."""
        with self._lock:
            record = self._store.get_transfer(provider_pid)
            if record is None or record.kind != "pull" or record.state is not TransferState.STARTED:
                return
            address = self._pull_address(record)
            record = replace(record, start_address=address, version=record.version + 1)
            self._store.save_transfer(record)
        message = TransferStartMessage(
            provider_pid=record.provider_pid, consumer_pid=record.consumer_pid, data_address=address
        )
        callback = nsm.SendCallback(
            record.callback_address, nsm.callback_path("transfers", record.consumer_pid, "start"), message
        )
        self._sender.send(callback, dialect=record.dialect, audience=record.counterparty)

    def _push(self, record: tsm.TransferRecord) -> None:
        agreement = self._store.get_agreement(record.agreement_id)
        source = self._registry.source(agreement.target or "") if agreement is not None else None
        problem: str | None = None
        if source is None or record.data_address is None:
            problem = "the provider has no data or no destination for this transfer"
        else:
            try:
                push(source, record.data_address, http=self._push_http)
            except D4HError as exc:
                problem = f"the provider could not push the data: {exc}"
        if problem is not None:
            reason = problem
            self.transfer_move(record.provider_pid, lambda r: tsm.terminate(r, "PUSH_FAILED", (reason,)))
            return
        self.transfer_move(record.provider_pid, tsm.complete)
