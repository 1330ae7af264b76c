"""What differs between EDC Management API versions, EDC's state names, and EDC's error bodies.

Everything version-specific about :class:`~d4h_sdk.connectors.EdcConnector` lives in :data:`PROFILES`: the
path prefixes, the wire dialect, the JSON-LD context of hand-built bodies, and which operations exist. The
connector itself never branches on the version string.

Detection rule (:func:`detection_probe`): ``POST <management>/v4/contractnegotiations/request`` with a v4
``QuerySpec`` of limit 1. A 2xx or a 400 (the route exists, the body was judged) means v4; a 404 or 405
means the EDC has no ``/v4`` (EDC 0.14-0.16 serve ``/v3`` plus ``/v4alpha`` or ``/v4beta``) and v3 is used.
Any other status is raised (401/403: the credentials are wrong for either version).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from d4h_sdk._redact import redact_text
from d4h_sdk.errors import APIStatusError, ResponseValidationError
from d4h_sdk.models.negotiation import NegotiationState
from d4h_sdk.models.transfer import TransferState
from d4h_sdk.wire._edc import V3_CONTEXT, V4_CONTEXT
from d4h_sdk.wire._terms import EDC

__all__ = [
    "NEGOTIATION_STATES",
    "ODRL_CONTEXT",
    "PROFILES",
    "TRANSFER_STATES",
    "ApiProfile",
    "detection_probe",
    "edc_error_detail",
    "error_fields",
    "field",
    "is_edc_error",
    "negotiation_state",
    "transfer_state",
    "with_edc_detail",
]

ODRL_CONTEXT = "http://www.w3.org/ns/odrl.jsonld"
"""The ODRL context EDC v3 expects inside policies (scoped to the policy object)."""


@dataclass(frozen=True)
class ApiProfile:
    """One Management API version: paths, dialect and capabilities.

    Attributes:
        version: ``v3`` or ``v4``.
        kind: The connector kind reported for this version.
        dialect: The :mod:`d4h_sdk.wire` dialect of request and response bodies.
        prefix: The path prefix of every resource (``/v3``, ``/v4``).
        edr_prefix: The path of the EDR cache API. EDC 0.17/0.18 still serve only the deprecated
            ``/v3/edrs`` routes next to ``/v4`` (the v4beta EDR API was removed in EDC 0.17).
        edr_dialect: The dialect of the EDR cache API's bodies (v3 in both cases).
        catalog_dialect: The dialect used to read catalogs and datasets (``None``: detect from
            ``@context``; v4 returns DSP 2025-1 documents).
        context: The ``@context`` of bodies the connector builds itself (assets, policy definitions,
            contract definitions).
        policy_context: A ``@context`` scoped to ODRL policies inside those bodies, or ``None`` when the
            body's context already defines the ODRL terms (v4: the management v2 context imports the DSP
            2025-1 ODRL profile for ``PolicyDefinition``).
        data_destination: Whether a transfer request may carry ``dataDestination`` (push transfers).
        counter_party_id_required: Whether catalog and contract requests need ``counterPartyId``.
        complete_path: The suffix completing a transfer, or ``None`` when the API has no such call.
    """

    version: str
    kind: str
    dialect: str
    prefix: str
    edr_prefix: str
    edr_dialect: str
    catalog_dialect: str | None
    context: Any
    policy_context: str | None
    data_destination: bool
    counter_party_id_required: bool
    complete_path: str | None = None


PROFILES: Mapping[str, ApiProfile] = {
    "v3": ApiProfile(
        version="v3",
        kind="edc-v3",
        dialect="edc-v3",
        prefix="/v3",
        edr_prefix="/v3/edrs",
        edr_dialect="edc-v3",
        catalog_dialect="edc-v3",
        context=dict(V3_CONTEXT),
        policy_context=ODRL_CONTEXT,
        data_destination=True,
        counter_party_id_required=False,
    ),
    "v4": ApiProfile(
        version="v4",
        kind="edc-v4",
        dialect="edc-v4",
        prefix="/v4",
        edr_prefix="/v3/edrs",
        edr_dialect="edc-v3",
        catalog_dialect=None,
        context=list(V4_CONTEXT),
        policy_context=None,
        data_destination=False,
        counter_party_id_required=True,
    ),
}
"""The one table of version differences, keyed by ``api_version``."""


def detection_probe() -> tuple[str, dict[str, Any]]:
    """The request that tells v4 from v3: a path below the management base and its JSON body."""
    body = {"@context": list(V4_CONTEXT), "@type": "QuerySpec", "offset": 0, "limit": 1}
    return "/v4/contractnegotiations/request", body


def _table(pairs: Mapping[Any, tuple[str, ...]]) -> dict[str, Any]:
    return {raw: target for target, raws in pairs.items() for raw in raws}


NEGOTIATION_STATES: Mapping[str, NegotiationState] = _table(
    {
        NegotiationState.REQUESTED: ("INITIAL", "REQUESTING", "REQUESTED"),
        NegotiationState.OFFERED: ("OFFERING", "OFFERED"),
        NegotiationState.ACCEPTED: ("ACCEPTING", "ACCEPTED"),
        NegotiationState.AGREED: ("AGREEING", "AGREED"),
        NegotiationState.VERIFIED: ("VERIFYING", "VERIFIED"),
        NegotiationState.FINALIZED: ("FINALIZING", "FINALIZED"),
        NegotiationState.TERMINATED: ("TERMINATING", "TERMINATED"),
    }
)
"""EDC negotiation state -> the DSP state it is in or leads to."""

TRANSFER_STATES: Mapping[str, TransferState] = _table(
    {
        TransferState.REQUESTED: (
            "INITIAL",
            "PROVISIONING",
            "PROVISIONING_REQUESTED",
            "PROVISIONED",
            "REQUESTING",
            "REQUESTED",
        ),
        TransferState.STARTED: ("STARTING", "STARTUP_REQUESTED", "STARTED", "RESUMING", "RESUMED"),
        TransferState.SUSPENDED: ("SUSPENDING", "SUSPENDING_REQUESTED", "SUSPENDED"),
        TransferState.COMPLETED: ("COMPLETING", "COMPLETING_REQUESTED", "COMPLETED"),
        TransferState.TERMINATED: ("TERMINATING", "TERMINATING_REQUESTED", "TERMINATED"),
    }
)
"""EDC transfer state -> the DSP state it is in or leads to (deprovisioning: see :func:`transfer_state`)."""

_DEPROVISIONING = frozenset({"DEPROVISIONING", "DEPROVISIONING_REQUESTED", "DEPROVISIONED"})


def negotiation_state(raw: str) -> NegotiationState:
    """Map an EDC negotiation state name to the DSP state.

    Raises:
        ResponseValidationError: EDC reported a state this SDK does not know.
    """
    try:
        return NEGOTIATION_STATES[raw]
    except KeyError:
        raise ResponseValidationError(
            f"EDC reported the unknown negotiation state {raw!r}; expected one of "
            f"{', '.join(NEGOTIATION_STATES)}"
        ) from None


def transfer_state(raw: str, *, failed: bool) -> TransferState:
    """Map an EDC transfer state name to the DSP state.

    EDC deprovisions after a transfer ends either way: ``DEPROVISIONING``/``DEPROVISIONED`` map to
    TERMINATED when the process carries an error detail (``failed``), else to COMPLETED.

    Raises:
        ResponseValidationError: EDC reported a state this SDK does not know.
    """
    if raw in _DEPROVISIONING:
        return TransferState.TERMINATED if failed else TransferState.COMPLETED
    try:
        return TRANSFER_STATES[raw]
    except KeyError:
        raise ResponseValidationError(
            f"EDC reported the unknown transfer state {raw!r}; expected one of "
            f"{', '.join([*TRANSFER_STATES, *sorted(_DEPROVISIONING)])}"
        ) from None


def field(obj: Mapping[str, Any], name: str) -> Any:
    """Read an EDC term from a compacted object, unprefixed, ``edc:``-prefixed or as a full IRI.

    JSON-LD value objects (``{"@value": ...}``) and one-element lists are unwrapped.
    """
    for key in (name, f"edc:{name}", EDC + name):
        if key in obj:
            value = obj[key]
            if isinstance(value, list) and len(value) == 1:
                value = value[0]
            if isinstance(value, Mapping) and "@value" in value:
                return value["@value"]
            return value
    return None


def _describe(item: Mapping[str, Any]) -> str:
    parts = [str(item[key]) for key in ("type", "path") if item.get(key) not in (None, "")]
    return " at ".join(parts) if parts else "no type"


def edc_error_detail(body: object) -> str | None:
    """Summarise the ``type`` and ``path`` of each entry of EDC's error list ``[{message, type, path}]``.

    The messages themselves are already in the HTTP error's text (redacted there with the credentials the
    request carried); ``invalidValue`` is left out, as it may echo what was sent.

    Returns:
        E.g. ``"1. ValidationFailure at edc:counterPartyAddress; 2. ..."``, or ``None`` if ``body`` is not
        such a list.
    """
    if not isinstance(body, list) or not body:
        return None
    items = [item for item in body if isinstance(item, Mapping) and ("message" in item or "type" in item)]
    if not items:
        return None
    return "; ".join(f"{number}. {_describe(item)}" for number, item in enumerate(items[:10], start=1))


def is_edc_error(body: object, error_type: str) -> bool:
    """Tell whether ``body`` is EDC's error list holding an error of ``error_type`` (e.g. ObjectNotFound)."""
    return isinstance(body, list) and any(
        isinstance(item, Mapping) and item.get("type") == error_type for item in body
    )


def with_edc_detail(exc: APIStatusError, prefix: str = "") -> APIStatusError:
    """A copy of ``exc`` whose message also shows the type and path of each entry of EDC's error list.

    Args:
        exc: The error the HTTP client raised (its text already holds the redacted messages).
        prefix: Text put before the message (e.g. a hint about the operation).

    Returns:
        A new exception of the same class with the same attributes, or ``exc`` itself when its body is
        not an EDC error list and there is no prefix.
    """
    detail = edc_error_detail(exc.body)
    if detail is None and not prefix:
        return exc
    message = str(exc)
    if exc.correlation_id:
        message = message.removeprefix(f"Request {exc.correlation_id}: ")
    message = message.removeprefix(f"HTTP {exc.status_code}: ")
    if detail is not None:
        message = f"{message} (EDC errors: {redact_text(detail)})"
    return type(exc)(
        f"{prefix}{message}",
        status_code=exc.status_code,
        correlation_id=exc.correlation_id,
        dsp_error=exc.dsp_error,
        request_method=exc.request_method,
        url=exc.url,
        body=exc.body,
    )


_CODE_PREFIX = re.compile(r"^([A-Z][A-Z0-9_]{2,}): (.+)$", re.S)


def error_fields(error_detail: str | None) -> tuple[str | None, tuple[str, ...]]:
    """``(code, reason)`` of a process status from EDC's ``errorDetail``.

    EDC has no separate code field: a provider's termination code arrives as the start of the text
    (``POLICY_PROHIBITED: the declared purpose ...``), and is split off here.
    """
    if not error_detail:
        return None, ()
    found = _CODE_PREFIX.match(error_detail)
    if found is None:
        return None, (error_detail,)
    return found.group(1), (found.group(2),)
