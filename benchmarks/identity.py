"""Benchmark: JWT issue + verify through the SDK vs raw jwcrypto (DESIGN.md §6 style: one run, ratios).

Both sides sign and verify the same SI-token-like claims (``iss``, ``sub``, ``aud``, ``jti``, ``iat``,
``exp``) with the same P-256 key:

* SDK: :func:`d4h_sdk.identity.jose.sign_compact` with a local P-256 signer (``LocalKeySigner`` when the
  signing package provides it, else a jwcrypto-backed signer), then
  :func:`d4h_sdk.identity.jose.verify_compact` with a :class:`JwtPolicy` (issuer, subject, audience, time
  claims, max age) from the public JWK as a plain dict — so the key is parsed on every verify;
* raw: ``jwcrypto.jwt.JWT(...).make_signed_token`` + ``serialize``, then ``jwcrypto.jwt.JWT(jwt=...,
  check_claims=...)`` with ``JWK`` objects built once, and ``json.loads`` of the claims.

Rounds alternate between the two sides; medians of the per-round times are reported. A third line adds an
:class:`InMemoryReplayCache` to the SDK side. Target: SDK time <= 1.15 x raw.

Usage: ``python benchmarks/identity.py [--quick] [--rounds N] [--iterations N] [--strict]``
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from jwcrypto import jwk, jwt
from jwcrypto.jwa import JWA

from d4h_sdk.identity.jose import InMemoryReplayCache, JwtPolicy, sign_compact, verify_compact

TARGET_RATIO = 1.15
ISSUER = "did:web:hospital-a.ds4h.example"
VERIFIER = "did:web:research-b.ds4h.example"
KID = ISSUER + "#key-1"


class _JwcryptoSigner:
    """Fallback local signer (used only when d4h_sdk.identity.signing has no LocalKeySigner)."""

    def __init__(self, private: jwk.JWK) -> None:
        self._private = private

    @property
    def key_id(self) -> str:
        return KID

    @property
    def algorithm(self) -> str:
        return "ES256"

    def public_jwk(self) -> Mapping[str, Any]:
        return dict(self._private.export_public(as_dict=True))

    def sign(self, data: bytes) -> bytes:
        return bytes(JWA.signing_alg("ES256").sign(self._private, data))


def _make_signer() -> tuple[Any, dict[str, Any], str]:
    """Return (SDK signer, private JWK dict, signer description)."""
    try:
        from d4h_sdk.identity.signing import LocalKeySigner, generate_key
    except ImportError:
        private = jwk.JWK.generate(kty="EC", crv="P-256")
        return _JwcryptoSigner(private), dict(private.export(as_dict=True)), "jwcrypto-backed test signer"
    signer = generate_key("P-256", key_id=KID)
    assert isinstance(signer, LocalKeySigner)
    return signer, signer.private_jwk(), "LocalKeySigner"


def _claims() -> dict[str, Any]:
    now = int(time.time())
    return {
        "iss": ISSUER,
        "sub": ISSUER,
        "aud": VERIFIER,
        "jti": str(uuid.uuid4()),
        "iat": now,
        "exp": now + 300,
    }


def _timed(batch: Callable[[int], None], iterations: int) -> float:
    started = time.perf_counter()
    batch(iterations)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="few rounds, for CI smoke runs")
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--iterations", type=int, default=None, help="issue+verify pairs per round")
    parser.add_argument("--strict", action="store_true", help="exit 1 when the target is missed")
    args = parser.parse_args(argv)
    rounds = args.rounds or (3 if args.quick else 9)
    iterations = args.iterations or (200 if args.quick else 1000)

    signer, private_dict, signer_name = _make_signer()
    public = dict(signer.public_jwk())
    policy = JwtPolicy(audience=VERIFIER, issuer=ISSUER, subject=ISSUER, require_kid_prefix=True)

    raw_private = jwk.JWK(**private_dict)
    raw_public = jwk.JWK(**public)
    raw_checks = {"iss": ISSUER, "sub": ISSUER, "aud": VERIFIER, "exp": None, "jti": None}

    def sdk(n: int) -> None:
        for _ in range(n):
            token = sign_compact(signer, _claims())
            verify_compact(token, key=public, policy=policy)

    def sdk_replay(n: int) -> None:
        cache = InMemoryReplayCache()
        for _ in range(n):
            verify_compact(sign_compact(signer, _claims()), key=public, policy=policy, replay=cache)

    def raw(n: int) -> None:
        for _ in range(n):
            token = jwt.JWT(header={"alg": "ES256", "kid": KID, "typ": "JWT"}, claims=_claims())
            token.make_signed_token(raw_private)
            compact = token.serialize()
            parsed = jwt.JWT(algs=["ES256"], check_claims=raw_checks)
            parsed.leeway = 5
            parsed.deserialize(compact, raw_public)
            json.loads(parsed.claims)

    for batch in (sdk, sdk_replay, raw):  # warm-up: imports, caches
        batch(20)
    times: dict[str, list[float]] = {"sdk": [], "sdk+replay": [], "raw": []}
    for _ in range(rounds):
        times["sdk"].append(_timed(sdk, iterations))
        times["raw"].append(_timed(raw, iterations))
        times["sdk+replay"].append(_timed(sdk_replay, iterations))

    medians = {name: statistics.median(values) for name, values in times.items()}
    print(f"JWT issue+verify, P-256/ES256, signer: {signer_name}")
    print(f"{rounds} rounds x {iterations} pairs per side, medians")
    print(f"{'':<40} {'pairs/s':>10} {'us/pair':>10} {'ratio':>8}")
    for label, name in (
        ("raw jwcrypto (JWT sign + verify)", "raw"),
        ("d4h_sdk sign_compact + verify_compact", "sdk"),
        ("d4h_sdk ... + InMemoryReplayCache", "sdk+replay"),
    ):
        seconds = medians[name]
        ratio = seconds / medians["raw"]
        print(f"{label:<40} {iterations / seconds:>10.0f} {seconds / iterations * 1e6:>10.1f} {ratio:>7.2f}x")
    ratio = medians["sdk"] / medians["raw"]
    ok = ratio <= TARGET_RATIO
    print(f"overhead ratio {ratio:.2f}x   target <= {TARGET_RATIO:.2f}x   {'PASS' if ok else 'MISS'}")
    return 0 if ok or not args.strict else 1


if __name__ == "__main__":
    sys.exit(main())
