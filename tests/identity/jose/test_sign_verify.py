from __future__ import annotations

import json
import time
from typing import Any

import pytest
from jwcrypto import jwk, jws, jwt

from d4h_sdk.errors import ConfigurationError, InvalidSignatureError, SigningError, VerificationError
from d4h_sdk.identity.jose import (
    ALG_FOR_KEY,
    JwtPolicy,
    MalformedTokenError,
    algorithms_for_key,
    peek,
    sign_compact,
    sign_detached_b64false,
    verify_compact,
    verify_detached_b64false,
)
from d4h_sdk.identity.jose._codec import b64url_decode

from ._keys import ISSUER, KID, DerSigner, private_key, public, signer

NOW = 1_800_000_000.0
AUD = "did:web:verifier.example"


def claims(**extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "iss": ISSUER,
        "sub": ISSUER,
        "aud": AUD,
        "jti": "id-1",
        "iat": int(NOW),
        "exp": int(NOW) + 300,
    }
    base.update(extra)
    return base


def policy(**kwargs: Any) -> JwtPolicy:
    kwargs.setdefault("audience", AUD)
    kwargs.setdefault("clock", lambda: NOW)
    return JwtPolicy(**kwargs)


@pytest.mark.parametrize("kind", ["P-256", "P-384", "P-521", "secp256k1", "Ed25519", "RSA"])
def test_round_trip_every_key_type(kind: str) -> None:
    s = signer(kind)
    token = sign_compact(s, claims())
    header, got = verify_compact(token, key=public(kind), policy=policy(issuer=ISSUER, subject=ISSUER))
    assert header == {"alg": s.algorithm, "kid": KID, "typ": "JWT"}
    assert got == claims()
    # jwcrypto, independently, accepts what we produced
    parsed = jwt.JWT(jwt=token, key=jwk.JWK(**public(kind)), algs=[s.algorithm], check_claims=False)
    assert json.loads(parsed.claims) == claims()


def test_jwcrypto_tokens_verify() -> None:
    key = private_key("P-256")
    token = jwt.JWT(header={"alg": "ES256", "kid": KID}, claims=claims())
    token.make_signed_token(key)
    header, got = verify_compact(token.serialize(), key=public("P-256"), policy=policy())
    assert header["kid"] == KID and got["jti"] == "id-1"


def test_alg_for_key_table() -> None:
    assert ALG_FOR_KEY[("EC", "P-256")] == ("ES256",)
    assert ALG_FOR_KEY[("EC", "P-521")] == ("ES512",)
    assert ALG_FOR_KEY[("EC", "secp256k1")] == ("ES256K",)
    assert ALG_FOR_KEY[("OKP", "Ed25519")][0] == "EdDSA"
    assert set(ALG_FOR_KEY[("RSA", None)]) == {"PS256", "PS384", "PS512", "RS256", "RS384", "RS512"}
    assert algorithms_for_key(public("RSA")) == ALG_FOR_KEY[("RSA", None)]
    with pytest.raises(InvalidSignatureError, match="oct"):
        algorithms_for_key({"kty": "oct", "k": "AAAA"})
    with pytest.raises(InvalidSignatureError, match="X448"):
        algorithms_for_key({"kty": "OKP", "crv": "X448", "x": "AA"})


def test_ed25519_alias_accepted_on_verify() -> None:
    s = signer("Ed25519", algorithm="Ed25519")
    header, _ = verify_compact(sign_compact(s, claims()), key=public("Ed25519"), policy=policy())
    assert header["alg"] == "Ed25519"


def test_payload_bytes_typ_and_headers() -> None:
    s = signer()
    token = sign_compact(s, b"raw payload", typ=None, headers={"cty": "text/plain"})
    header, payload = token.split(".")[:2]
    assert json.loads(b64url_decode(header, "h")) == {"alg": "ES256", "kid": KID, "cty": "text/plain"}
    assert b64url_decode(payload, "p") == b"raw payload"
    # verifies as JWS with jwcrypto
    obj = jws.JWS()
    obj.deserialize(token, key=jwk.JWK(**public()), alg="ES256")
    assert obj.payload == b"raw payload"


def test_claims_serialised_compact_utf8() -> None:
    token = sign_compact(signer(), {"name": "Ünïcode", "n": 1})
    assert b64url_decode(token.split(".")[1], "p") == '{"name":"Ünïcode","n":1}'.encode()


def test_sign_refuses_alg_override_and_bad_input() -> None:
    with pytest.raises(ConfigurationError, match="alg"):
        sign_compact(signer(), claims(), headers={"alg": "HS256"})
    with pytest.raises(ConfigurationError, match="not JSON-serialisable"):
        sign_compact(signer(), {"when": object()})
    with pytest.raises(ConfigurationError, match="'HS256'"):
        sign_compact(signer(algorithm="HS256"), claims())


def test_sign_refuses_der_signature() -> None:
    s = DerSigner(private_key("P-256"), algorithm="ES256")
    with pytest.raises(
        SigningError, match=r"DerSigner signer returned a 7\d-byte ES256 signature, expected 64.*DER"
    ):
        sign_compact(s, claims())


def test_sign_wraps_backend_failure() -> None:
    class Boom(type(signer())):  # type: ignore[misc]
        def sign(self, data: bytes) -> bytes:
            raise RuntimeError("secret backend detail")

    with pytest.raises(SigningError, match="failed with RuntimeError") as info:
        sign_compact(Boom(private_key("P-256"), algorithm="ES256"), claims())
    assert isinstance(info.value.__cause__, RuntimeError)


def test_signer_without_kid_omits_it() -> None:
    token = sign_compact(signer(key_id=""), claims())
    assert "kid" not in peek(token)[0]


def test_detached_b64false_round_trip() -> None:
    s = signer()
    data = b"\x00\x01 proof hash || doc hash"
    detached = sign_detached_b64false(s, data, headers={"kid": KID})
    head, empty, _ = detached.split(".")
    assert empty == ""
    assert json.loads(b64url_decode(head, "h")) == {"alg": "ES256", "b64": False, "crit": ["b64"], "kid": KID}
    assert verify_detached_b64false(detached, data, key=public(), algorithms=["ES256"])["b64"] is False
    assert verify_detached_b64false(detached, data, key=public(), algorithms=None)["alg"] == "ES256"
    with pytest.raises(InvalidSignatureError, match="does not verify"):
        verify_detached_b64false(detached, data + b"x", key=public(), algorithms=None)
    with pytest.raises(InvalidSignatureError, match="allows"):
        verify_detached_b64false(detached, data, key=public(), algorithms=["EdDSA"])
    # jwcrypto agrees (RFC 7797 detached payload)
    obj = jws.JWS()
    obj.deserialize(detached)
    obj.verify(jwk.JWK(**public()), detached_payload=data)


def test_detached_rejects_malformed() -> None:
    good = sign_detached_b64false(signer(), b"data")
    with pytest.raises(MalformedTokenError, match="header..signature"):
        verify_detached_b64false(good.replace("..", ".eA."), b"data", key=public(), algorithms=None)
    with pytest.raises(ConfigurationError):
        sign_detached_b64false(signer(), b"d", headers={"b64": True})
    encoded = sign_compact(signer(), b"x", typ=None).split(".")
    with pytest.raises(MalformedTokenError, match="b64"):
        verify_detached_b64false(f"{encoded[0]}..{encoded[2]}", b"x", key=public(), algorithms=None)
    with pytest.raises(ConfigurationError, match="none"):
        verify_detached_b64false(good, b"data", key=public(), algorithms=["none"])


def test_peek_is_unverified_and_checks_shape() -> None:
    token = sign_compact(signer(), claims())
    forged = token[:-4] + ("AAAA" if token[-4:] != "AAAA" else "BBBB")
    assert peek(forged) == ({"alg": "ES256", "kid": KID, "typ": "JWT"}, claims())
    with pytest.raises(MalformedTokenError):
        peek("not a token")
    with pytest.raises(MalformedTokenError, match="over the limit"):
        peek(token, max_token_bytes=10)


def test_policy_validation() -> None:
    with pytest.raises(ConfigurationError, match="HS256"):
        JwtPolicy(audience=AUD, algorithms=["HS256"])
    with pytest.raises(ConfigurationError, match="none"):
        JwtPolicy(audience=AUD, algorithms=["none"])
    with pytest.raises(ConfigurationError, match="empty"):
        JwtPolicy(audience=AUD, algorithms=[])
    with pytest.raises(ConfigurationError, match="audience"):
        JwtPolicy(audience="")
    with pytest.raises(ConfigurationError, match="leeway"):
        JwtPolicy(audience=AUD, leeway_s=-1)
    with pytest.raises(ConfigurationError, match="max_age_s"):
        JwtPolicy(audience=AUD, max_age_s=0)
    p = JwtPolicy(audience=[AUD, "other"], algorithms=["ES256"], typ="JWT", required=["exp"])
    assert p.audience == (AUD, "other") and p.algorithms == ("ES256",) and p.typ == ("JWT",)
    assert p.required == ("exp",)


def test_audience_list_and_none() -> None:
    token = sign_compact(signer(), claims(aud=["x", AUD]))
    assert verify_compact(token, key=public(), policy=policy(audience=["y", AUD]))[1]["aud"] == ["x", AUD]
    assert verify_compact(token, key=public(), policy=policy(audience=None))[1]["aud"] == ["x", AUD]


def test_leeway_edges() -> None:
    token = sign_compact(signer(), claims(exp=int(NOW) - 4, iat=int(NOW) - 100, nbf=int(NOW) + 4))
    assert verify_compact(token, key=public(), policy=policy())  # inside the 5 s leeway both ways
    from d4h_sdk.errors import ExpiredTokenError

    with pytest.raises(ExpiredTokenError, match="expired"):
        verify_compact(token, key=public(), policy=policy(leeway_s=3))


def test_max_age_and_required() -> None:
    from d4h_sdk.errors import ExpiredTokenError
    from d4h_sdk.identity.jose import InvalidClaimsError

    old = sign_compact(signer(), claims(iat=int(NOW) - 700, exp=int(NOW) + 300))
    with pytest.raises(ExpiredTokenError, match="maximum age of 600 s"):
        verify_compact(old, key=public(), policy=policy())
    assert verify_compact(old, key=public(), policy=policy(max_age_s=None))
    no_exp = sign_compact(signer(), {k: v for k, v in claims().items() if k != "exp"})
    with pytest.raises(InvalidClaimsError, match=r"required claim\(s\) \['exp'\]"):
        verify_compact(no_exp, key=public(), policy=policy())
    with pytest.raises(InvalidClaimsError, match="NumericDate"):
        verify_compact(sign_compact(signer(), claims(exp="tomorrow")), key=public(), policy=policy())


def test_typ_policy() -> None:
    from d4h_sdk.identity.jose import InvalidClaimsError

    token = sign_compact(signer(), claims(), typ="application/JWT")
    assert verify_compact(token, key=public(), policy=policy(typ="jwt"))
    with pytest.raises(InvalidClaimsError, match="typ"):
        verify_compact(token, key=public(), policy=policy(typ="vc+jwt"))


def test_subject_mismatch() -> None:
    from d4h_sdk.identity.jose import InvalidClaimsError

    token = sign_compact(signer(), claims(sub="did:web:other"))
    with pytest.raises(InvalidClaimsError, match="subject"):
        verify_compact(token, key=public(), policy=policy(subject=ISSUER))


def test_kid_prefix_from_token_issuer_when_policy_has_none() -> None:
    token = sign_compact(signer(), claims())
    assert verify_compact(token, key=public(), policy=policy(require_kid_prefix=True))


def test_key_with_enc_use_is_refused() -> None:
    token = sign_compact(signer(), claims())
    with pytest.raises(InvalidSignatureError, match="cannot verify"):
        verify_compact(token, key={**public(), "use": "enc"}, policy=policy())


def test_errors_are_verification_errors_without_the_token() -> None:
    token = sign_compact(signer(), claims(aud="did:web:else"))
    with pytest.raises(VerificationError) as info:
        verify_compact(token, key=public(), policy=policy())
    assert token not in str(info.value)
    assert token.split(".")[2] not in str(info.value)


def test_wall_clock_default() -> None:
    now = int(time.time())
    token = sign_compact(signer(), claims(iat=now, exp=now + 60))
    assert verify_compact(token, key=public(), policy=JwtPolicy(audience=AUD))[1]["iat"] == now


def test_fake_signer_if_available() -> None:
    testing = pytest.importorskip("d4h_sdk.testing")
    fake_signer = getattr(testing, "FakeSigner", None)
    if fake_signer is None:
        pytest.skip("d4h_sdk.testing.FakeSigner is not available yet")
    for kind in ("Ed25519", "P-256"):
        fake = fake_signer(kind, key_id=KID)
        token = sign_compact(fake, claims())
        header, got = verify_compact(token, key=fake.public_jwk(), policy=policy(require_kid_prefix=True))
        assert header["alg"] == fake.algorithm and got == claims()
