"""The EDC Management API dialects: v3 (EDC 0.14-0.16) and v4 (EDC 0.17+).

Requests are written in the shape EDC documents for each version; responses are read through JSON-LD
expansion (EDC compacts them with ``@vocab`` = its namespace plus prefixes, or with its management contexts)
and mapped onto the models with EDC's namespace stripped.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from d4h_sdk.errors import EncodeError
from d4h_sdk.models._base import WireModel, canonical_dict
from d4h_sdk.models.management import TransferRequest
from d4h_sdk.models.policy import Policy
from d4h_sdk.wire._terms import EDC, EDC_MANAGEMENT_V2

__all__ = ["V3_CONTEXT", "V4_CONTEXT", "encode_edc"]

V3_CONTEXT: Mapping[str, str] = {"@vocab": EDC}
"""The ``@context`` of v3 request bodies: EDC's namespace as vocabulary."""

V4_CONTEXT: list[str] = [EDC_MANAGEMENT_V2]
"""The ``@context`` of v4 request bodies (the v4 JSON Schemas require an array holding it)."""

ODRL_CONTEXT = "http://www.w3.org/ns/odrl.jsonld"


def _policy_v3(policy: Mapping[str, Any]) -> dict[str, Any]:
    # Under v3's @vocab the ODRL terms would land in EDC's namespace: scope the ODRL context to the policy.
    return {"@context": ODRL_CONTEXT, **policy}


def encode_edc(message: WireModel, *, version: str) -> dict[str, Any]:
    """Write a Management API request body for ``version`` ("v3" or "v4").

    Raises:
        EncodeError: The message cannot be expressed in that API version.
    """
    if isinstance(message, Policy) and not message.type and not message.MESSAGE_TYPE:
        raise EncodeError("a policy needs a type (Offer, Agreement) to be written for EDC")
    if version == "v4" and isinstance(message, TransferRequest) and message.data_destination is not None:
        raise EncodeError(
            "EDC Management API v4 has no dataDestination; use a pull transfer type or callback addresses"
        )
    body = canonical_dict(message)
    if version == "v3" and isinstance(body.get("policy"), Mapping):
        body["policy"] = _policy_v3(body["policy"])
    context: Any = dict(V3_CONTEXT) if version == "v3" else list(V4_CONTEXT)
    return {"@context": context, **body}
