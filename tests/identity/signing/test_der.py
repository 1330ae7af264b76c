from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from hypothesis import given
from hypothesis import strategies as st

from d4h_sdk.errors import SigningError
from d4h_sdk.identity.signing import ecdsa_der_to_jose, jose_to_ecdsa_der

SIZES = {"ES256": 32, "ES256K": 32, "ES384": 48, "ES512": 66}


@pytest.mark.parametrize(
    ("curve", "alg", "hash_"),
    [
        (ec.SECP256R1(), "ES256", hashes.SHA256()),
        (ec.SECP384R1(), "ES384", hashes.SHA384()),
        (ec.SECP521R1(), "ES512", hashes.SHA512()),
        (ec.SECP256K1(), "ES256K", hashes.SHA256()),
    ],
)
def test_real_signatures_round_trip(curve: ec.EllipticCurve, alg: str, hash_: hashes.HashAlgorithm) -> None:
    key = ec.generate_private_key(curve)
    for n in range(5):
        der = key.sign(b"data %d" % n, ec.ECDSA(hash_))
        raw = ecdsa_der_to_jose(der, alg)
        assert len(raw) == 2 * SIZES[alg]
        r, s = decode_dss_signature(der)
        assert raw == r.to_bytes(SIZES[alg], "big") + s.to_bytes(SIZES[alg], "big")
        assert jose_to_ecdsa_der(raw) == der
        key.public_key().verify(jose_to_ecdsa_der(raw), b"data %d" % n, ec.ECDSA(hash_))


def test_leading_zero_components_are_padded_and_stripped() -> None:
    # r has its high bit set (DER adds 0x00), s is tiny (DER drops the leading zero bytes)
    r = (1 << 255) | 12345
    s = 7
    der = encode_dss_signature(r, s)
    raw = ecdsa_der_to_jose(der, "ES256")
    assert raw[:32] == r.to_bytes(32, "big")
    assert raw[32:] == b"\x00" * 31 + b"\x07"
    assert jose_to_ecdsa_der(raw) == der
    # a raw r starting with zero bytes gives a short DER INTEGER
    raw2 = b"\x00\x00\x01" + b"\x11" * 29 + b"\x80" + b"\x22" * 31
    assert ecdsa_der_to_jose(jose_to_ecdsa_der(raw2), "ES256") == raw2


def test_es512_uses_long_form_length() -> None:
    r = (1 << 520) | 1
    s = (1 << 519) | 3
    der = encode_dss_signature(r, s)
    assert der[1] == 0x81  # content longer than 127 bytes
    raw = ecdsa_der_to_jose(der, "ES512")
    assert len(raw) == 132
    assert jose_to_ecdsa_der(raw) == der


@given(
    alg=st.sampled_from(sorted(SIZES)),
    data=st.data(),
)
def test_round_trip_property(alg: str, data: st.DataObject) -> None:
    limit = (1 << (8 * SIZES[alg])) - 1
    r = data.draw(st.integers(min_value=1, max_value=limit))
    s = data.draw(st.integers(min_value=1, max_value=limit))
    der = encode_dss_signature(r, s)
    raw = ecdsa_der_to_jose(der, alg)
    assert len(raw) == 2 * SIZES[alg]
    assert jose_to_ecdsa_der(raw) == der
    assert decode_dss_signature(jose_to_ecdsa_der(raw)) == (r, s)


@given(st.binary(max_size=150))
def test_arbitrary_bytes_raise_only_signing_error(blob: bytes) -> None:
    try:
        raw = ecdsa_der_to_jose(blob, "ES256")
    except SigningError:
        return
    assert len(raw) == 64
    assert jose_to_ecdsa_der(raw) == blob  # only canonical DER is accepted


GOOD = encode_dss_signature(5, 6)  # 30 06 02 01 05 02 01 06


@pytest.mark.parametrize(
    "der",
    [
        b"",
        b"\x31\x06\x02\x01\x05\x02\x01\x06",  # not a SEQUENCE
        b"\x30\x07\x02\x01\x05\x02\x01\x06",  # length mismatch
        b"\x30\x06\x02\x01\x05\x02\x01\x06\x00",  # trailing byte after the SEQUENCE
        b"\x30\x09\x02\x01\x05\x02\x01\x06\x02\x01\x07",  # a third INTEGER
        b"\x30\x06\x03\x01\x05\x02\x01\x06",  # BIT STRING instead of INTEGER
        b"\x30\x06\x02\x01\x85\x02\x01\x06",  # negative r
        b"\x30\x07\x02\x02\x00\x05\x02\x01\x06",  # r not minimally encoded
        b"\x30\x06\x02\x01\x00\x02\x01\x06",  # r == 0
        b"\x30\x05\x02\x00\x02\x01\x06",  # empty INTEGER
        b"\x30\x81\x06\x02\x01\x05\x02\x01\x06",  # long-form length where short form fits
        b"\x30\x80\x02\x01\x05\x02\x01\x06\x00\x00",  # indefinite length (BER)
        b"\x30\x04\x02\x05\x05\x02",  # truncated INTEGER
        b"\x30",  # truncated length
        b"\x30\x06\x02\x01\x05\x02\x01",  # SEQUENCE claims more than there is
    ],
)
def test_malformed_der_is_rejected(der: bytes) -> None:
    assert ecdsa_der_to_jose(GOOD, "ES256") == (5).to_bytes(32, "big") + (6).to_bytes(32, "big")
    with pytest.raises(SigningError):
        ecdsa_der_to_jose(der, "ES256")


def test_component_too_large_for_the_algorithm() -> None:
    der = encode_dss_signature(1 << 300, 1)
    with pytest.raises(SigningError, match="out of range for ES256"):
        ecdsa_der_to_jose(der, "ES256")
    assert len(ecdsa_der_to_jose(der, "ES512")) == 132


@pytest.mark.parametrize("alg", ["EdDSA", "PS256", "es256", ""])
def test_non_ecdsa_algorithm_is_rejected(alg: str) -> None:
    with pytest.raises(SigningError, match="not a JOSE ECDSA algorithm"):
        ecdsa_der_to_jose(GOOD, alg)


@pytest.mark.parametrize("raw", [b"", b"\x01" * 63, b"\x00" * 32 + b"\x01" * 32, b"\x01" * 32 + b"\x00" * 32])
def test_invalid_raw_is_rejected(raw: bytes) -> None:
    with pytest.raises(SigningError):
        jose_to_ecdsa_der(raw)
