"""JOSE for the SDK: JWS/JWT signing around a Signer, and verification that the token cannot steer.

* :func:`sign_compact` and :func:`sign_detached_b64false` build the header and signing input themselves and
  ask the signer only for the signature (refusing a DER ECDSA signature from a broken backend).
* :func:`verify_compact` applies a :class:`JwtPolicy`: explicit algorithm allow-list intersected with the
  key type (``none``, ``HS*`` and alg/key mismatches refused), size cap before parsing, compact form only,
  ``exp``/``nbf``/``iat`` with leeway and a maximum age, ``aud``/``iss``/``sub``, required claims, ``typ``,
  ``crit``, issuer-bound ``kid``, and a ``jti`` replay cache. ``jku``/``x5u``/``x5c``/``jwk`` headers are
  ignored. jwcrypto checks the signature with the given key only.
* :func:`peek` decodes without verifying, for routing only.

jwcrypto is imported on first use; public signatures take and return plain mappings.
"""

from __future__ import annotations

from d4h_sdk.identity.jose._algs import ALG_FOR_KEY, SUPPORTED_ALGORITHMS, algorithms_for_key
from d4h_sdk.identity.jose._errors import InvalidClaimsError, MalformedTokenError, ReplayedTokenError
from d4h_sdk.identity.jose._policy import DEFAULT_MAX_TOKEN_BYTES, JwtPolicy
from d4h_sdk.identity.jose._replay import InMemoryReplayCache, ReplayCache
from d4h_sdk.identity.jose._sign import sign_compact, sign_detached_b64false
from d4h_sdk.identity.jose._verify import peek, verify_compact, verify_detached_b64false

__all__ = [
    "ALG_FOR_KEY",
    "DEFAULT_MAX_TOKEN_BYTES",
    "InMemoryReplayCache",
    "InvalidClaimsError",
    "JwtPolicy",
    "MalformedTokenError",
    "ReplayCache",
    "ReplayedTokenError",
    "SUPPORTED_ALGORITHMS",
    "algorithms_for_key",
    "peek",
    "sign_compact",
    "sign_detached_b64false",
    "verify_compact",
    "verify_detached_b64false",
]
