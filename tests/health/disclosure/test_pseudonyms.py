from __future__ import annotations

import hashlib
import hmac

import pytest
from hypothesis import given
from hypothesis import strategies as st

from d4h_sdk.errors import ConfigurationError
from d4h_sdk.health._disclosure import MIN_KEY_BYTES, pseudonymise

KEY = bytes(range(32))
keys = st.binary(min_size=MIN_KEY_BYTES, max_size=64)
contexts = st.text(min_size=1, max_size=30)
identifiers = st.lists(st.one_of(st.text(max_size=20), st.integers()), min_size=1, max_size=10)


def test_known_vector() -> None:
    context_key = hmac.new(KEY, b"d4h-sdk/pseudonym/v1\x00permit-42", hashlib.sha256).digest()
    expected = hmac.new(context_key, b"patient-1", hashlib.sha256).hexdigest()
    assert pseudonymise(["patient-1"], KEY, context="permit-42") == [expected]
    assert pseudonymise([17], KEY, context="permit-42") == pseudonymise(["17"], KEY, context="permit-42")


@given(keys, contexts, identifiers)
def test_stable_per_key_and_context(key: bytes, context: str, values: list[str | int]) -> None:
    first = pseudonymise(values, key, context=context)
    assert first == pseudonymise(values, key, context=context)
    assert all(len(p) == 64 and int(p, 16) >= 0 for p in first)
    assert len(set(first)) == len({str(v) for v in values})  # distinct identifiers, distinct pseudonyms


@given(keys, contexts, contexts, st.text(max_size=20))
def test_differs_across_contexts(key: bytes, one: str, other: str, value: str) -> None:
    if one != other:
        assert pseudonymise([value], key, context=one) != pseudonymise([value], key, context=other)


@given(keys, keys, contexts, st.text(max_size=20))
def test_differs_across_keys(key: bytes, other: bytes, context: str, value: str) -> None:
    if key != other:
        assert pseudonymise([value], key, context=context) != pseudonymise([value], other, context=context)


def test_pseudonym_is_not_a_plain_hash() -> None:
    assert pseudonymise(["p1"], KEY, context="c") != [hashlib.sha256(b"p1").hexdigest()]


def test_bad_keys_contexts_and_values_never_echo_the_key() -> None:
    short = b"0123456789abcdef"
    with pytest.raises(ConfigurationError, match="16 bytes; use at least 32") as info:
        pseudonymise(["p1"], short, context="c")
    assert "0123456789abcdef" not in str(info.value)
    with pytest.raises(ConfigurationError, match="must be bytes, not str"):
        pseudonymise(["p1"], "k" * 40, context="c")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="non-empty context"):
        pseudonymise(["p1"], KEY, context="")
    with pytest.raises(ConfigurationError, match="item 1 is NoneType"):
        pseudonymise(["p1", None], KEY, context="c")  # type: ignore[list-item]
    with pytest.raises(ConfigurationError, match="item 0 is bool"):
        pseudonymise([True], KEY, context="c")
