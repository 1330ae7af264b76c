"""What verification returns: :class:`VerifiedCredential` and :class:`VerifiedPresentation`."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["VcVersion", "VerifiedCredential", "VerifiedPresentation"]

VcVersion = Literal["1.1", "2.0"]
"""The VC data model: ``1.1`` (JWT with ``vc``/``vp`` claims) or ``2.0`` (VC-JOSE, payload = document)."""


@dataclass(frozen=True)
class VerifiedCredential:
    """A credential whose signature, issuer key, trust and validity dates were checked.

    Attributes:
        issuer: The issuer DID.
        subject: ``credentialSubject.id`` (the first subject's, if several), or ``None``.
        types: The credential types (``VerifiableCredential`` first as issued).
        credential: The credential document (1.1: the ``vc`` claim; 2.0: the JWT payload).
        expires_at: End of validity (``exp`` / ``expirationDate`` / ``validUntil``), or ``None``.
        version: ``1.1`` or ``2.0``.
        valid_from: Start of validity (``nbf`` / ``issuanceDate`` / ``validFrom``), or ``None``.
        key_id: The verification method that signed it.
        token: The compact JWT as received.
    """

    issuer: str
    subject: str | None
    types: tuple[str, ...]
    credential: dict[str, Any] = field(compare=False)
    expires_at: datetime.datetime | None
    version: VcVersion
    valid_from: datetime.datetime | None = None
    key_id: str = ""
    token: str = field(default="", repr=False)


@dataclass(frozen=True)
class VerifiedPresentation:
    """A presentation whose signature, holder key, audience and credentials were checked.

    Attributes:
        holder: The holder DID (the signer of the presentation).
        credentials: The verified credentials it carries.
        version: ``1.1`` or ``2.0``.
        presentation: The presentation document (the ``vp`` claim, or the inner 2.0 payload(s)).
        holder_bound: Whether every credential's subject is the holder (``credentialSubject.id`` ==
            ``holder``); ``True`` for a presentation without credentials.
        nonce: The ``nonce`` claim, if any.
        key_id: The verification method that signed it.
    """

    holder: str
    credentials: tuple[VerifiedCredential, ...]
    version: VcVersion
    presentation: dict[str, Any] = field(compare=False)
    holder_bound: bool = True
    nonce: str | None = None
    key_id: str = ""
