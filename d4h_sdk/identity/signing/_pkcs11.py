"""A :class:`~d4h_sdk.identity.signing.Signer` backed by a key in a PKCS#11 token (HSM, SoftHSM2).

Needs the ``[pkcs11]`` extra (python-pkcs11), imported on first use. The private key never leaves the token:
the signer finds it by label, reads the matching public key object for :meth:`Pkcs11Signer.public_jwk`, and
signs through one reused, lock-protected session.

Mechanisms: ECDSA keys sign the SHA-2 digest with ``CKM_ECDSA`` (SoftHSM2 2.6.1 lacks the combined
``CKM_ECDSA_SHA256``), which already yields the raw ``r||s`` form JWS needs; Ed25519 keys use ``CKM_EDDSA``;
RSA keys use ``CKM_SHA*_RSA_PKCS`` (RS*) or ``CKM_SHA*_RSA_PKCS_PSS`` with a salt as long as the hash (PS*).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from d4h_sdk.errors import ConfigurationError, SigningError

if TYPE_CHECKING:
    import pkcs11

__all__ = ["Pkcs11Signer", "create_pkcs11_signer"]


@dataclass(frozen=True)
class _Curve:
    crv: str
    size: int
    algorithm: str


# DER encodings of the EC_PARAMS attribute (named-curve OIDs, or the PrintableString form for Ed25519).
_EC_CURVES: Mapping[bytes, _Curve] = {
    bytes.fromhex("06082a8648ce3d030107"): _Curve("P-256", 32, "ES256"),
    bytes.fromhex("06052b81040022"): _Curve("P-384", 48, "ES384"),
    bytes.fromhex("06052b81040023"): _Curve("P-521", 66, "ES512"),
}
_ED25519_PARAMS = frozenset({bytes.fromhex("06032b6570"), b"\x13\x0cedwards25519"})
_ED25519 = _Curve("Ed25519", 32, "EdDSA")

_HASHES: Mapping[str, str] = {
    "ES256": "sha256",
    "ES384": "sha384",
    "ES512": "sha512",
}
_RSA_ALGORITHMS = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"})


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unwrap_octet_string(value: bytes, size: int) -> bytes:
    """Return the content of a DER OCTET STRING, or ``value`` itself when it already has ``size`` bytes."""
    if len(value) == size:
        return value
    if len(value) >= 2 and value[0] == 0x04:
        length = value[1]
        offset = 2
        if length & 0x80:
            count = length & 0x7F
            length = int.from_bytes(value[2 : 2 + count], "big")
            offset = 2 + count
        if offset + length == len(value):
            return value[offset:]
    raise SigningError(f"the token returned a public key point of unexpected length {len(value)}")


def _session_lost_errors() -> tuple[type[Exception], ...]:
    import pkcs11

    return (
        pkcs11.UserNotLoggedIn,
        pkcs11.ObjectHandleInvalid,
        pkcs11.KeyHandleInvalid,
        pkcs11.SessionHandleInvalid,
        pkcs11.SessionClosed,
    )


def _as_int(value: object) -> int:
    if isinstance(value, int):
        return value
    if isinstance(value, (bytes, bytearray)):
        return int.from_bytes(value, "big")
    raise SigningError(
        f"the token returned an RSA public key member of unexpected type {type(value).__name__}"
    )


class Pkcs11Signer:
    """Signs with a private key held in a PKCS#11 token; the key never leaves the token.

    The session is opened (and the user logged in) at construction and reused for every signature; calls are
    serialised with a lock, so one signer may be shared between threads. Close it with :meth:`close` or use it
    as a context manager.

    PKCS#11 login state belongs to the process, not the session: several signers on one token share it, and
    closing the signer that logged in logs the others out. A signer that finds itself logged out (or its
    session gone) logs in again once and signs only if the key under its label is still the published one.

    Args:
        library: Path of the PKCS#11 module (``/usr/lib/softhsm/libsofthsm2.so`` for SoftHSM2).
        token_label: Label of the token to open.
        pin: The user PIN, or a callable returning it (called each time a session is opened). Never logged
            nor put into error messages.
        key_label: ``CKA_LABEL`` shared by the private key and its public key object.
        key_id: The DID URL of the key, used as the JOSE ``kid``.
        algorithm: The JOSE algorithm; derived from the key when omitted (P-256 ``ES256``, P-384 ``ES384``,
            P-521 ``ES512``, Ed25519 ``EdDSA``, RSA ``PS256``). Must fit the key when given.

    Raises:
        ConfigurationError: An option is missing or the algorithm does not fit the key.
        SigningError: python-pkcs11 is missing, or the library, token or key cannot be opened or found.
    """

    def __init__(
        self,
        library: str,
        *,
        token_label: str,
        pin: str | Callable[[], str],
        key_label: str,
        key_id: str,
        algorithm: str | None = None,
    ) -> None:
        for name, value in (
            ("library", library),
            ("token_label", token_label),
            ("key_label", key_label),
            ("key_id", key_id),
        ):
            if not isinstance(value, str) or not value:
                raise ConfigurationError(f"Pkcs11Signer needs a non-empty {name}")
        if not (isinstance(pin, str) or callable(pin)):
            raise ConfigurationError("Pkcs11Signer needs pin= as a string or a callable returning one")
        self._library = library
        self._token_label = token_label
        self._pin = pin
        self._key_label = key_label
        self._key_id = key_id
        self._lock = threading.Lock()
        self._session: pkcs11.Session | None = None
        with self._lock:
            session = self._open()
            try:
                self._key, self._jwk, self._algorithm, self._curve = self._inspect(session, algorithm)
            except BaseException:
                self._close_locked()
                raise

    # -- Signer protocol ----------------------------------------------------------------------------------

    @property
    def key_id(self) -> str:
        """The DID URL of the key (the JOSE ``kid``)."""
        return self._key_id

    @property
    def algorithm(self) -> str:
        """The JOSE algorithm: ``ES256``, ``ES384``, ``ES512``, ``EdDSA``, ``PS256``, ``RS256``, ..."""
        return self._algorithm

    def public_jwk(self) -> Mapping[str, Any]:
        """The public key as a JWK (public members only), read from the token's public key object."""
        return dict(self._jwk)

    def sign(self, data: bytes) -> bytes:
        """Sign ``data`` (the JWS signing input) inside the token.

        Args:
            data: The bytes to sign.

        Returns:
            The JOSE signature (ECDSA: raw ``r||s``; EdDSA: 64 bytes; RSA: the modulus length).

        Raises:
            SigningError: The session is closed or the token refused to sign.
        """
        import pkcs11

        kwargs = self._mechanism()
        payload = data
        hash_name = _HASHES.get(self._algorithm)
        if hash_name is not None:
            payload = hashlib.new(hash_name, data).digest()
        with self._lock:
            if self._session is None:
                raise SigningError(f"the PKCS#11 signer for {self._key_id} is closed")
            try:
                try:
                    signature = self._key.sign(payload, **kwargs)
                except _session_lost_errors():
                    # The login is per process and token: closing another logged-in session of this process
                    # (another signer on the token) logs every session out; an HSM may also drop sessions.
                    # Log in again once, and sign only if the key is still the one published.
                    self._reopen_locked()
                    signature = self._key.sign(payload, **kwargs)
            except pkcs11.PKCS11Error as exc:
                raise SigningError(
                    f"PKCS#11 token {self._token_label!r} failed to sign with key {self._key_label!r} "
                    f"({type(exc).__name__})"
                ) from exc
        if self._curve is not None and len(signature) != 2 * self._curve.size:
            raise SigningError(
                f"PKCS#11 token returned a {len(signature)}-byte signature for {self._algorithm}; "
                f"expected {2 * self._curve.size}"
            )
        return bytes(signature)

    # -- lifecycle ----------------------------------------------------------------------------------------

    def close(self) -> None:
        """Close the session (idempotent); :meth:`sign` raises :class:`SigningError` afterwards."""
        with self._lock:
            self._close_locked()

    def __enter__(self) -> Pkcs11Signer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"Pkcs11Signer(key_id={self._key_id!r}, algorithm={self._algorithm!r}, "
            f"token_label={self._token_label!r}, key_label={self._key_label!r})"
        )

    # -- internals ----------------------------------------------------------------------------------------

    def _close_locked(self) -> None:
        session, self._session = self._session, None
        if session is None:
            return
        import pkcs11

        try:
            session.close()
        except pkcs11.PKCS11Error as exc:
            raise SigningError(f"closing the PKCS#11 session failed ({type(exc).__name__})") from exc

    def _reopen_locked(self) -> None:
        import pkcs11

        stale, self._session = self._session, None
        if stale is not None:
            # The old session is already unusable (logged out or invalid); its close may fail for that reason.
            with contextlib.suppress(pkcs11.PKCS11Error):
                stale.close()
        session = self._open()
        try:
            key, jwk, _, _ = self._inspect(session, self._algorithm)
        except BaseException:
            self._close_locked()
            raise
        if jwk != self._jwk:
            self._close_locked()
            raise SigningError(
                f"key {self._key_label!r} on PKCS#11 token {self._token_label!r} changed since the signer "
                "opened; "
                "refusing to sign with a key other than the published one"
            )
        self._key = key

    def _open(self) -> pkcs11.Session:
        try:
            import pkcs11
        except ImportError as exc:
            raise SigningError(
                "the PKCS#11 signer needs python-pkcs11: pip install 'd4h-sdk[pkcs11]'"
            ) from exc
        try:
            lib = pkcs11.lib(self._library)
        except (pkcs11.PKCS11Error, OSError) as exc:
            raise SigningError(
                f"cannot load the PKCS#11 library {self._library!r} ({type(exc).__name__}); "
                "check the path and the module's configuration (SOFTHSM2_CONF for SoftHSM2)"
            ) from exc
        try:
            token = lib.get_token(token_label=self._token_label)
        except pkcs11.NoSuchToken as exc:
            raise SigningError(
                f"no PKCS#11 token labelled {self._token_label!r} in {self._library!r}"
            ) from exc
        except pkcs11.PKCS11Error as exc:
            raise SigningError(
                f"cannot select PKCS#11 token {self._token_label!r} ({type(exc).__name__})"
            ) from exc
        pin = self._pin() if callable(self._pin) else self._pin
        try:
            try:
                self._session = token.open(user_pin=pin)
            except pkcs11.UserAlreadyLoggedIn:
                # Login state is per application and token: another session of this process (another
                # signer on the same token) already logged in, so a new session shares it.
                self._session = token.open()
        except pkcs11.PinIncorrect as exc:
            raise SigningError(f"login to PKCS#11 token {self._token_label!r} failed: wrong PIN") from exc
        except pkcs11.PKCS11Error as exc:
            raise SigningError(
                f"cannot open a session on PKCS#11 token {self._token_label!r} ({type(exc).__name__})"
            ) from exc
        return self._session

    def _inspect(
        self, session: pkcs11.Session, algorithm: str | None
    ) -> tuple[Any, dict[str, Any], str, _Curve | None]:
        import pkcs11
        from pkcs11 import Attribute, KeyType, ObjectClass

        try:
            private = session.get_key(object_class=ObjectClass.PRIVATE_KEY, label=self._key_label)
            public = session.get_key(object_class=ObjectClass.PUBLIC_KEY, label=self._key_label)
            key_type = private.key_type
            if key_type in (KeyType.EC, KeyType.EC_EDWARDS):
                params = bytes(public[Attribute.EC_PARAMS])
                point = bytes(public[Attribute.EC_POINT])
            elif key_type == KeyType.RSA:
                modulus = _as_int(public[Attribute.MODULUS])
                exponent = _as_int(public[Attribute.PUBLIC_EXPONENT])
        except pkcs11.NoSuchKey as exc:
            raise SigningError(
                f"PKCS#11 token {self._token_label!r} has no private and public key pair "
                f"labelled {self._key_label!r}"
            ) from exc
        except pkcs11.MultipleObjectsReturned as exc:
            raise SigningError(
                f"PKCS#11 token {self._token_label!r} has several keys labelled {self._key_label!r}"
            ) from exc
        except pkcs11.PKCS11Error as exc:
            raise SigningError(
                f"cannot read key {self._key_label!r} on PKCS#11 token {self._token_label!r} "
                f"({type(exc).__name__})"
            ) from exc

        curve: _Curve | None
        if key_type == KeyType.RSA:
            jwk: dict[str, Any] = {
                "kty": "RSA",
                "n": _b64url(modulus.to_bytes((modulus.bit_length() + 7) // 8, "big")),
                "e": _b64url(exponent.to_bytes((exponent.bit_length() + 7) // 8, "big")),
            }
            chosen = algorithm or "PS256"
            if chosen not in _RSA_ALGORITHMS:
                raise ConfigurationError(
                    f"algorithm {chosen!r} does not fit the RSA key {self._key_label!r}; "
                    f"use one of {sorted(_RSA_ALGORITHMS)}"
                )
            return private, jwk, chosen, None
        if key_type == KeyType.EC_EDWARDS or params in _ED25519_PARAMS:
            if params not in _ED25519_PARAMS:
                raise SigningError(
                    f"key {self._key_label!r} is on an unsupported Edwards curve (only Ed25519)"
                )
            curve = _ED25519
            jwk = {"kty": "OKP", "crv": "Ed25519", "x": _b64url(_unwrap_octet_string(point, 32))}
        elif key_type == KeyType.EC:
            curve = _EC_CURVES.get(params)
            if curve is None:
                raise SigningError(
                    f"key {self._key_label!r} is on an unsupported curve; use P-256, P-384, P-521 or Ed25519"
                )
            raw = _unwrap_octet_string(point, 1 + 2 * curve.size)
            if raw[0] != 0x04:
                raise SigningError(
                    f"key {self._key_label!r} has a compressed EC point, which is not supported"
                )
            jwk = {
                "kty": "EC",
                "crv": curve.crv,
                "x": _b64url(raw[1 : 1 + curve.size]),
                "y": _b64url(raw[1 + curve.size :]),
            }
        else:
            raise SigningError(
                f"key {self._key_label!r} has unsupported type {getattr(key_type, 'name', key_type)}; "
                "use EC (P-256, P-384, P-521), Ed25519 or RSA"
            )
        if algorithm is not None and algorithm != curve.algorithm:
            raise ConfigurationError(
                f"algorithm {algorithm!r} does not fit the {curve.crv} key {self._key_label!r}; "
                f"use {curve.algorithm!r}"
            )
        return private, jwk, curve.algorithm, curve

    def _mechanism(self) -> dict[str, Any]:
        from pkcs11 import MGF, Mechanism

        alg = self._algorithm
        if alg == "EdDSA":
            return {"mechanism": Mechanism.EDDSA}
        if alg in _HASHES:
            return {"mechanism": Mechanism.ECDSA}
        bits = alg[2:]
        if alg.startswith("RS"):
            return {"mechanism": getattr(Mechanism, f"SHA{bits}_RSA_PKCS")}
        digest = getattr(Mechanism, f"SHA{bits}")
        mgf = getattr(MGF, f"SHA{bits}")
        return {
            "mechanism": getattr(Mechanism, f"SHA{bits}_RSA_PKCS_PSS"),
            "mechanism_param": (digest, mgf, int(bits) // 8),
        }


def create_pkcs11_signer(**options: Any) -> Pkcs11Signer:
    """Build a :class:`Pkcs11Signer` from keyword options (the ``pkcs11`` entry point of ``d4h_sdk.signers``).

    Args:
        **options: ``library``, ``token_label``, ``pin``, ``key_label``, ``key_id`` and optionally
            ``algorithm``, as for :class:`Pkcs11Signer`.

    Returns:
        The signer, with its session open.

    Raises:
        ConfigurationError: An option is missing or unknown.
        SigningError: The token or the key cannot be opened.
    """
    allowed = {"library", "token_label", "pin", "key_label", "key_id", "algorithm"}
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise ConfigurationError(f"unknown pkcs11 signer options {unknown}; allowed: {sorted(allowed)}")
    missing = sorted({"library", "token_label", "pin", "key_label", "key_id"} - set(options))
    if missing:
        raise ConfigurationError(f"the pkcs11 signer needs the options {missing}")
    library = options.pop("library")
    return Pkcs11Signer(library, **options)
