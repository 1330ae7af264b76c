"""The whole exception tree of ``d4h_sdk``.

Everything the SDK raises on purpose derives from :class:`D4HError`, so one ``except d4h_sdk.D4HError``
catches it all. The original cause (a ``requests`` exception, a pydantic ``ValidationError``, a pyld error)
is kept as ``__cause__``; exception texts never contain tokens, API keys or private keys.

```
D4HError                                   root
├── ConfigurationError(ValueError)         missing / contradictory options, checked at construction
├── SigningError                           a signing backend failed
│   └── SignerNotFoundError(LookupError)   unknown backend name / entry point
├── VerificationError                      inbound token / credential / signature rejected
│   ├── InvalidSignatureError              bad signature, alg not allowed for the key, forged key
│   ├── ExpiredTokenError                  exp / nbf / iat outside the allowed window
│   ├── UntrustedIssuerError               issuer or kid not trusted / not bound to the issuer
│   ├── MalformedTokenError                not a compact JWS we accept: size, encoding, JSON, crit
│   ├── InvalidClaimsError                 audience, subject, typ or required claims do not match
│   │   └── UndefinedTermError             a JSON-LD term no context defines (it would escape the signature)
│   ├── ReplayedTokenError                 a jti presented before
│   ├── DidResolutionError                 a DID could not be resolved to a trustworthy document
│   ├── VerificationMethodError            no usable key for a kid, or not in the required relationship
│   └── RevokedCredentialError             a credential's status entry says revoked or suspended
├── JsonLdError                            context not bundled / not allowed, expansion or compaction failed
├── DecodeError(ValueError)                a payload is not a valid message of the expected dialect
│   ├── PayloadTooLargeError               size or nesting-depth limit exceeded
│   └── UnknownMessageError                no codec knows the message's @type / @context
├── EncodeError(ValueError)                a model cannot be written in the requested dialect
├── UnsupportedOperationError              the connector backend cannot do this (e.g. publish over DSP)
├── StoreError                             the local state store is unreadable, locked or from a newer SDK
├── APIError                               .request_method, .url, .body
│   ├── APIConnectionError                 __cause__ = the requests exception
│   │   └── APITimeoutError(TimeoutError)
│   ├── ResponseValidationError            body did not match the model; .errors
│   ├── ResponseTooLargeError              body exceeded the configured size cap
│   └── APIStatusError                     .status_code, .correlation_id, .dsp_error
│       ├── BadRequestError 400            ├── AuthenticationError 401   ├── PermissionDeniedError 403
│       ├── NotFoundError 404              ├── ConflictError 409         ├── UnprocessableEntityError 422
│       ├── RateLimitError 429             └── ServerError >= 500
└── ProtocolError                          DSP outcomes that are not HTTP failures
    ├── NegotiationError
    │   ├── PolicyMismatchError            no offer fits the purpose and claims; .explanations
    │   ├── NegotiationTerminatedError     .negotiation_id, .code, .reason
    │   └── NegotiationTimeoutError(TimeoutError)   .negotiation_id, .last_state
    └── TransferError
        ├── TransferTerminatedError        .transfer_id, .code, .reason
        ├── TransferTimeoutError(TimeoutError)      .transfer_id, .last_state
        └── ChecksumMismatchError          downloaded bytes differ from the provider's digest
```

HTTP status codes map to exceptions through one table, :data:`STATUS_ERRORS` (any other 4xx is a plain
:class:`APIStatusError`, any 5xx a :class:`ServerError`); :func:`status_error_class` applies it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

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
    "STATUS_ERRORS",
    "ServerError",
    "StoreError",
    "SignerNotFoundError",
    "SigningError",
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
    "status_error_class",
]


class D4HError(Exception):
    """Root of every error the SDK raises on purpose."""


class ConfigurationError(D4HError, ValueError):
    """Options are missing, malformed or contradict each other."""


class SigningError(D4HError):
    """A signing backend failed to produce a signature."""


class SignerNotFoundError(SigningError, LookupError):
    """No signing backend is registered under the requested name."""


class VerificationError(D4HError):
    """An inbound token, credential or signature was rejected."""


class InvalidSignatureError(VerificationError):
    """A signature does not verify against the expected key."""


class ExpiredTokenError(VerificationError):
    """A token or credential is expired or not yet valid."""


class UntrustedIssuerError(VerificationError):
    """The issuer of a token or credential is not trusted."""


class MalformedTokenError(VerificationError):
    """A token is not a well-formed compact JWS the verifier accepts (size, encoding, JSON, ``crit``)."""


class InvalidClaimsError(VerificationError):
    """A token's claims or header do not meet the policy (audience, subject, required claims, ``typ``)."""


class UndefinedTermError(InvalidClaimsError):
    """A JSON-LD document uses a term its contexts do not define.

    Expansion would drop the term, so a signature over the canonical form would not cover it.
    """


class RevokedCredentialError(VerificationError):
    """A credential's status list entry says it is revoked or suspended."""


class ReplayedTokenError(VerificationError):
    """A token id (``jti``) was presented before: the token is being replayed."""


class DidResolutionError(VerificationError):
    """A DID could not be resolved to a trustworthy DID document.

    Raised for a malformed or unsupported DID met while verifying, a network or HTTP failure, an oversize or
    non-JSON body, a document that is not a valid DID document, or a document whose ``id`` is not the DID.
    The underlying error, if any, is kept as ``__cause__``.
    """


class VerificationMethodError(VerificationError):
    """A DID document has no usable key for a ``kid``, or the key is not in the required relationship."""


class JsonLdError(D4HError):
    """A JSON-LD operation failed: unknown or refused context, or an invalid document."""


class DecodeError(D4HError, ValueError):
    """A payload is not a valid message of the expected dialect.

    Attributes:
        errors: Structured details (for instance pydantic's error list), safe to show: they contain
            locations and messages, never input values.
    """

    def __init__(self, message: str, *, errors: Sequence[Mapping[str, Any]] = ()) -> None:
        super().__init__(message)
        self.errors: tuple[Mapping[str, Any], ...] = tuple(errors)


class PayloadTooLargeError(DecodeError):
    """A payload exceeds the size or nesting-depth limit."""


class UnknownMessageError(DecodeError):
    """No codec recognises the message (unknown ``@type`` or ``@context``)."""


class EncodeError(D4HError, ValueError):
    """A model cannot be written in the requested dialect."""


class UnsupportedOperationError(D4HError):
    """The connector backend in use cannot perform this operation (for example publishing over plain DSP)."""


class StoreError(D4HError):
    """The local state store cannot be read or written (corrupt, locked, or written by a newer SDK)."""


class APIError(D4HError):
    """A request to a remote API failed.

    Attributes:
        request_method: The HTTP method of the failed request.
        url: The URL of the failed request, without query string (it may carry secrets).
        body: The parsed JSON body of the response, or its text, if there was one.
    """

    def __init__(
        self, message: str, *, request_method: str | None = None, url: str | None = None, body: object = None
    ) -> None:
        super().__init__(message)
        self.request_method = request_method
        self.url = url
        self.body = body


class APIConnectionError(APIError):
    """The remote API could not be reached (DNS, refused connection, TLS, reset).

    Attributes:
        may_have_been_processed: True when a state-changing request (a POST) may have reached the peer
            before the connection failed: check the peer's state before sending it again.
    """

    may_have_been_processed: bool = False


class APITimeoutError(APIConnectionError, TimeoutError):
    """The remote API did not answer within the timeout."""


class ResponseValidationError(APIError):
    """A response body did not match the expected model.

    Attributes:
        errors: Structured validation errors (locations and messages only).
    """

    def __init__(self, message: str, *, errors: Sequence[Mapping[str, Any]] = (), **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.errors: tuple[Mapping[str, Any], ...] = tuple(errors)


class ResponseTooLargeError(APIError):
    """A response body exceeded the configured size cap; the rest was not read."""


class APIStatusError(APIError):
    """The remote API answered with a non-success HTTP status.

    Attributes:
        status_code: The HTTP status code.
        correlation_id: The request or correlation id the server returned, if any.
        dsp_error: The parsed DSP error body (CatalogError, ContractNegotiationError, TransferError) if the
            body was one, else ``None``.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        correlation_id: str | None = None,
        dsp_error: object = None,
        **kwargs: Any,
    ) -> None:
        self.status_code = status_code
        self.correlation_id = correlation_id
        self.dsp_error = dsp_error
        prefix = f"Request {correlation_id}: " if correlation_id else ""
        super().__init__(f"{prefix}HTTP {status_code}: {message}", **kwargs)


class BadRequestError(APIStatusError):
    """HTTP 400: the peer rejected the request (for DSP: often an invalid state transition)."""


class AuthenticationError(APIStatusError):
    """HTTP 401: missing or invalid credentials."""


class PermissionDeniedError(APIStatusError):
    """HTTP 403: the credentials are valid but not allowed to do this."""


class NotFoundError(APIStatusError):
    """HTTP 404: unknown resource (DSP also answers 404 when the requester is not authorised)."""


class ConflictError(APIStatusError):
    """HTTP 409: the request conflicts with the resource's current state."""


class UnprocessableEntityError(APIStatusError):
    """HTTP 422: the body was understood but is semantically invalid."""


class RateLimitError(APIStatusError):
    """HTTP 429: too many requests."""


class ServerError(APIStatusError):
    """HTTP 5xx: the peer failed."""


STATUS_ERRORS: Mapping[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}
"""The one status-code table: HTTP status -> exception class (5xx -> ServerError, other -> APIStatusError)."""


def status_error_class(status_code: int) -> type[APIStatusError]:
    """Return the exception class for an HTTP error status, following :data:`STATUS_ERRORS`.

    Args:
        status_code: An HTTP status code of 400 or more.

    Returns:
        The most specific :class:`APIStatusError` subclass for it.
    """
    if status_code >= 500:
        return ServerError
    return STATUS_ERRORS.get(status_code, APIStatusError)


def _terminated_text(kind: str, process_id: str, code: str | None, reason: tuple[str, ...]) -> str:
    detail = "; ".join(reason) or "no reason given"
    code_text = f" (code {code})" if code else ""
    return f"{kind} {process_id} was terminated{code_text}: {detail}"


class ProtocolError(D4HError):
    """A Dataspace Protocol outcome that is not an HTTP failure."""


class NegotiationError(ProtocolError):
    """A contract negotiation did not end in an agreement."""


class PolicyMismatchError(NegotiationError):
    """No offer of the dataset is compatible with the declared purpose and claims; nothing was sent.

    Attributes:
        dataset_id: The dataset whose offers were checked.
        explanations: One human-readable explanation tree per offer, keyed by offer id.
    """

    def __init__(self, dataset_id: str, explanations: Mapping[str, str]) -> None:
        self.dataset_id = dataset_id
        self.explanations = dict(explanations)
        detail = "\n".join(f"offer {offer_id}:\n{text}" for offer_id, text in self.explanations.items())
        super().__init__(
            f"no offer of dataset {dataset_id} is compatible with the declared purpose and claims; "
            f"declare another purpose or ask the provider\n{detail or '(the dataset has no offers)'}"
        )


class NegotiationTerminatedError(NegotiationError):
    """The negotiation was terminated, by the peer or locally.

    Attributes:
        negotiation_id: The local id of the negotiation.
        code: The termination code the peer sent, if any.
        reason: The termination reasons the peer sent, as text.
    """

    def __init__(self, negotiation_id: str, *, code: str | None = None, reason: Sequence[str] = ()) -> None:
        self.negotiation_id = negotiation_id
        self.code = code
        self.reason = tuple(reason)
        super().__init__(_terminated_text("negotiation", negotiation_id, code, self.reason))


class NegotiationTimeoutError(NegotiationError, TimeoutError):
    """A negotiation did not reach a final state before the deadline.

    Attributes:
        negotiation_id: The local id of the negotiation.
        last_state: The last state observed.
    """

    def __init__(self, negotiation_id: str, *, last_state: str | None, timeout: float) -> None:
        self.negotiation_id = negotiation_id
        self.last_state = last_state
        super().__init__(
            f"negotiation {negotiation_id} still {last_state or 'unknown'} after {timeout:g} s; "
            "it goes on at the peer: wait again or terminate it"
        )


class TransferError(ProtocolError):
    """A transfer process did not deliver the data."""


class TransferTerminatedError(TransferError):
    """The transfer process was terminated.

    Attributes:
        transfer_id: The local id of the transfer process.
        code: The termination code the peer sent, if any.
        reason: The termination reasons the peer sent, as text.
    """

    def __init__(self, transfer_id: str, *, code: str | None = None, reason: Sequence[str] = ()) -> None:
        self.transfer_id = transfer_id
        self.code = code
        self.reason = tuple(reason)
        super().__init__(_terminated_text("transfer", transfer_id, code, self.reason))


class TransferTimeoutError(TransferError, TimeoutError):
    """A transfer did not reach the expected state before the deadline.

    Attributes:
        transfer_id: The local id of the transfer process.
        last_state: The last state observed.
    """

    def __init__(self, transfer_id: str, *, last_state: str | None, timeout: float) -> None:
        self.transfer_id = transfer_id
        self.last_state = last_state
        super().__init__(f"transfer {transfer_id} still {last_state or 'unknown'} after {timeout:g} s")


class ChecksumMismatchError(TransferError):
    """The downloaded bytes do not match the digest the provider announced; the file was not kept.

    Attributes:
        algorithm: The digest algorithm (e.g. ``sha-256``).
        expected: The digest the provider announced (base64).
        actual: The digest of the bytes received (base64).
    """

    def __init__(self, *, algorithm: str, expected: str, actual: str) -> None:
        self.algorithm = algorithm
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"{algorithm} digest mismatch: the provider announced {expected}, "
            f"the bytes received give {actual}; download again"
        )
