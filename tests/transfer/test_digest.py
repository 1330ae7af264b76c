"""Parsing of announced digests (Repr-Digest, Digest) and the hashers."""

from __future__ import annotations

import base64
import hashlib

from d4h_sdk.transfer._digest import Digest, Hashers, announced_digest

DATA = b"hello"
S256 = base64.b64encode(hashlib.sha256(DATA).digest()).decode()
S512 = base64.b64encode(hashlib.sha512(DATA).digest()).decode()


def test_repr_digest_prefers_sha512_and_ignores_the_rest() -> None:
    found = announced_digest({"Repr-Digest": f"md5=:AAAA:, sha-256=:{S256}:, sha-512=:{S512}:"})
    assert found == Digest("sha-512", hashlib.sha512(DATA).digest())
    assert found.header() == f"sha-512=:{S512}:"


def test_repr_digest_wins_over_legacy_digest() -> None:
    wrong = base64.b64encode(b"\0" * 32).decode()
    found = announced_digest({"Repr-Digest": f"sha-256=:{S256}:", "Digest": f"SHA-256={wrong}"})
    assert found is not None and found.b64 == S256


def test_legacy_digest_case_insensitive() -> None:
    assert announced_digest({"Digest": f"MD5=abc, sha-256={S256}"}) == Digest(
        "sha-256", hashlib.sha256(DATA).digest()
    )


def test_malformed_values_are_ignored() -> None:
    for header in (
        {"Repr-Digest": "sha-256=:not base64!:"},
        {"Repr-Digest": f"sha-256={S256}"},  # not a byte sequence
        {"Repr-Digest": "sha-256=:" + base64.b64encode(b"short").decode() + ":"},
        {"Digest": "SHA-256"},
        {"Repr-Digest": ""},
        {},
    ):
        assert announced_digest(header) is None, header
    # a malformed Repr-Digest falls back to a usable Digest
    assert announced_digest({"Repr-Digest": "sha-256=:x:", "Digest": f"SHA-256={S256}"}) is not None


def test_hashers() -> None:
    hashers = Hashers(Digest("sha-512", b""))
    hashers.update(b"hel")
    prefix = hashers.fingerprint()
    hashers.update(b"lo")
    assert prefix == hashlib.sha256(b"hel").digest()
    assert hashers.sha256_hex() == hashlib.sha256(DATA).hexdigest()
    actual = hashers.actual()
    assert actual is not None and actual.b64 == S512
    assert Hashers(None).actual() is None
