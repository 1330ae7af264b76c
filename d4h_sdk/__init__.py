"""d4h_sdk: the Python SDK for participants of a Gaia-X health data space.

Identity, catalog discovery, contract negotiation and transfer over the Dataspace Protocol and the EDC
Management API. ``import d4h_sdk`` is cheap: JSON-LD, RDF and crypto libraries load on first use.
"""

from __future__ import annotations

import typing as _typing

from d4h_sdk.config import SessionConfig
from d4h_sdk.errors import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ChecksumMismatchError,
    ConfigurationError,
    ConflictError,
    D4HError,
    DecodeError,
    DidResolutionError,
    EncodeError,
    ExpiredTokenError,
    InvalidClaimsError,
    InvalidSignatureError,
    JsonLdError,
    MalformedTokenError,
    NegotiationError,
    NegotiationTerminatedError,
    NegotiationTimeoutError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    PolicyMismatchError,
    ProtocolError,
    RateLimitError,
    ReplayedTokenError,
    ResponseTooLargeError,
    ResponseValidationError,
    RevokedCredentialError,
    ServerError,
    SignerNotFoundError,
    SigningError,
    StoreError,
    TransferError,
    TransferTerminatedError,
    TransferTimeoutError,
    UndefinedTermError,
    UnknownMessageError,
    UnprocessableEntityError,
    UnsupportedOperationError,
    UntrustedIssuerError,
    VerificationError,
    VerificationMethodError,
)
from d4h_sdk.policy import purposes

if _typing.TYPE_CHECKING:
    from d4h_sdk.session import Session

__version__ = "0.1.0.dev0"

_LAZY = {"Session": "d4h_sdk.session"}
"""Public names imported on first access (they pull in pydantic and requests)."""


def __getattr__(name: str) -> _typing.Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'd4h_sdk' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ChecksumMismatchError",
    "ConfigurationError",
    "ConflictError",
    "D4HError",
    "DecodeError",
    "DidResolutionError",
    "EncodeError",
    "ExpiredTokenError",
    "InvalidClaimsError",
    "InvalidSignatureError",
    "JsonLdError",
    "MalformedTokenError",
    "NegotiationError",
    "NegotiationTerminatedError",
    "NegotiationTimeoutError",
    "NotFoundError",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "PolicyMismatchError",
    "ProtocolError",
    "RateLimitError",
    "ReplayedTokenError",
    "ResponseTooLargeError",
    "ResponseValidationError",
    "RevokedCredentialError",
    "ServerError",
    "Session",
    "SessionConfig",
    "SignerNotFoundError",
    "SigningError",
    "StoreError",
    "TransferError",
    "TransferTerminatedError",
    "TransferTimeoutError",
    "UndefinedTermError",
    "UnknownMessageError",
    "UnprocessableEntityError",
    "UnsupportedOperationError",
    "UntrustedIssuerError",
    "VerificationError",
    "VerificationMethodError",
    "__version__",
    "purposes",
]
