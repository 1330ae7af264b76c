"""The sandbox provider's automatic moves: policy decisions, agreements, offers, transfer starts, pushes.

:class:`ProviderEngine` is the part of :class:`~d4h_sdk.sandbox._provider.ProviderConnector` that runs in
background worker threads (a small bounded pool): it never runs inside a request. Each move loads the
process from the store under the connector's state lock, applies a pure state-machine move, saves it, and
only then POSTs the callback to the consumer (so that a consumer answering the callback at once finds the
new state). Callbacks go through :class:`~d4h_sdk.sandbox._callbacks.CallbackSender`.

A consumer's request is decided by policy (agree or terminate) unless :attr:`ProviderEngine.hold_requests`
is set; then it waits in REQUESTED for a provider move (an offer, a termination). A provider offer the
consumer accepts is agreed on its own terms.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from typing import Any

from d4h_sdk import wire
from d4h_sdk._http import HttpClient
from d4h_sdk.errors import (
    ConflictError,
    D4HError,
    DecodeError,
    JsonLdError,
    NegotiationError,
    ProtocolError,
)
from d4h_sdk.models.negotiation import (
    ContractAgreementMessage,
    ContractNegotiation,
    ContractOfferMessage,
    NegotiationState,
)
from d4h_sdk.models.policy import Agreement, Offer
from d4h_sdk.models.transfer import DataAddress, TransferStartMessage, TransferState
from d4h_sdk.sandbox import _negotiation_sm as nsm
from d4h_sdk.sandbox import _transfer_sm as tsm
from d4h_sdk.sandbox._callbacks import DEFAULT_DIALECT, CallbackSender
from d4h_sdk.sandbox._dataplane import push
from d4h_sdk.sandbox._edr import EdrTokenIssuer, RevocationList, pull_data_address
from d4h_sdk.sandbox._participants import Participant
from d4h_sdk.sandbox._provider_datasets import DatasetRegistry, declared_purpose, payload_source
from d4h_sdk.sandbox._store import ProviderStore

__all__ = [
    "DEFAULT_DIALECT",
    "CallbackSender",
    "DatasetRegistry",
    "ProviderEngine",
    "declared_purpose",
    "payload_source",
]

_log = logging.getLogger("d4h_sdk.sandbox")

CALLBACK_RETRY_PAUSES_S = (0.1, 0.25, 0.5, 1.0, 2.0)
"""Pauses before re-sending a callback the consumer refused with 409 (see :meth:`ProviderEngine.deliver`)."""


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

    Attributes:
        hold_requests: When True, consumer requests (initial and counter) are not decided by policy but
            wait in REQUESTED for a provider move (:meth:`offer`, a termination). Default False.
        edc_property_names: When True, pull data addresses also name the EDR properties by EDC IRI
            (:func:`~d4h_sdk.sandbox._edr.pull_data_address` ``edc_names``), as EDC consumers need. Default
            False (the EDC interop mode sets it).
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
        self._closing = threading.Event()
        self.hold_requests = False
        self.edc_property_names = False

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

    def deliver(self, callback: nsm.SendCallback, *, dialect: str | None, audience: str | None) -> bool:
        """Send a callback; while the consumer answers 409, send it again after a pause.

        The provider reacts to a message as soon as it accepts it, so its callback (the agreement after a
        request, the FINALIZED event after a verification, the start of a transfer) can reach the consumer
        before the answer to the consumer's own message does. EDC then refuses it with 409 ("negotiation
        cannot be agreed / finalized": it is still REQUESTING / VERIFYING) and, if nothing follows, waits
        forever; so a 409 is taken as "not ready yet" (pauses: :data:`CALLBACK_RETRY_PAUSES_S`). Any other
        failure ends the attempts (logged).

        Returns:
            Whether the consumer acknowledged the callback.
        """
        if self._sender.send(callback, dialect=dialect, audience=audience):
            return True
        for pause in CALLBACK_RETRY_PAUSES_S:
            if self._closing.wait(pause):
                return False
            try:
                self._sender.exchange(callback, dialect=dialect, audience=audience)
                return True
            except ConflictError:
                _log.info("consumer not ready for %s; sending it again", callback.path)
            except D4HError as exc:
                _log.warning("callback %s not delivered: %s", callback.path, exc)
                return False
        _log.warning("callback %s still refused (409) after every attempt", callback.path)
        return False

    def close(self) -> None:
        """Stop accepting work and wait for the running steps."""
        self._closed = True
        self._closing.set()
        self._pool.shutdown(wait=True)
        self._sender.close()

    def dsp_base(self, dialect: str | None) -> str:
        """The versioned DSP base URL of a dialect."""
        return f"{self._base_url()}/{(dialect or DEFAULT_DIALECT).removeprefix('dsp-')}"

    def restore_revocations(self) -> None:
        """Rebuild the in-memory EDR revocation list from the stored transfers (after a restart).

        Ended transfers are revoked for good; a suspended one is revoked; a started one accepts exactly the
        token generation of its last start message (so tokens from before an earlier suspension stay
        refused and the current one still passes).
        """
        for record in self._store.list_transfers():
            pid = record.provider_pid
            if record.state.is_final:
                self._revocations.terminate(pid)
                continue
            generation = _token_generation(record.start_address)
            if record.state is TransferState.SUSPENDED:
                generation += 1  # the suspension moved the generation on
            for _ in range(generation):  # the list has no setter: replay the revocations
                self._revocations.revoke(pid)
            if record.state is not TransferState.SUSPENDED:
                self._revocations.reinstate(pid)

    def resume_pending(self) -> int:
        """Schedule the automatic moves a previous run stored but did not make (after a restart).

        Agreements are sent again (the consumer may have missed them), verified negotiations are finalized,
        accepted provider offers agreed, and requested transfers checked and started (or terminated).
        Requests awaiting a policy decision are left REQUESTED: the requester's verified claims are not
        stored, so they cannot be decided again (the consumer may terminate and request anew).

        Returns:
            How many moves were scheduled.
        """
        scheduled = 0
        for agreed in self._store.list_negotiations(states=(NegotiationState.AGREED,)):
            # The consumer may have missed the agreement while this provider was down: send it again (a
            # consumer takes a duplicate in its stride); its verification then finishes the negotiation.
            if agreed.agreement is not None:
                message = ContractAgreementMessage(
                    provider_pid=agreed.provider_pid,
                    consumer_pid=agreed.consumer_pid,
                    agreement=agreed.agreement,
                    callback_address=self.dsp_base(agreed.dialect),
                )
                path = nsm.callback_path("negotiations", agreed.consumer_pid, "agreement")
                self.submit(
                    self._send_for_negotiation, nsm.SendCallback(agreed.callback_address, path, message)
                )
                scheduled += 1
        pending = (NegotiationState.VERIFIED, NegotiationState.ACCEPTED)
        for negotiation in self._store.list_negotiations(states=pending):
            if negotiation.state is NegotiationState.VERIFIED:
                self.submit(self.negotiation_move, negotiation.provider_pid, nsm.finalize)
            else:
                self.submit(self._agree_accepted, negotiation.provider_pid)
            scheduled += 1
        for transfer in self._store.list_transfers(states=[TransferState.REQUESTED]):
            check = nsm.CheckAgreement(
                transfer.provider_pid,
                transfer.agreement_id,
                transfer.format,
                transfer.kind == "push",
                transfer.counterparty,
            )
            self.submit(self._start_transfer, check)
            scheduled += 1
        return scheduled

    # -- negotiation ---------------------------------------------------------------------------------------

    def negotiation_effects(self, effects: Iterable[nsm.Effect], claims: Mapping[str, Any]) -> None:
        """Schedule the reactions to a negotiation outcome."""
        for effect in effects:
            if isinstance(effect, nsm.EvaluatePolicy):
                if self.hold_requests:
                    _log.info("negotiation %s held for a provider move", effect.provider_pid)
                else:
                    self.submit(self._decide, effect, dict(claims))
            elif isinstance(effect, nsm.StateChanged) and effect.state is NegotiationState.VERIFIED:
                self.submit(self.negotiation_move, effect.provider_pid, nsm.finalize)
            elif isinstance(effect, nsm.StateChanged) and effect.state is NegotiationState.ACCEPTED:
                self.submit(self._agree_accepted, effect.provider_pid)
            elif isinstance(effect, nsm.SendCallback):
                self.submit(self._send_for_negotiation, effect)

    def _send_for_negotiation(self, callback: nsm.SendCallback) -> None:
        record = self._find_negotiation_by_callback(callback)
        self.deliver(
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
        self.deliver(step.callback, dialect=record.dialect, audience=record.counterparty)
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
        agreement = self._agreement(offer, dataset.id, effect.counterparty)
        self.negotiation_move(
            effect.provider_pid,
            lambda r: nsm.agree(r, agreement, provider_address=self.dsp_base(r.dialect)),
        )

    def _agreement(self, offer: Offer, target: str | None, assignee: str | None) -> Agreement:
        return Agreement(
            id=nsm.new_pid(),
            target=target,
            assigner=self._participant.did,
            assignee=assignee,
            permission=offer.permission,
            prohibition=offer.prohibition,
            obligation=offer.obligation,
        )

    def _agree_accepted(self, provider_pid: str) -> None:
        """The consumer accepted our offer: agree on exactly its terms."""

        def agree(record: nsm.NegotiationRecord) -> nsm.Step[nsm.NegotiationRecord]:
            if record.offer is None or record.offer_from != "provider":
                raise NegotiationError(f"negotiation {provider_pid} has no provider offer to agree on")
            agreement = self._agreement(record.offer, record.dataset_id, record.counterparty)
            return nsm.agree(record, agreement, provider_address=self.dsp_base(record.dialect))

        self.negotiation_move(provider_pid, agree)

    def offer(self, provider_pid: str, offer: Offer) -> nsm.Step[nsm.NegotiationRecord] | None:
        """Send an offer (a counter-offer to the consumer's request): REQUESTED -> OFFERED.

        Returns:
            The step, or ``None`` when the negotiation is unknown.

        Raises:
            NegotiationError: The negotiation is not REQUESTED, or the offer has no ``@id``.
        """
        return self.negotiation_move(
            provider_pid, lambda r: nsm.offer(r, offer, provider_address=self.dsp_base(r.dialect))
        )

    def initiate_offer(self, offer: Offer, *, callback_address: str, consumer: str, dialect: str) -> str:
        """Start a negotiation with an offer to a consumer (``POST <callback>/negotiations/offers``).

        The state lock is held until the consumer's answer is stored, so that a quick answer from the
        consumer finds the negotiation.

        Returns:
            The provider pid of the new negotiation (state OFFERED).

        Raises:
            NegotiationError: An offer without ``@id``/target, or an answer that is not a ContractNegotiation
                naming our providerPid.
            APIError: The consumer could not be reached or refused the offer.
        """
        callback = nsm.initial_offer(
            offer, callback_address=callback_address, provider_address=self.dsp_base(dialect)
        )
        message = callback.message
        assert isinstance(message, ContractOfferMessage)
        with self._lock:
            response = self._sender.exchange(callback, dialect=dialect, audience=consumer)
            try:
                ack = wire.decode(response.content, dialect=dialect)
            except (DecodeError, JsonLdError) as exc:
                raise NegotiationError(f"the consumer's answer to the offer cannot be read: {exc}") from exc
            if not isinstance(ack, ContractNegotiation) or ack.provider_pid != message.provider_pid:
                raise NegotiationError(
                    "the consumer did not answer the offer with a ContractNegotiation naming "
                    f"providerPid {message.provider_pid}"
                )
            record = nsm.offered(
                message, callback_address, ack.consumer_pid, counterparty=consumer, dialect=dialect
            )
            self._store.save_negotiation(record)
        return record.provider_pid

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
        self.deliver(
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
        self.deliver(step.callback, dialect=record.dialect, audience=record.counterparty)
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
            edc_names=self.edc_property_names,
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
        self.deliver(callback, dialect=record.dialect, audience=record.counterparty)

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


def _token_generation(address: DataAddress | None) -> int:
    """The revocation generation of the EDR token in a stored start address (0 when there is none).

    The token is our own, read back from our own store to restore state, not trusted input: it is decoded
    without verification (the data plane verifies every token it is shown).
    """
    from d4h_sdk.identity.jose import peek

    token = address.property("authorization") if address is not None else None
    if not isinstance(token, str):
        return 0
    try:
        generation = peek(token)[1].get("gen", 0)
    except D4HError:
        return 0
    return generation if isinstance(generation, int) and not isinstance(generation, bool) else 0
