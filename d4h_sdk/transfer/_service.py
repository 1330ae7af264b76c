"""``session.transfers``: pull (EDR, cached per agreement) and push, and the transfer process operations.

A pull needs an endpoint data reference (EDR). The first pull under a contract starts a transfer process,
waits for STARTED and asks the connector for the EDR; the EDR is cached per agreement (in the session's store;
tokens as the store's documentation says), so a repeat pull goes straight to the data plane while the token is
fresh, and otherwise refreshes it (EDC) or starts a new transfer (plain DSP has no refresh).
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from d4h_sdk._http import HttpClient
from d4h_sdk.connectors import Connector, TransferStatus
from d4h_sdk.errors import (
    ConfigurationError,
    TransferTerminatedError,
    TransferTimeoutError,
    UnsupportedOperationError,
)
from d4h_sdk.models import EndpointDataReference
from d4h_sdk.models.transfer import DataAddress, TransferState
from d4h_sdk.negotiation import Contract, PollPolicy, send_unless_refused, wait_for
from d4h_sdk.store import EdrRecord, Store, TransferRecord
from d4h_sdk.transfer._download import Download

__all__ = ["PULL", "PUSH", "Transfers"]

_log = logging.getLogger("d4h_sdk.transfer")

PULL = "HttpData-PULL"
"""The transfer type of an HTTP pull through an EDR."""

PUSH = "HttpData-PUSH"
"""The transfer type of an HTTP push to a consumer endpoint."""


class Transfers:
    """Transfer processes through the session's connector; use it as ``session.transfers``."""

    def __init__(
        self,
        connector: Connector,
        store: Store,
        *,
        data_http: HttpClient,
        poll: PollPolicy,
        default_timeout: float,
        refresh_margin: float,
        max_download_bytes: int | None,
        resolve_contract: Callable[[str], Contract],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._connector = connector
        self._store = store
        self._http = data_http
        self._poll = poll
        self._timeout = default_timeout
        self._margin = refresh_margin
        self._max_bytes = max_download_bytes
        self._resolve = resolve_contract
        self._clock = clock
        self._tokens: dict[str, EndpointDataReference] = {}

    def __repr__(self) -> str:
        return f"Transfers(connector={self._connector.kind!r})"

    def _contract(self, contract: Contract | str) -> Contract:
        if isinstance(contract, Contract):
            return contract
        if isinstance(contract, str) and contract:
            return self._resolve(contract)
        raise ConfigurationError(f"expected a Contract or an agreement id, got {contract!r}")

    # -- process operations ----------------------------------------------------------------------------------

    def start(
        self,
        contract: Contract | str,
        *,
        transfer_type: str = PULL,
        destination: DataAddress | str | None = None,
    ) -> str:
        """Request a transfer under a contract; return the local transfer id at once.

        Args:
            contract: The contract (or its agreement id, looked up in the store).
            transfer_type: :data:`PULL` (default) or :data:`PUSH`, or another type the provider offers.
            destination: For a push: where the provider sends the data (a URL or a DataAddress).

        Raises:
            ConfigurationError: A push without a destination, or an unknown contract.
            APIError: The connector or provider refused the request.
        """
        chosen = self._contract(contract)
        address = _destination(destination)
        if transfer_type.endswith("PUSH") and address is None:
            raise ConfigurationError("a push transfer needs destination=<URL or DataAddress> to push to")
        transfer_id = send_unless_refused(
            lambda: self._connector.start_transfer(
                chosen.provider, chosen.id, transfer_type=transfer_type, data_destination=address
            ),
            what="transfer request",
            policy=self._poll,
        )
        now = self._clock()
        self._store.put_transfer(
            TransferRecord(
                id=transfer_id,
                backend=self._connector.kind,
                agreement_id=chosen.id,
                provider_address=chosen.provider.address,
                provider_id=chosen.provider.participant_id,
                transfer_type=transfer_type,
                state=TransferState.REQUESTED.value,
                created_at=now,
                updated_at=now,
                extra={},
            )
        )
        return transfer_id

    def get(self, transfer_id: str) -> TransferStatus:
        """The transfer's current state (one request to the connector)."""
        status = self._connector.get_transfer(transfer_id)
        record = self._store.get_transfer(transfer_id)
        if record is not None and record.state != status.state.value:
            self._store.put_transfer(
                dataclasses.replace(record, state=status.state.value, updated_at=self._clock())
            )
        return status

    def wait(
        self,
        transfer_id: str,
        *,
        until: TransferState = TransferState.STARTED,
        timeout: float | None = None,
        on_state: Callable[[TransferStatus], None] | None = None,
    ) -> TransferStatus:
        """Wait until the transfer reaches ``until`` (or a later state: STARTED is passed by COMPLETED).

        Raises:
            TransferTerminatedError: The transfer was terminated (with the provider's code and reason).
            TransferTimeoutError: ``until`` not reached before the deadline.
        """
        limit = self._timeout if timeout is None else timeout
        if limit <= 0:
            raise ConfigurationError(f"timeout must be positive, got {limit}")
        reached = {until, TransferState.TERMINATED}
        if until is TransferState.STARTED:
            reached.add(TransferState.COMPLETED)
        outcome = wait_for(
            lambda: self.get(transfer_id),
            lambda status: status.state in reached,
            timeout=limit,
            policy=self._poll,
            notifier=self._connector,
            process_id=transfer_id,
            on_change=on_state,
            key=lambda status: status.state,
        )
        status = outcome.status
        if not outcome.done:
            raise TransferTimeoutError(transfer_id, last_state=status.state.value, timeout=limit)
        if status.state is TransferState.TERMINATED and until is not TransferState.TERMINATED:
            raise TransferTerminatedError(transfer_id, code=status.code, reason=status.reason)
        return status

    def suspend(self, transfer_id: str, *, reason: str | None = None) -> None:
        """Suspend a started transfer (its EDR stops working)."""
        self._connector.suspend_transfer(transfer_id, reason=reason)
        self._forget_transfer(transfer_id)

    def resume(self, transfer_id: str) -> None:
        """Resume a suspended transfer."""
        self._connector.resume_transfer(transfer_id)

    def complete(self, transfer_id: str) -> None:
        """Tell the provider everything was received."""
        self._connector.complete_transfer(transfer_id)
        self._forget_transfer(transfer_id)

    def terminate(self, transfer_id: str, *, reason: str | None = None) -> None:
        """Terminate a transfer that is not final yet."""
        self._connector.terminate_transfer(transfer_id, reason=reason)
        self._forget_transfer(transfer_id)

    def _forget_transfer(self, transfer_id: str) -> None:
        for agreement_id, edr in list(self._tokens.items()):
            if edr.transfer_id == transfer_id:
                self._tokens.pop(agreement_id, None)
                self._store.delete_edr(agreement_id)

    # -- pull ------------------------------------------------------------------------------------------------

    def edr(
        self, contract: Contract | str, *, refresh: bool = False, timeout: float | None = None
    ) -> EndpointDataReference:
        """The endpoint data reference to pull under ``contract``: cached, refreshed, or from a new transfer.

        Args:
            contract: The contract (or its agreement id).
            refresh: Do not use a cached token.
            timeout: Seconds to wait for a new transfer to start.

        Raises:
            TransferTerminatedError / TransferTimeoutError: A new transfer did not start.
        """
        chosen = self._contract(contract)
        cached = None if refresh else self._cached(chosen.id)
        if cached is not None:
            return cached
        record = self._store.get_edr(chosen.id)
        if record is not None:
            try:
                fresh = self._connector.get_edr(record.transfer_id, refresh=True)
            except UnsupportedOperationError:
                _log.debug("the backend cannot refresh EDRs; starting a new transfer under %s", chosen.id)
            else:
                return self._keep(chosen.id, fresh, record.transfer_id)
        transfer_id = self.start(chosen, transfer_type=PULL)
        self.wait(transfer_id, timeout=timeout)
        return self._keep(chosen.id, self._connector.get_edr(transfer_id), transfer_id)

    def _cached(self, agreement_id: str) -> EndpointDataReference | None:
        now = self._clock()
        edr = self._tokens.get(agreement_id)
        if edr is None:
            record = self._store.get_edr(agreement_id)
            if record is None or not record.authorization:
                return None
            edr = EndpointDataReference(
                endpoint=record.endpoint,
                authorization=record.authorization,
                auth_type=record.auth_type,
                transfer_id=record.transfer_id,
                agreement_id=record.agreement_id,
                expires_at=record.expires_at,
            )
        if edr.expires_at is not None and edr.expires_at - self._margin <= now:
            return None
        return edr

    def _keep(self, agreement_id: str, edr: EndpointDataReference, transfer_id: str) -> EndpointDataReference:
        edr = edr.model_copy(
            update={"agreement_id": agreement_id, "transfer_id": edr.transfer_id or transfer_id}
        )
        self._tokens[agreement_id] = edr
        self._store.put_edr(
            EdrRecord(
                agreement_id=agreement_id,
                transfer_id=edr.transfer_id or transfer_id,
                endpoint=edr.endpoint,
                authorization=edr.authorization,
                auth_type=edr.auth_type,
                expires_at=edr.expires_at,
                stored_at=self._clock(),
            )
        )
        return edr

    def pull(
        self,
        contract: Contract | str,
        *,
        timeout: float | None = None,
        progress: Callable[[int, int | None], None] | None = None,
        max_bytes: int | None = None,
        **download_options: Any,
    ) -> Download:
        """A :class:`Download` of the data under ``contract`` (a transfer is started only when needed).

        Use it as a context manager; read with ``to_file``, ``read_bytes``, ``iter_bytes`` or ``to_pandas``.
        A token that expires during the download is refreshed once, transparently.

        Raises:
            TransferTerminatedError / TransferTimeoutError: The transfer did not start.
        """
        chosen = self._contract(contract)
        edr = self.edr(chosen, timeout=timeout)
        return Download(
            edr,
            http=self._http,
            max_bytes=max_bytes if max_bytes is not None else self._max_bytes,
            progress=progress,
            refresh_edr=lambda: self.edr(chosen, refresh=True, timeout=timeout),
            **download_options,
        )

    # -- push ------------------------------------------------------------------------------------------------

    def push(
        self,
        contract: Contract | str,
        destination: DataAddress | str,
        *,
        wait: bool = True,
        timeout: float | None = None,
    ) -> TransferStatus:
        """Ask the provider to push the data to ``destination`` (a URL you serve, or a DataAddress).

        Args:
            contract: The contract (or its agreement id).
            destination: Where to push.
            wait: Wait until the provider reports the transfer COMPLETED.
            timeout: Seconds to wait.

        Raises:
            TransferTerminatedError / TransferTimeoutError: The push failed or did not finish in time.
        """
        transfer_id = self.start(contract, transfer_type=PUSH, destination=destination)
        if not wait:
            return self.get(transfer_id)
        return self.wait(transfer_id, until=TransferState.COMPLETED, timeout=timeout)


def _destination(destination: DataAddress | str | Mapping[str, Any] | None) -> DataAddress | None:
    if destination is None or isinstance(destination, DataAddress):
        return destination
    if isinstance(destination, str):
        if not destination.startswith(("http://", "https://")):
            raise ConfigurationError(f"a push destination must be an http(s) URL, got {destination!r}")
        return DataAddress(endpoint_type="https://w3id.org/idsa/v4.1/HTTP", endpoint=destination)
    raise ConfigurationError(
        f"a push destination must be a URL or a DataAddress, got {type(destination).__name__}"
    )
