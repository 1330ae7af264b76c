"""``session.negotiations``: pick an offer, negotiate, wait, terminate, resume after a restart."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol, runtime_checkable

from d4h_sdk.connectors import Connector, NegotiationStatus, Provider
from d4h_sdk.errors import (
    ConfigurationError,
    NegotiationTerminatedError,
    NegotiationTimeoutError,
)
from d4h_sdk.models import Dataset, Offer
from d4h_sdk.models.negotiation import NegotiationState
from d4h_sdk.negotiation._contract import Contract
from d4h_sdk.negotiation._select import PurposeLike, requested_offer, select_offer
from d4h_sdk.negotiation._wait import PollPolicy, send_unless_refused, wait_for
from d4h_sdk.store import AgreementRecord, NegotiationRecord, Store

__all__ = ["Negotiations", "ProcessExporter"]


@runtime_checkable
class ProcessExporter(Protocol):
    """A backend whose process state lives in the client (DspConnector) and must be saved to resume it."""

    def export_process(self, local_id: str) -> dict[str, Any]:
        """The process as JSON-serialisable data (no secrets)."""
        ...

    def restore_process(self, record: Mapping[str, Any]) -> str:
        """Adopt a process exported by another instance or process; return its local id."""
        ...


def _as_provider(provider: Provider | str | None) -> Provider | None:
    if provider is None or isinstance(provider, Provider):
        return provider
    if isinstance(provider, str):
        return Provider(provider)
    raise ConfigurationError(f"provider must be a Provider or a URL, got {type(provider).__name__}")


class Negotiations:
    """Contract negotiations through the session's connector, recorded in its store.

    Not constructed directly: use ``session.negotiations``.
    """

    def __init__(
        self,
        connector: Connector,
        store: Store,
        *,
        claims: Mapping[str, Any] | None,
        poll: PollPolicy,
        default_timeout: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._connector = connector
        self._store = store
        self._claims = dict(claims or {})
        self._poll = poll
        self._timeout = default_timeout
        self._clock = clock

    def __repr__(self) -> str:
        return f"Negotiations(connector={self._connector.kind!r})"

    # -- starting --------------------------------------------------------------------------------------------

    def _target(
        self, target: object, provider: Provider | str | None, offer_id: str | None
    ) -> tuple[Provider, str, Dataset | None, Offer | None]:
        explicit = _as_provider(provider)
        hit_dataset = getattr(target, "dataset", None)
        if isinstance(hit_dataset, Dataset):  # a catalog DatasetHit
            hit_provider = getattr(target, "provider", None)
            chosen = explicit or (hit_provider if isinstance(hit_provider, Provider) else None)
            target = hit_dataset
        else:
            chosen = explicit
        if chosen is None:
            raise ConfigurationError(
                "say which provider to negotiate with: pass provider=... (a Provider or its DSP URL), "
                "or pass a search hit from session.catalog"
            )
        if isinstance(target, Dataset):
            if not target.id:
                raise ConfigurationError("the dataset has no id; negotiate for a dataset from a catalog")
            if offer_id is not None:
                picked = [offer for offer in target.offers if offer.id == offer_id]
                if not picked:
                    known = [offer.id for offer in target.offers]
                    raise ConfigurationError(f"dataset {target.id} has no offer {offer_id!r}; it has {known}")
                return chosen, target.id, target, picked[0]
            return chosen, target.id, target, None
        if isinstance(target, Offer):
            if not target.target:
                raise ConfigurationError(
                    "the offer has no target: negotiate for the dataset (or a search hit) instead, "
                    "or set the offer's target to the dataset id"
                )
            return chosen, target.target, None, target
        raise ConfigurationError(
            f"cannot negotiate for a {type(target).__name__}: pass a search hit, a Dataset or an Offer"
        )

    def start(
        self,
        target: object,
        *,
        provider: Provider | str | None = None,
        purpose: PurposeLike | None = None,
        claims: Mapping[str, Any] | None = None,
        offer_id: str | None = None,
    ) -> str:
        """Send a contract request and return the local negotiation id at once (see :meth:`wait`).

        Args:
            target: A search hit (``session.catalog.search(...)[0]``), a :class:`~d4h_sdk.models.Dataset`,
                or an :class:`~d4h_sdk.models.Offer` whose ``target`` is the dataset id.
            provider: The provider (required unless ``target`` is a search hit).
            purpose: The declared purpose (:mod:`d4h_sdk.purposes`): the offer is chosen for it, checked
                locally, and the purpose is declared in the request.
            claims: Your claims for the local check (default: the session's).
            offer_id: Request this offer of the dataset instead of choosing one.

        Raises:
            PolicyMismatchError: No offer is compatible with the purpose and claims (nothing was sent).
            ConfigurationError: Bad arguments.
            APIError: The request failed (a refusal of the provider or the connector).
        """
        chosen, dataset_id, dataset, offer = self._target(target, provider, offer_id)
        effective_claims = self._claims if claims is None else dict(claims)
        if offer is None:
            assert dataset is not None
            offer = select_offer(dataset, purpose=purpose, claims=effective_claims)
        request = requested_offer(
            offer, dataset_id=dataset_id, provider_id=chosen.participant_id, purpose=purpose
        )
        negotiation_id = send_unless_refused(
            lambda: self._connector.start_negotiation(chosen, request),
            what="contract request",
            policy=self._poll,
        )
        now = self._clock()
        self._store.put_negotiation(
            NegotiationRecord(
                id=negotiation_id,
                backend=self._connector.kind,
                provider_address=chosen.address,
                provider_id=chosen.participant_id,
                protocol=chosen.protocol,
                dataset_id=dataset_id,
                offer_id=offer.id,
                state=NegotiationState.REQUESTED.value,
                agreement_id=None,
                created_at=now,
                updated_at=now,
                extra=self._export(negotiation_id),
            )
        )
        return negotiation_id

    def _export(self, negotiation_id: str) -> dict[str, Any]:
        if isinstance(self._connector, ProcessExporter):
            return self._connector.export_process(negotiation_id)
        return {}

    # -- following -------------------------------------------------------------------------------------------

    def get(self, negotiation_id: str) -> NegotiationStatus:
        """The negotiation's current state (one request to the connector)."""
        status = self._connector.get_negotiation(negotiation_id)
        self._record(status)
        return status

    def _record(self, status: NegotiationStatus) -> None:
        record = self._store.get_negotiation(status.id)
        if record is None or (
            record.state == status.state.value and record.agreement_id == status.agreement_id
        ):
            return
        self._store.put_negotiation(
            dataclasses.replace(
                record,
                state=status.state.value,
                agreement_id=status.agreement_id,
                updated_at=self._clock(),
                extra=self._export(status.id) or record.extra,
            )
        )

    def wait(
        self,
        negotiation_id: str,
        *,
        timeout: float | None = None,
        on_state: Callable[[NegotiationStatus], None] | None = None,
    ) -> Contract:
        """Wait until the negotiation is FINALIZED and return the contract.

        Args:
            negotiation_id: The local id from :meth:`start`.
            timeout: Seconds (default: the session's ``negotiation_timeout``).
            on_state: Called with each new state as it is observed (e.g. to print progress).

        Raises:
            NegotiationTerminatedError: The negotiation was terminated (with the provider's code and reason).
            NegotiationTimeoutError: Not final before the deadline (it goes on at the provider).
        """
        limit = self._timeout if timeout is None else timeout
        if limit <= 0:
            raise ConfigurationError(f"timeout must be positive, got {limit}")
        outcome = wait_for(
            lambda: self.get(negotiation_id),
            lambda status: status.state.is_final,
            timeout=limit,
            policy=self._poll,
            notifier=self._connector,
            process_id=negotiation_id,
            on_change=on_state,
            key=lambda status: status.state,
        )
        status = outcome.status
        if not outcome.done:
            raise NegotiationTimeoutError(negotiation_id, last_state=status.state.value, timeout=limit)
        if status.state is NegotiationState.TERMINATED:
            raise NegotiationTerminatedError(negotiation_id, code=status.code, reason=status.reason)
        return self._contract(status)

    def _contract(self, status: NegotiationStatus) -> Contract:
        if not status.agreement_id:
            raise NegotiationTerminatedError(
                status.id, reason=("the negotiation is FINALIZED but the connector reported no agreement id",)
            )
        record = self._store.get_negotiation(status.id)
        provider = status.provider
        if provider is None and record is not None:
            provider = Provider(record.provider_address, record.provider_id, record.protocol)
        if provider is None:
            raise ConfigurationError(
                f"negotiation {status.id} is not in the session's store: provider unknown"
            )
        agreement = status.agreement
        if agreement is None:
            agreement = self._connector.get_agreement(status.agreement_id)
        dataset_id = record.dataset_id if record is not None else agreement.target
        contract = Contract(status.agreement_id, status.id, provider, dataset_id, agreement)
        self._store.put_agreement(
            AgreementRecord(
                id=contract.id,
                negotiation_id=status.id,
                dataset_id=dataset_id,
                provider_address=provider.address,
                provider_id=provider.participant_id,
                policy=agreement.model_dump(mode="json", by_alias=True, exclude_none=True),
                created_at=self._clock(),
            )
        )
        return contract

    def negotiate(
        self,
        target: object,
        *,
        provider: Provider | str | None = None,
        purpose: PurposeLike | None = None,
        claims: Mapping[str, Any] | None = None,
        offer_id: str | None = None,
        timeout: float | None = None,
        on_state: Callable[[NegotiationStatus], None] | None = None,
    ) -> Contract:
        """:meth:`start` and :meth:`wait` in one call: from a dataset (or search hit) to a contract.

        Raises:
            PolicyMismatchError: No offer fits the purpose and claims (nothing was sent).
            NegotiationTerminatedError: The provider or connector terminated it; ``code``/``reason`` say why.
            NegotiationTimeoutError: Not final before ``timeout``.
        """
        negotiation_id = self.start(
            target, provider=provider, purpose=purpose, claims=claims, offer_id=offer_id
        )
        return self.wait(negotiation_id, timeout=timeout, on_state=on_state)

    def terminate(self, negotiation_id: str, *, reason: str | None = None) -> None:
        """Terminate a negotiation that is not final yet."""
        self._connector.terminate_negotiation(negotiation_id, reason=reason)
        self.get(negotiation_id)

    def resume(
        self,
        negotiation_id: str,
        *,
        timeout: float | None = None,
        on_state: Callable[[NegotiationStatus], None] | None = None,
    ) -> Contract:
        """Continue a negotiation recorded in the store (after a restart, possibly in another process).

        Raises:
            ConfigurationError: The store has no such negotiation, or it was made with another backend.
            NegotiationTerminatedError / NegotiationTimeoutError: as :meth:`wait`.
        """
        record = self._store.get_negotiation(negotiation_id)
        if record is None:
            raise ConfigurationError(
                f"negotiation {negotiation_id} is not in this session's store; open the session with the "
                "store it was started with (Session(..., store=SqliteStore(path)))"
            )
        if record.backend.split("-")[0] != self._connector.kind.split("-")[0]:
            raise ConfigurationError(
                f"negotiation {negotiation_id} was started through {record.backend}, "
                f"this session uses {self._connector.kind}"
            )
        if isinstance(self._connector, ProcessExporter) and record.extra:
            self._connector.restore_process(record.extra)
        return self.wait(negotiation_id, timeout=timeout, on_state=on_state)

    def save_pending(self) -> int:
        """Save the client-side state of every unfinished negotiation to the store (done on session close).

        Only backends whose process state lives in the client (the direct DSP connector) need it: an agreement
        that arrived by callback is then known to a later session that resumes the negotiation.

        Returns:
            How many records were updated.
        """
        if not isinstance(self._connector, ProcessExporter):
            return 0
        saved = 0
        for record in self._store.list_negotiations(backend=self._connector.kind):
            if record.state in (NegotiationState.FINALIZED.value, NegotiationState.TERMINATED.value):
                continue
            try:
                extra = self._connector.export_process(record.id)
            except ConfigurationError:
                continue  # started by another connector instance that never restored it
            self._store.put_negotiation(dataclasses.replace(record, extra=extra, updated_at=self._clock()))
            saved += 1
        return saved

    def recorded(self, *, state: NegotiationState | str | None = None) -> list[NegotiationRecord]:
        """Negotiations recorded in the store (optionally in one state)."""
        wanted = state.value if isinstance(state, NegotiationState) else state
        return self._store.list_negotiations(state=wanted)

    def contract(self, agreement_id: str) -> Contract:
        """A contract recorded in the store by its agreement id.

        Raises:
            ConfigurationError: No such agreement in the store.
        """
        record = self._store.get_agreement(agreement_id)
        if record is None or record.provider_address is None:
            raise ConfigurationError(f"agreement {agreement_id} is not in this session's store")
        from d4h_sdk.models.policy import Agreement

        policy = Agreement.model_validate(dict(record.policy)) if record.policy else None
        return Contract(
            record.id,
            record.negotiation_id,
            Provider(record.provider_address, record.provider_id),
            record.dataset_id,
            policy,
        )
