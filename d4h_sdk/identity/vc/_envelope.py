"""Enveloped credentials and presentations (VC-JOSE): ``data:application/vc+jwt,<jwt>`` ids.

EDC's VC 2.0 presentation verifier splits ``id`` values on ``;`` (the W3C VC-JOSE example concatenates two
data URLs that way); so does :func:`enveloped_tokens`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from d4h_sdk.errors import MalformedTokenError

__all__ = ["VC_MEDIA_TYPE", "VP_MEDIA_TYPE", "data_url", "enveloped_tokens", "types_of"]

VC_MEDIA_TYPE = "application/vc+jwt"
VP_MEDIA_TYPE = "application/vp+jwt"


def data_url(media_type: str, token: str) -> str:
    """``data:<media_type>,<token>``."""
    return f"data:{media_type},{token}"


def types_of(document: Mapping[str, Any]) -> tuple[str, ...]:
    """The ``type`` (or ``@type``) values of a JSON-LD object as a tuple of strings."""
    value = document.get("type", document.get("@type"))
    items = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    return tuple(item for item in items if isinstance(item, str))


def enveloped_tokens(value: object, media_type: str) -> list[str]:
    """The JWTs in an enveloped entry: its ``id`` data URL(s), split on ``;``.

    Args:
        value: An ``EnvelopedVerifiableCredential`` / ``EnvelopedVerifiablePresentation`` object, or a
            data URL string.
        media_type: The expected media type (``application/vc+jwt`` or ``application/vp+jwt``).

    Returns:
        The compact JWTs, in order.

    Raises:
        MalformedTokenError: No ``id``, or a part that is not a data URL of that media type.
    """
    identifier = value.get("id", value.get("@id")) if isinstance(value, Mapping) else value
    if not isinstance(identifier, str) or not identifier:
        raise MalformedTokenError("an enveloped credential or presentation needs an 'id' data URL")
    tokens = []
    prefix = f"data:{media_type},"
    for part in identifier.split(";"):
        part = part.strip()
        if not part.startswith(prefix) or len(part) == len(prefix):
            raise MalformedTokenError(f"an enveloped entry's id is not a '{prefix}<jwt>' data URL")
        tokens.append(part[len(prefix) :])
    return tokens
