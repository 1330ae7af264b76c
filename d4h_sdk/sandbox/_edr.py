"""EDR tokens of the sandbox data plane: short-lived JWTs bound to one transfer, and their revocation.

The provider's control plane mints a token with :class:`EdrTokenIssuer` when a pull transfer starts and
sends it to the consumer inside the TransferStartMessage's data address (:func:`pull_data_address`). The
data plane checks it with :class:`EdrTokenValidator` on every request.

A token carries ``iss`` (the provider DID), ``sub`` (the provider DID), ``aud`` (the consumer DID), ``iat``,
``nbf``, ``exp``, a random ``jti``, and the claims ``agreement_id``, ``transfer_id``, ``dataset_id`` and
``gen``. ``gen`` is the transfer's revocation generation in a :class:`RevocationList`: suspending or
terminating a transfer revokes every token issued so far (the generation moves on); resuming it lets tokens
issued *after* the resumption through, while the old ones stay dead. No clock comparison is involved, so a
token re-issued within the same second as a suspension is told apart from the one it replaces.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from d4h_sdk.errors import ConfigurationError, InvalidClaimsError, VerificationError
from d4h_sdk.identity.jose import JwtPolicy, algorithms_for_key, sign_compact, verify_compact
from d4h_sdk.identity.signing import Signer
from d4h_sdk.models import DataAddress, EndpointProperty

__all__ = [
    "EDC_NAMESPACE",
    "HTTP_ENDPOINT_TYPE",
    "EdrClaims",
    "EdrTokenIssuer",
    "EdrTokenValidator",
    "RevocationList",
    "IssuedEdr",
    "pull_data_address",
]

HTTP_ENDPOINT_TYPE = "https://w3id.org/idsa/v4.1/HTTP"
"""The ``endpointType`` of an HTTP pull data address (DSP example, EDC ``HttpData`` EDRs)."""

EDC_NAMESPACE = "https://w3id.org/edc/v0.0.1/ns/"
"""EDC's vocabulary, under which EDC names the properties of an EDR data address."""

_TOKEN_TYPE = "JWT"


class RevocationList:
    """Thread-safe record of which transfers' EDR tokens are currently revoked.

    Each transfer has a generation (0 until first revoked) and a revoked flag. :meth:`revoke` (on
    suspension or termination) sets the flag and moves the generation on; :meth:`reinstate` (on resumption)
    clears the flag: tokens minted afterwards carry the new generation and pass, older ones do not.
    :meth:`terminate` revokes for good.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._generation: dict[str, int] = {}
        self._revoked: set[str] = set()
        self._terminated: set[str] = set()

    def generation(self, transfer_id: str) -> int:
        """The generation a token minted now for ``transfer_id`` must carry."""
        with self._lock:
            return self._generation.get(transfer_id, 0)

    def revoke(self, transfer_id: str) -> None:
        """Revoke every token issued so far for ``transfer_id`` (the transfer is suspended)."""
        with self._lock:
            self._generation[transfer_id] = self._generation.get(transfer_id, 0) + 1
            self._revoked.add(transfer_id)

    def terminate(self, transfer_id: str) -> None:
        """Revoke every token of ``transfer_id``, past and future (the transfer ended)."""
        with self._lock:
            self._generation[transfer_id] = self._generation.get(transfer_id, 0) + 1
            self._revoked.add(transfer_id)
            self._terminated.add(transfer_id)

    def reinstate(self, transfer_id: str) -> None:
        """Accept tokens issued from now on for ``transfer_id`` (the transfer resumed).

        Raises:
            ConfigurationError: The transfer was terminated.
        """
        with self._lock:
            if transfer_id in self._terminated:
                raise ConfigurationError(f"transfer {transfer_id!r} was terminated; it cannot resume")
            self._revoked.discard(transfer_id)

    def check(self, transfer_id: str, generation: int) -> None:
        """Raise unless a token of ``generation`` for ``transfer_id`` is currently acceptable.

        Raises:
            VerificationError: The transfer is suspended or terminated, or the token predates a suspension.
        """
        with self._lock:
            if transfer_id in self._revoked:
                raise VerificationError(
                    f"the EDR of transfer {transfer_id!r} is revoked (suspended or ended)"
                )
            if generation != self._generation.get(transfer_id, 0):
                raise VerificationError(
                    f"the EDR of transfer {transfer_id!r} was issued before a suspension; ask for a new one"
                )

    def __repr__(self) -> str:
        with self._lock:
            return f"RevocationList(revoked={len(self._revoked)}, terminated={len(self._terminated)})"


@dataclass(frozen=True)
class EdrClaims:
    """The verified claims of an EDR token.

    Attributes:
        transfer_id: The transfer process the token grants access to.
        agreement_id: The contract agreement of the transfer.
        dataset_id: The dataset being transferred.
        audience: The consumer DID (``aud``).
        issuer: The provider DID (``iss``).
        expires_at: ``exp``, epoch seconds.
        token_id: ``jti``.
    """

    transfer_id: str
    agreement_id: str
    dataset_id: str
    audience: str
    issuer: str
    expires_at: float
    token_id: str


@dataclass(frozen=True)
class IssuedEdr:
    """A freshly minted EDR token and what a data address says about it.

    Attributes:
        token: The compact JWT; a secret, hidden from ``repr``.
        transfer_id: The transfer it is bound to.
        token_id: Its ``jti``.
        expires_at: Its ``exp``, epoch seconds.
        lifetime_s: Seconds from issue to expiry.
    """

    token: str = field(repr=False)
    transfer_id: str
    token_id: str
    expires_at: float
    lifetime_s: float


def _text(value: object, name: str) -> str:
    if not isinstance(value, str) or not value:
        raise ConfigurationError(f"{name} must be a non-empty string")
    return value


class EdrTokenIssuer:
    """Mints EDR tokens: short-lived JWTs signed by the provider, bound to one transfer.

    Args:
        signer: The provider's signing key (its public JWK goes to the :class:`EdrTokenValidator`).
        issuer_did: The provider DID, written as ``iss`` and ``sub``.
        lifetime_s: Token lifetime in seconds.
        clock: Epoch-seconds clock.
        revocations: The revocation list whose generation tokens carry; pass the list the validator checks,
            or tokens re-issued after a resumption are refused.

    Raises:
        ConfigurationError: ``issuer_did`` is empty or ``lifetime_s`` is not positive.
    """

    def __init__(
        self,
        signer: Signer,
        *,
        issuer_did: str,
        lifetime_s: float = 300,
        clock: Callable[[], float] = time.time,
        revocations: RevocationList | None = None,
    ) -> None:
        self._signer = signer
        self._issuer = _text(issuer_did, "issuer_did")
        if not lifetime_s > 0:
            raise ConfigurationError(f"lifetime_s must be positive, got {lifetime_s}")
        self._lifetime = lifetime_s
        self._clock = clock
        self._revocations = revocations

    @property
    def lifetime_s(self) -> float:
        """Token lifetime in seconds."""
        return self._lifetime

    def issue(self, *, transfer_id: str, agreement_id: str, dataset_id: str, audience: str) -> IssuedEdr:
        """Mint a token for one transfer.

        Args:
            transfer_id: The provider's transfer process id (the data plane path carries it).
            agreement_id: The contract agreement id.
            dataset_id: The dataset id.
            audience: The consumer DID.

        Returns:
            The token (a secret: never log ``.token``) with its id and expiry.

        Raises:
            ConfigurationError: An id is empty.
            SigningError: The signer failed.
        """
        now = int(self._clock())
        transfer_id = _text(transfer_id, "transfer_id")
        claims: dict[str, Any] = {
            "iss": self._issuer,
            "sub": self._issuer,
            "aud": _text(audience, "audience"),
            "iat": now,
            "nbf": now,
            "exp": now + max(1, round(self._lifetime)),
            "jti": uuid.uuid4().hex,
            "transfer_id": transfer_id,
            "agreement_id": _text(agreement_id, "agreement_id"),
            "dataset_id": _text(dataset_id, "dataset_id"),
            "gen": self._revocations.generation(transfer_id) if self._revocations is not None else 0,
        }
        token = sign_compact(self._signer, claims, typ=_TOKEN_TYPE)
        return IssuedEdr(
            token=token,
            transfer_id=transfer_id,
            token_id=claims["jti"],
            expires_at=float(claims["exp"]),
            lifetime_s=float(claims["exp"] - now),
        )

    def __repr__(self) -> str:
        return f"EdrTokenIssuer(issuer_did={self._issuer!r}, lifetime_s={self._lifetime:g})"


class EdrTokenValidator:
    """Checks EDR tokens at the data plane: signature, algorithm, time, issuer, claims and revocation.

    Args:
        public_jwk: The provider's public JWK; only the algorithms its key type allows are accepted.
        issuer_did: The required ``iss``.
        revocations: The revocation list (shared with the control plane and the issuer).
        clock: Epoch-seconds clock.
        leeway_s: Clock-skew tolerance for ``exp``/``nbf``/``iat``.

    Raises:
        ConfigurationError: The key or the options are unusable.
    """

    def __init__(
        self,
        public_jwk: Mapping[str, Any],
        *,
        issuer_did: str,
        revocations: RevocationList,
        clock: Callable[[], float] = time.time,
        leeway_s: float = 5,
    ) -> None:
        self._key = {name: value for name, value in public_jwk.items() if name != "d"}
        self._issuer = _text(issuer_did, "issuer_did")
        self._revocations = revocations
        self._algorithms = algorithms_for_key(self._key)
        self._clock = clock
        self._leeway = leeway_s
        self._policies: dict[str | None, JwtPolicy] = {}
        self._policy(None)  # check the options now

    def _policy(self, audience: str | None) -> JwtPolicy:
        policy = self._policies.get(audience)
        if policy is None:
            policy = JwtPolicy(
                audience=audience,
                issuer=self._issuer,
                algorithms=self._algorithms,
                leeway_s=self._leeway,
                max_age_s=None,
                required=("exp", "iat", "aud", "jti", "transfer_id", "agreement_id", "dataset_id"),
                typ=_TOKEN_TYPE,
                clock=self._clock,
            )
            if len(self._policies) < 64:
                self._policies[audience] = policy
        return policy

    def validate(self, token: str, *, audience: str | None = None) -> EdrClaims:
        """Verify a token and return its claims.

        Args:
            token: The compact JWT (without ``Bearer``).
            audience: The consumer DID the token must be addressed to, if the caller knows it; otherwise
                ``aud`` only has to be present.

        Returns:
            The verified claims.

        Raises:
            VerificationError: The token is malformed, badly signed, expired, for another issuer or
                audience, lacks a claim (subclasses from :mod:`d4h_sdk.errors`), or is revoked (the
                base class itself).
        """
        _, claims = verify_compact(token, key=self._key, policy=self._policy(audience))
        ids = {}
        for name in ("transfer_id", "agreement_id", "dataset_id", "jti", "aud"):
            value = claims.get(name)
            if not isinstance(value, str) or not value:
                raise InvalidClaimsError(f"the EDR token claim {name!r} is not a non-empty string")
            ids[name] = value
        generation = claims.get("gen", 0)
        if isinstance(generation, bool) or not isinstance(generation, int):
            raise InvalidClaimsError("the EDR token claim 'gen' is not an integer")
        self._revocations.check(ids["transfer_id"], generation)
        return EdrClaims(
            transfer_id=ids["transfer_id"],
            agreement_id=ids["agreement_id"],
            dataset_id=ids["dataset_id"],
            audience=ids["aud"],
            issuer=self._issuer,
            expires_at=float(claims["exp"]),
            token_id=ids["jti"],
        )

    def __repr__(self) -> str:
        return f"EdrTokenValidator(issuer_did={self._issuer!r}, algorithms={list(self._algorithms)})"


def pull_data_address(
    endpoint: str,
    token: str,
    *,
    expires_at: float | None = None,
    lifetime_s: float | None = None,
    transfer_id: str | None = None,
    agreement_id: str | None = None,
    edc_names: bool = False,
) -> DataAddress:
    """Build the DSP pull data address of a TransferStartMessage around an EDR token.

    The properties are those of the DSP example (``authorization``, ``authType = bearer``) plus what EDC
    consumers read from an EDR: ``endpoint``, ``endpointType`` and, when known, ``expiresIn`` (seconds, as
    a string, like EDC's ``tx-auth:expiresIn``), ``expiresAt`` (epoch seconds), ``transferProcessId`` and
    ``agreementId``. :meth:`d4h_sdk.models.EndpointDataReference.from_data_address` turns it into an EDR.

    With ``edc_names``, ``endpoint``, ``endpointType``, ``authorization`` and ``authType`` are also sent
    under their EDC IRIs (:data:`EDC_NAMESPACE` + name), as EDC's own provider names them: an EDC consumer
    copies every endpoint property into its EDR by name and ignores the DSP ``endpoint`` field, and its
    Management API drops the names that are not IRIs, so without these its EDR has no endpoint and no token.
    Off by default: the DSP names alone are what the spec shows, and a second copy of the token is one more
    place a consumer must know to keep secret.

    Args:
        endpoint: The data URL, e.g. ``http://127.0.0.1:8080/data/<transfer id>``.
        token: The EDR token (a secret: ``DataAddress`` reprs hide it).
        expires_at: Token expiry, epoch seconds.
        lifetime_s: Token lifetime in seconds (for ``expiresIn``).
        transfer_id: The provider's transfer process id.
        agreement_id: The contract agreement id.
        edc_names: Also name the EDR properties by EDC IRI (for EDC consumers).

    Returns:
        The data address.

    Raises:
        ConfigurationError: ``endpoint`` is not an absolute http(s) URL, or ``token`` is empty.
    """
    if not isinstance(endpoint, str) or not endpoint.startswith(("http://", "https://")):
        raise ConfigurationError("the pull endpoint must be an absolute http:// or https:// URL")
    _text(token, "token")
    properties: list[tuple[str, Any]] = [
        ("authorization", token),
        ("authType", "bearer"),
        ("endpoint", endpoint),
        ("endpointType", HTTP_ENDPOINT_TYPE),
    ]
    if edc_names:
        properties += [(EDC_NAMESPACE + name, value) for name, value in properties]
    if lifetime_s is not None:
        properties.append(("expiresIn", str(int(lifetime_s))))
    if expires_at is not None:
        # DSP 2025-1 types every endpoint property value as a string
        properties.append(
            ("expiresAt", str(int(expires_at)) if float(expires_at).is_integer() else str(expires_at))
        )
    if transfer_id is not None:
        properties.append(("transferProcessId", transfer_id))
    if agreement_id is not None:
        properties.append(("agreementId", agreement_id))
    return DataAddress(
        endpoint_type=HTTP_ENDPOINT_TYPE,
        endpoint=endpoint,
        endpoint_properties=tuple(EndpointProperty(name=name, value=value) for name, value in properties),
    )
