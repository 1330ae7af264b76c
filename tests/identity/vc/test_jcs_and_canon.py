"""JCS (RFC 8785) numbers and strings, and the explicit URDNA2015 canonicalisation."""

from __future__ import annotations

import pytest

from d4h_sdk.errors import MalformedTokenError
from d4h_sdk.identity.vc import canonicalize, jcs


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.0, "0"),
        (-0.0, "0"),
        (1.0, "1"),
        (1e21, "1e+21"),
        (1e20, "100000000000000000000"),
        (1e-7, "1e-7"),
        (0.000001, "0.000001"),
        (123.456, "123.456"),
        (5e-324, "5e-324"),
        (1.7976931348623157e308, "1.7976931348623157e+308"),
        (333333333.3333333, "333333333.3333333"),
        (295147905179352830000.0, "295147905179352830000"),
        (2**60, "1152921504606847000"),
        (-12, "-12"),
    ],
)
def test_numbers_follow_ecmascript(value: float, expected: str) -> None:
    assert jcs(value).decode() == expected


def test_objects_sort_by_utf16_code_units_and_strings_escape_like_json_stringify() -> None:
    value = {"\ufb33": 3, "\U0001f600": 2, "\u20ac": 1, "b": [True, None, "\u00e9\n\x01"], "a": {}}
    assert (
        jcs(value)
        == '{"a":{},"b":[true,null,"\u00e9\\n\\u0001"],"\u20ac":1,"\U0001f600":2,"\ufb33":3}'.encode()
    )


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), "\ud800", {1}])
def test_unrepresentable_values_are_refused(bad: object) -> None:
    with pytest.raises(MalformedTokenError):
        jcs(bad)


def test_urdna2015_is_used_for_several_blank_nodes() -> None:
    # two blank nodes that URGNA2012 (pyld's default) labels differently from URDNA2015
    document = {
        "@context": {"@vocab": "https://example.org/"},
        "knows": [{"name": "a", "knows": {"name": "b"}}, {"name": "b", "knows": {"name": "a"}}],
    }
    quads = canonicalize(document)
    assert "_:c14n0" in quads and "_:c14n2" in quads
    assert quads.endswith(" .\n")
