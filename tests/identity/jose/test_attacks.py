"""The attack matrix of notes/identity.md §9: each forged or abused token is refused with a specific error."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from jwcrypto import jwk, jws

from d4h_sdk.errors import ExpiredTokenError, InvalidSignatureError, UntrustedIssuerError, VerificationError
from d4h_sdk.identity.jose import (
    InMemoryReplayCache,
    InvalidClaimsError,
    JwtPolicy,
    MalformedTokenError,
    ReplayedTokenError,
    sign_compact,
    verify_compact,
)
from d4h_sdk.identity.jose._codec import b64url_decode, b64url_encode

from ._keys import ISSUER, KID, DerSigner, private_key, public, signer

NOW = 1_800_000_000
AUD = "did:web:verifier.example"


def claims(**extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "iss": ISSUER,
        "sub": ISSUER,
        "aud": AUD,
        "jti": "jti-1",
        "iat": NOW,
        "exp": NOW + 300,
    }
    base.update(extra)
    return base


def policy(**kwargs: Any) -> JwtPolicy:
    kwargs.setdefault("audience", AUD)
    kwargs.setdefault("issuer", ISSUER)
    kwargs.setdefault("clock", lambda: float(NOW))
    return JwtPolicy(**kwargs)


def enc(obj: dict[str, Any]) -> str:
    return b64url_encode(json.dumps(obj).encode())


def reject(
    token: str, error: type[VerificationError], match: str, *, key: dict[str, Any] | None = None, **kw: Any
) -> str:
    with pytest.raises(error, match=match) as info:
        verify_compact(token, key=key or public(), policy=kw.pop("pol", None) or policy(), **kw)
    assert type(info.value) is error, f"expected exactly {error.__name__}, got {type(info.value).__name__}"
    message = str(info.value)
    assert token not in message and (len(token) < 20 or token[-20:] not in message)
    return message


def test_control_valid_token_passes() -> None:
    assert verify_compact(sign_compact(signer(), claims()), key=public(), policy=policy())[1] == claims()


@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
def test_alg_none(alg: str) -> None:
    token = f"{enc({'alg': alg, 'typ': 'JWT'})}.{enc(claims())}."
    reject(token, InvalidSignatureError, "alg 'none'")


def test_hs256_forged_with_rsa_public_key_as_hmac_secret() -> None:
    rsa_pem = (
        private_key("RSA")
        .get_op_key("verify")
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    signing_input = f"{enc({'alg': 'HS256', 'kid': KID})}.{enc(claims())}"
    mac = hmac.new(rsa_pem, signing_input.encode(), hashlib.sha256).digest()
    token = f"{signing_input}.{b64url_encode(mac)}"
    reject(token, InvalidSignatureError, "symmetric algorithm 'HS256'", key=public("RSA"))
    # even with an allow-list that the key supports, HS* never gets through
    reject(
        token,
        InvalidSignatureError,
        "symmetric",
        key=public("RSA"),
        pol=policy(algorithms=["RS256", "PS256"]),
    )


def test_wrong_audience() -> None:
    message = reject(
        sign_compact(signer(), claims(aud="did:web:someone-else")), InvalidClaimsError, "audience"
    )
    assert AUD in message


def test_missing_audience() -> None:
    no_aud = {k: v for k, v in claims().items() if k != "aud"}
    reject(sign_compact(signer(), no_aud), InvalidClaimsError, "no valid 'aud'")


def test_expired() -> None:
    reject(
        sign_compact(signer(), claims(iat=NOW - 400, exp=NOW - 100)), ExpiredTokenError, "expired at 2027-"
    )


def test_nbf_in_the_future() -> None:
    reject(sign_compact(signer(), claims(nbf=NOW + 60)), ExpiredTokenError, "not valid before")


def test_iat_in_the_future() -> None:
    reject(
        sign_compact(signer(), claims(iat=NOW + 60, exp=NOW + 360)), ExpiredTokenError, "issued in the future"
    )


def test_kid_of_another_did() -> None:
    token = sign_compact(signer(key_id="did:web:attacker.example#key-1"), claims())
    assert verify_compact(token, key=public(), policy=policy())  # without the binding it passes ...
    message = reject(
        token, UntrustedIssuerError, "not a key of the issuer", pol=policy(require_kid_prefix=True)
    )
    assert f"{ISSUER}#" in message
    # a prefix that is not followed by '#' does not count
    sneaky = sign_compact(signer(key_id=ISSUER + ".evil.example#k"), claims())
    reject(sneaky, UntrustedIssuerError, "not a key of the issuer", pol=policy(require_kid_prefix=True))


def test_wrong_issuer() -> None:
    reject(
        sign_compact(signer(), claims(iss="did:web:evil")), UntrustedIssuerError, "not the expected issuer"
    )


def test_replayed_jti() -> None:
    cache = InMemoryReplayCache(clock=lambda: float(NOW))
    token = sign_compact(signer(), claims())
    verify_compact(token, key=public(), policy=policy(), replay=cache)
    reject(token, ReplayedTokenError, "replayed", replay=cache)
    # a rejected token does not burn its jti
    other = sign_compact(signer(), claims(jti="jti-2", aud="nope"))
    reject(other, InvalidClaimsError, "audience", replay=cache)
    verify_compact(sign_compact(signer(), claims(jti="jti-2")), key=public(), policy=policy(), replay=cache)


def test_replay_protection_requires_jti() -> None:
    no_jti = {k: v for k, v in claims().items() if k != "jti"}
    reject(sign_compact(signer(), no_jti), InvalidClaimsError, "jti", replay=InMemoryReplayCache())


def test_tampered_payload() -> None:
    head, _, sig = sign_compact(signer(), claims()).split(".")
    token = f"{head}.{enc(claims(sub='did:web:admin'))}.{sig}"
    reject(token, InvalidSignatureError, "does not verify")


def test_tampered_header() -> None:
    _, payload, sig = sign_compact(signer(), claims()).split(".")
    token = f"{enc({'alg': 'ES256', 'kid': KID, 'typ': 'JWT', 'x': 1})}.{payload}.{sig}"
    reject(token, InvalidSignatureError, "does not verify")


def test_der_encoded_es256_signature() -> None:
    der_signer = DerSigner(private_key("P-256"), algorithm="ES256", key_id=KID)
    signing_input = f"{enc({'alg': 'ES256', 'kid': KID})}.{enc(claims())}"
    token = f"{signing_input}.{b64url_encode(der_signer.sign(signing_input.encode()))}"
    reject(token, InvalidSignatureError, r"7\d bytes, expected 64 \(it looks DER-encoded")


def test_oversize_token_rejected_before_parsing() -> None:
    # not even valid base64: the size check must come first
    reject("!" * 70_000, MalformedTokenError, "70000 bytes, over the limit of 65536")
    big = sign_compact(signer(), claims(pad="x" * 2000))
    reject(big, MalformedTokenError, "over the limit of 1000", pol=policy(max_token_bytes=1000))


@pytest.mark.parametrize("member", ["jwk", "jku", "x5u", "x5c"])
def test_header_supplied_attacker_key_is_ignored(member: str) -> None:
    attacker = private_key("P-256", "attacker")
    attacker_public = attacker.export_public(as_dict=True)
    values = {
        "jwk": attacker_public,
        "jku": "https://attacker.example/jwks.json",
        "x5u": "https://attacker.example/cert.pem",
        "x5c": ["MIIBattacker"],
    }
    evil = signer(label="attacker")
    token = sign_compact(evil, claims(), headers={member: values[member]})
    reject(token, InvalidSignatureError, "does not verify")
    # and a token the real key signed still verifies despite the member: it is simply ignored
    honest = sign_compact(signer(), claims(), headers={member: values[member]})
    assert verify_compact(honest, key=public(), policy=policy())[0][member] == values[member]


def test_json_serialisation_refused() -> None:
    obj = jws.JWS(json.dumps(claims()).encode())
    obj.add_signature(private_key("P-256"), None, json.dumps({"alg": "ES256", "kid": KID}))
    general = obj.serialize(compact=False)
    reject(general, MalformedTokenError, "JSON serialisation")
    # the same signature in compact form is fine
    assert verify_compact(obj.serialize(compact=True), key=public(), policy=policy())


def test_unknown_crit_refused() -> None:
    token = sign_compact(signer(), claims(), headers={"crit": ["exp-ext"], "exp-ext": 1})
    reject(token, MalformedTokenError, "critical")


def test_alg_key_mismatch_es384_header_with_p256_key() -> None:
    es384 = signer("P-384", key_id=KID)
    token = sign_compact(es384, claims())
    message = reject(token, InvalidSignatureError, "says alg ES384", key=public("P-256"))
    assert "EC P-256" in message and "ES256" in message


def test_key_jwk_alg_member_is_not_trusted() -> None:
    # a JWK saying alg=ES384 does not make ES384 acceptable for a P-256 key (jwcrypto ignores it)
    token = sign_compact(signer("P-384"), claims())
    reject(token, InvalidSignatureError, "says alg ES384", key={**public("P-256"), "alg": "ES384"})


def test_algorithm_outside_policy_allow_list() -> None:
    token = sign_compact(signer("RSA", algorithm="RS256"), claims())
    reject(
        token,
        InvalidSignatureError,
        "not in the accepted list",
        key=public("RSA"),
        pol=policy(algorithms=["PS256"]),
    )
    assert verify_compact(token, key=public("RSA"), policy=policy(algorithms=["RS256"]))


def test_unsupported_key_type_for_policy() -> None:
    token = sign_compact(signer(), claims())
    reject(token, InvalidSignatureError, "none of the accepted", pol=policy(algorithms=["EdDSA"]))


def test_jwe_and_garbage_refused() -> None:
    reject("a.b.c.d.e", MalformedTokenError, "JWE")
    reject("Bearer " + sign_compact(signer(), claims()), MalformedTokenError, "Bearer")
    reject("abc", MalformedTokenError, "not a compact JWS")
    reject(f"{enc({'alg': 'ES256'})}.{enc(claims())}.", InvalidSignatureError, "no signature")


def test_duplicate_header_members_refused() -> None:
    head = b64url_encode(b'{"alg":"ES256","alg":"none"}')
    reject(f"{head}.{enc(claims())}.AAAA", MalformedTokenError, "duplicate")


def test_non_object_payload_refused() -> None:
    token = sign_compact(signer(), b"[1,2,3]")
    reject(token, MalformedTokenError, "not a JSON object")
    assert b64url_decode(token.split(".")[1], "p") == b"[1,2,3]"


def test_small_rsa_key_refused() -> None:
    small = jwk.JWK.generate(kty="RSA", size=1024)
    token = sign_compact(signer("RSA"), claims())
    reject(token, InvalidSignatureError, "1024 bits", key=small.export_public(as_dict=True))
