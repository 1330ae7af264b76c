"""A participant's own policy claims, read from its own credentials (for the local policy check only)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["claims_from_credentials"]


def claims_from_credentials(credentials: Iterable[str]) -> dict[str, Any]:
    """Flatten the credential subjects of one's OWN VC JWTs into policy claims (``membershipStatus``, ...).

    The tokens are not verified: they are the caller's own credentials, used to predict what a provider will
    decide; never use this on credentials received from someone else.

    Args:
        credentials: Compact VC JWTs (VC 1.1 ``vc`` claim or VC 2.0 payloads).

    Returns:
        Operand name -> value; a later credential does not override an earlier one.

    Raises:
        MalformedTokenError: A credential is not a compact JWT.
    """
    from d4h_sdk.identity.jose import peek

    claims: dict[str, Any] = {}
    for token in credentials:
        _, payload = peek(token)
        credential = payload.get("vc", payload)
        subject = credential.get("credentialSubject") if isinstance(credential, Mapping) else None
        subjects = subject if isinstance(subject, list) else [subject]
        for entry in subjects:
            if isinstance(entry, Mapping):
                for key, value in entry.items():
                    if key != "id":
                        claims.setdefault(key, value)
    return claims
