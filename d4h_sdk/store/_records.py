"""The records a store keeps, and the :class:`Store` protocol every store implements.

Records are frozen snapshots. Their mapping fields (``extra``, ``policy``) must be JSON (objects, arrays,
strings, finite numbers, booleans, null): each record keeps its own deep copy, normalised through JSON at
construction (tuples become lists), so what a store returns compares equal to what was put in.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Protocol, runtime_checkable

from d4h_sdk.errors import ConfigurationError

__all__ = ["AgreementRecord", "EdrRecord", "NegotiationRecord", "Store", "TransferRecord"]


def _json_copy(value: object, where: str) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise ConfigurationError(f"{where} must be a mapping (a JSON object), not {type(value).__name__}")
    try:
        text = json.dumps(value, allow_nan=False, sort_keys=True)
    except (TypeError, ValueError) as exc:
        raise ConfigurationError(f"{where} must be JSON-serialisable: {exc}") from exc
    copied: dict[str, Any] = json.loads(text)
    return copied


def _check_text(value: object, where: str, *, optional: bool) -> None:
    if optional:
        if value is not None and not isinstance(value, str):
            raise ConfigurationError(f"{where} must be a string or None, not {value!r}")
    elif not isinstance(value, str) or not value:
        raise ConfigurationError(f"{where} must be a non-empty string, not {value!r}")


def _check_time(value: object, where: str, *, optional: bool) -> float | None:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ConfigurationError(f"{where} must be a finite number of seconds since the epoch, not {value!r}")
    return float(value)


def _validate(record: object) -> None:
    """Check every field of a record from its annotation; normalise times to float and mappings to JSON."""
    kind = type(record).__name__
    for item in fields(record):  # type: ignore[arg-type]
        where = f"{kind}.{item.name}"
        annotation = str(item.type)
        optional = annotation.endswith("| None")
        value = getattr(record, item.name)
        if annotation.startswith("str"):
            if item.name == "authorization":  # a secret: never echo it back in a message
                if value is not None and not isinstance(value, str):
                    raise ConfigurationError(f"{where} must be a string or None")
                continue
            _check_text(value, where, optional=optional)
        elif annotation.startswith("float"):
            object.__setattr__(record, item.name, _check_time(value, where, optional=optional))
        elif annotation.startswith("Mapping"):
            object.__setattr__(record, item.name, _json_copy(value, where))


@dataclass(frozen=True)
class NegotiationRecord:
    """A contract negotiation as the consumer last saw it.

    Attributes:
        id: The connector's local id of the negotiation (EDC id; for DSP the consumer pid).
        backend: The connector backend that runs it (e.g. ``"edc"``, ``"dsp"``).
        provider_address: The provider's DSP endpoint.
        provider_id: The provider's participant id (DID or BPN), if known.
        protocol: The protocol version (e.g. ``"dataspace-protocol-http:2025-1"``), if known.
        dataset_id: The dataset negotiated for.
        offer_id: The offer the request was based on.
        state: The last observed state (e.g. ``"REQUESTED"``, ``"FINALIZED"``).
        agreement_id: The agreement id once the negotiation is finalized.
        created_at: When the negotiation started (seconds since the epoch).
        updated_at: When this record was last written, as the caller sets it.
        extra: Backend data needed to resume (JSON), e.g. what ``DspConnector.export_process`` returns.
    """

    id: str
    backend: str
    provider_address: str
    provider_id: str | None
    protocol: str | None
    dataset_id: str | None
    offer_id: str | None
    state: str
    agreement_id: str | None
    created_at: float
    updated_at: float
    extra: Mapping[str, Any] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        _validate(self)


@dataclass(frozen=True)
class AgreementRecord:
    """A contract agreement the consumer holds.

    Attributes:
        id: The agreement id.
        negotiation_id: The local id of the negotiation that produced it, if known.
        dataset_id: The dataset (target) the agreement covers.
        provider_address: The provider's DSP endpoint.
        provider_id: The provider's participant id.
        policy: The agreement as JSON (DSP 2025-1 compact form).
        created_at: When the agreement was recorded (seconds since the epoch).
    """

    id: str
    negotiation_id: str | None
    dataset_id: str | None
    provider_address: str | None
    provider_id: str | None
    policy: Mapping[str, Any] = field(hash=False)
    created_at: float

    def __post_init__(self) -> None:
        _validate(self)


@dataclass(frozen=True)
class TransferRecord:
    """A transfer process as the consumer last saw it.

    Attributes:
        id: The connector's local id of the transfer process.
        backend: The connector backend that runs it.
        agreement_id: The agreement the transfer is under.
        provider_address: The provider's DSP endpoint.
        provider_id: The provider's participant id, if known.
        transfer_type: The transfer type (e.g. ``"HttpData-PULL"``).
        state: The last observed state (e.g. ``"STARTED"``, ``"COMPLETED"``).
        created_at: When the transfer started (seconds since the epoch).
        updated_at: When this record was last written, as the caller sets it.
        extra: Backend data needed to resume (JSON).
    """

    id: str
    backend: str
    agreement_id: str
    provider_address: str
    provider_id: str | None
    transfer_type: str
    state: str
    created_at: float
    updated_at: float
    extra: Mapping[str, Any] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        _validate(self)


@dataclass(frozen=True)
class EdrRecord:
    """An endpoint data reference cached for an agreement (one per agreement).

    ``authorization`` is a secret: it is left out of ``repr``. A :class:`~d4h_sdk.store.SqliteStore` without
    an ``edr_key`` does not keep it, and gives the record back with ``authorization=None``.

    Attributes:
        agreement_id: The agreement the EDR grants access under (the cache key).
        transfer_id: The transfer process that produced the EDR.
        endpoint: The data endpoint URL.
        authorization: The token to present to the endpoint, or ``None`` if it was not kept.
        auth_type: How to present it (e.g. ``"bearer"``).
        expires_at: When the token expires (seconds since the epoch), if known.
        stored_at: When the EDR was cached (seconds since the epoch).
    """

    agreement_id: str
    transfer_id: str
    endpoint: str
    authorization: str | None = field(repr=False)
    auth_type: str | None
    expires_at: float | None
    stored_at: float

    def __post_init__(self) -> None:
        _validate(self)

    def is_fresh(self, now: float, *, margin_s: float = 30) -> bool:
        """Tell whether the EDR can be used as it is, without fetching a new one.

        An EDR is fresh when it carries a token and the token does not expire within ``margin_s`` seconds
        of ``now``. A record without a token (for instance read back from a
        :class:`~d4h_sdk.store.SqliteStore` that has no ``edr_key``) is never fresh: fetch a new EDR.
        A token without a known expiry counts as fresh; a rejected call then tells the caller to refresh.

        Args:
            now: The current time in seconds since the epoch (``time.time()``).
            margin_s: Seconds of validity the token must still have; not negative.

        Returns:
            True if the EDR can be used now.

        Raises:
            ConfigurationError: ``margin_s`` is negative or not a number.
        """
        if isinstance(margin_s, bool) or not isinstance(margin_s, (int, float)) or not margin_s >= 0:
            raise ConfigurationError(f"margin_s must be a number of seconds >= 0, not {margin_s!r}")
        if self.authorization is None:
            return False
        return self.expires_at is None or now + margin_s < self.expires_at


@runtime_checkable
class Store(Protocol):
    """Where a session keeps negotiations, agreements, transfers and EDRs, so work resumes after a restart.

    ``put_*`` inserts or replaces the whole record under its id (``updated_at`` is whatever the caller set).
    ``get_*`` returns ``None`` for an unknown id. ``list_*`` returns records ordered by ``created_at`` (then
    id). Stores are safe to share between threads. After :meth:`close`, every call raises
    :class:`~d4h_sdk.errors.StoreError`.
    """

    def put_negotiation(self, record: NegotiationRecord) -> None:
        """Insert or replace a negotiation record."""
        ...

    def get_negotiation(self, negotiation_id: str) -> NegotiationRecord | None:
        """Return the negotiation record with this id, or ``None``."""
        ...

    def list_negotiations(
        self, *, state: str | None = None, backend: str | None = None
    ) -> list[NegotiationRecord]:
        """Return the negotiation records, optionally only those in ``state`` and/or of ``backend``."""
        ...

    def put_agreement(self, record: AgreementRecord) -> None:
        """Insert or replace an agreement record."""
        ...

    def get_agreement(self, agreement_id: str) -> AgreementRecord | None:
        """Return the agreement record with this id, or ``None``."""
        ...

    def list_agreements(self) -> list[AgreementRecord]:
        """Return every agreement record."""
        ...

    def put_transfer(self, record: TransferRecord) -> None:
        """Insert or replace a transfer record."""
        ...

    def get_transfer(self, transfer_id: str) -> TransferRecord | None:
        """Return the transfer record with this id, or ``None``."""
        ...

    def list_transfers(
        self, *, agreement_id: str | None = None, state: str | None = None
    ) -> list[TransferRecord]:
        """Return the transfer records, optionally only those under ``agreement_id`` and/or in ``state``."""
        ...

    def put_edr(self, record: EdrRecord) -> None:
        """Insert or replace the EDR cached for ``record.agreement_id``."""
        ...

    def get_edr(self, agreement_id: str) -> EdrRecord | None:
        """Return the EDR cached for an agreement, or ``None``."""
        ...

    def delete_edr(self, agreement_id: str) -> None:
        """Forget the EDR cached for an agreement (no error if there is none)."""
        ...

    def close(self) -> None:
        """Release the store's resources; closing twice is allowed."""
        ...
