"""JCS (RFC 8785) canonical form and the gx:integrity digest."""

from __future__ import annotations

import hashlib
import json
import struct
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from d4h_sdk.errors import EncodeError
from d4h_sdk.identity.gaiax import INTEGRITY_NORMALIZATION, canonicalize, gx_integrity


def _double(bits: int) -> float:
    value: float = struct.unpack(">d", bits.to_bytes(8, "big"))[0]
    return value


# RFC 8785 Appendix B: IEEE 754 bit patterns and their ECMAScript serialisation.
RFC8785_NUMBERS = [
    (0x0000000000000000, "0"),
    (0x8000000000000000, "0"),
    (0x0000000000000001, "5e-324"),
    (0x8000000000000001, "-5e-324"),
    (0x7FEFFFFFFFFFFFFF, "1.7976931348623157e+308"),
    (0xFFEFFFFFFFFFFFFF, "-1.7976931348623157e+308"),
    (0x4340000000000000, "9007199254740992"),
    (0xC340000000000000, "-9007199254740992"),
    (0x4430000000000000, "295147905179352830000"),
    (0x44B52D02C7E14AF5, "9.999999999999997e+22"),
    (0x44B52D02C7E14AF6, "1e+23"),
    (0x44B52D02C7E14AF7, "1.0000000000000001e+23"),
    (0x444B1AE4D6E2EF4E, "999999999999999700000"),
    (0x444B1AE4D6E2EF4F, "999999999999999900000"),
    (0x444B1AE4D6E2EF50, "1e+21"),
    (0x3EB0C6F7A0B5ED8C, "9.999999999999997e-7"),
    (0x3EB0C6F7A0B5ED8D, "0.000001"),
    (0x41B3DE4355555553, "333333333.3333332"),
    (0x41B3DE4355555554, "333333333.33333325"),
    (0x41B3DE4355555555, "333333333.3333333"),
    (0x41B3DE4355555556, "333333333.3333334"),
    (0x41B3DE4355555557, "333333333.33333343"),
    (0xBECBF647612F3696, "-0.0000033333333333333333"),
    (0x43143FF3C1CB0959, "1424953923781206.2"),
]


@pytest.mark.parametrize(("bits", "expected"), RFC8785_NUMBERS, ids=[e for _, e in RFC8785_NUMBERS])
def test_rfc8785_number_serialisation(bits: int, expected: str) -> None:
    assert canonicalize(_double(bits)) == expected


@pytest.mark.parametrize("bits", [0x7FF0000000000000, 0xFFF0000000000000, 0x7FF8000000000000])
def test_nan_and_infinity_are_refused(bits: int) -> None:
    with pytest.raises(EncodeError, match="not a JSON number"):
        canonicalize([_double(bits)])


def test_rfc8785_section_3_2_2_example() -> None:
    # RFC 8785 section 3.2.2 input, parsed as a JSON parser would.
    text = (
        '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],'
        ' "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",'
        ' "literals": [null, true, false]}'
    )
    expected = (
        '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
        '"string":"\u20ac$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
    )
    assert canonicalize(json.loads(text)) == expected


def test_rfc8785_key_order_is_by_utf16_code_units() -> None:
    # RFC 8785 section 3.2.3: the emoji (surrogates D83D DE00) sorts before U+FB33, unlike code point order.
    doc = {
        "\u20ac": "Euro Sign",
        "\r": "Carriage Return",
        "\ufb33": "Hebrew Letter Dalet With Dagesh",
        "1": "One",
        "\U0001f600": "Emoji: Grinning Face",
        "\u0080": "Control",
        "\u00f6": "Latin Small Letter O With Diaeresis",
    }
    keys = list(json.loads(canonicalize(doc)))
    assert keys == ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001f600", "\ufb33"]
    assert sorted(doc) != keys  # Python's code point order would differ


def test_strings_escape_only_what_json_requires() -> None:
    text = canonicalize('a"b\\c\b\f\n\r\t\x00\x1f\x7f\u2028é/<')
    assert text == '"a\\"b\\\\c\\b\\f\\n\\r\\t\\u0000\\u001f\x7f\u2028é/<"'


def test_large_integers_are_written_as_the_nearest_double_like_json_parse_reads_them() -> None:
    assert canonicalize(2**53) == "9007199254740992"
    assert canonicalize(2**53 + 1) == "9007199254740992"
    assert canonicalize(-(2**70)) == "-1.1805916207174113e+21"
    assert canonicalize(10**21) == "1e+21"
    assert canonicalize(10**20) == "100000000000000000000"
    with pytest.raises(EncodeError, match="beyond the range"):
        canonicalize(10**400)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({1: "x"}, "keys must be strings"),
        ({"\ud800": 1}, "lone surrogate"),
        ("\udfff", "lone surrogate"),
        (b"bytes", "not a JSON value"),
        ({1, 2}, "not a JSON value"),
    ],
)
def test_values_that_are_not_i_json_are_refused(value: object, message: str) -> None:
    with pytest.raises(EncodeError, match=message):
        canonicalize(value)


def test_deep_nesting_is_refused() -> None:
    doc: list[object] = []
    for _ in range(600):
        doc = [doc]
    with pytest.raises(EncodeError, match="nesting"):
        canonicalize(doc)


def test_gx_integrity_is_sha256_of_the_utf8_canonical_form() -> None:
    doc = {"b": [1, 2.5, True, None], "a": "é"}
    expected = hashlib.sha256('{"a":"é","b":[1,2.5,true,null]}'.encode()).hexdigest()
    assert gx_integrity(doc) == f"sha256-{expected}"
    assert INTEGRITY_NORMALIZATION == "RFC8785:JCS"


def test_eddsa_jcs_2022_vectors(shared_fixtures: Path) -> None:
    base = shared_fixtures / "vc" / "vc-di-eddsa" / "TestVectors"
    unsigned = json.loads((base / "unsigned.json").read_text())
    canon = (base / "eddsa-jcs-2022" / "canonDocJCS.txt").read_text().strip()
    doc_hash = (base / "eddsa-jcs-2022" / "docHashJCS.txt").read_text().strip()
    assert canonicalize(unsigned) == canon
    assert gx_integrity(unsigned) == f"sha256-{doc_hash}"
    proof_config = json.loads((base / "eddsa-jcs-2022" / "proofConfigJCS.json").read_text())
    proof_canon = (base / "eddsa-jcs-2022" / "proofCanonJCS.txt").read_text().strip()
    proof_hash = (base / "eddsa-jcs-2022" / "proofHashJCS.txt").read_text().strip()
    assert canonicalize(proof_config) == proof_canon
    assert gx_integrity(proof_config) == f"sha256-{proof_hash}"


_json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53), max_value=2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4),
    max_leaves=20,
)


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, (int, float)):
        return a == float(b)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


@given(_json_values)
def test_canonical_form_parses_back_to_the_same_value_and_is_idempotent(value: object) -> None:
    text = canonicalize(value)
    parsed = json.loads(text)
    assert _same(value, parsed)
    assert canonicalize(parsed) == text


@given(st.dictionaries(st.text(), st.integers(min_value=0, max_value=9), max_size=8))
def test_ascii_objects_match_sorted_compact_json(value: dict[str, int]) -> None:
    # For BMP-only keys UTF-16 order equals code point order; integers format identically.
    if all(ord(c) < 0xD800 for k in value for c in k):
        expected = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert canonicalize(value) == expected
