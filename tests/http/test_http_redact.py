from __future__ import annotations

import pytest

from d4h_sdk._redact import (
    Headers,
    correlation_id,
    decode_text,
    dsp_error_type,
    parse_error_body,
    redact_headers,
    redact_text,
    redact_url,
    summarize_body,
    url_without_query,
)


def test_redact_headers_hides_credentials_keeps_scheme_and_others() -> None:
    out = redact_headers(
        {
            "Authorization": "Bearer abc.def.ghi",
            "X-Api-Key": "k-123456",
            "Cookie": "sid=1",
            "Proxy-Authorization": "Basic dXNlcjpwYXNz",
            "X-Custom-Token": "tok",
            "Accept": "application/json",
        }
    )
    assert out == {
        "Authorization": "Bearer ***",
        "X-Api-Key": "***",
        "Cookie": "***",
        "Proxy-Authorization": "Basic ***",
        "X-Custom-Token": "***",
        "Accept": "application/json",
    }


def test_redact_headers_extra_names_and_none() -> None:
    assert redact_headers({"X-Signed": "v", "Accept": "a"}, extra=["x-signed"]) == {
        "X-Signed": "***",
        "Accept": "a",
    }
    assert redact_headers(None) == {}


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://user:pw@h.example/p?a=1&token=xyz#f", "https://h.example/p?a=1&token=***#f"),
        (
            "http://h/p?access_token=1&api_key=2&apikey=3&key=4&secret=5&password=6&signature=7&sig=8&code=9&q=ok",
            "http://h/p?access_token=***&api_key=***&apikey=***&key=***&secret=***&password=***"
            "&signature=***&sig=***&code=***&q=ok",
        ),
        (
            "http://h/p?X-Amz-Signature=abc&client_secret=s&flag",
            "http://h/p?X-Amz-Signature=***&client_secret=***&flag",
        ),
        ("http://h/p", "http://h/p"),
        ("http://[::1", "<invalid URL>"),
    ],
)
def test_redact_url(url: str, expected: str) -> None:
    assert redact_url(url) == expected


def test_url_without_query() -> None:
    assert url_without_query("https://u:p@h.example:8443/a/b?token=1#x") == "https://h.example:8443/a/b"
    assert url_without_query("http://[::1") == "<invalid URL>"


def test_redact_text_removes_known_secrets_and_patterns() -> None:
    jwt = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"
    text = f"bad key sk-SECRET-1 and Bearer abc123 and {jwt} at /x?token=zzz&page=2 (k=ab)"
    out = redact_text(text, ["sk-SECRET-1", "ab"])
    assert "sk-SECRET-1" not in out and "abc123" not in out and jwt not in out and "zzz" not in out
    assert "Bearer ***" in out and "token=***" in out and "page=2" in out and "(k=ab)" in out


def test_correlation_id_precedence() -> None:
    assert correlation_id(Headers({"traceparent": "t", "Request-Id": "r"})) == "r"
    assert correlation_id(Headers({"traceparent": "t", "x-correlation-id": "c", "X-Request-Id": "q"})) == "q"
    assert correlation_id(Headers({"traceparent": "t"})) == "t"
    assert correlation_id(Headers({})) is None


def test_parse_error_body() -> None:
    assert parse_error_body(b'{"a": 1}') == {"a": 1}
    assert parse_error_body(b"  ") is None
    assert parse_error_body(b"x" * 5000) == "x" * 2000
    assert parse_error_body(b"[" * 100_000) == "[" * 2000


def test_dsp_error_type_any_prefix() -> None:
    assert dsp_error_type({"@type": "dspace:CatalogError"}) == "dspace:CatalogError"
    assert dsp_error_type({"@type": ["Other", "https://w3id.org/dspace/2024/1/TransferError"]})
    assert dsp_error_type({"@type": "ContractNegotiationError"}) == "ContractNegotiationError"
    assert dsp_error_type({"@type": "ContractNegotiation"}) is None
    assert dsp_error_type(["TransferError"]) is None


def test_summarize_body_shapes() -> None:
    assert summarize_body(
        {"@type": "TransferError", "code": "409", "reason": ["busy", {"@value": "later"}]}
    ) == ("409: busy; later")
    assert summarize_body({"dspace:code": "E1"}) == "E1"
    assert summarize_body({"dspace:reason": "only reason"}) == "only reason"
    assert summarize_body([{"message": "m1", "type": "ValidationFailure"}, {"message": "m2"}]) == "m1; m2"
    assert summarize_body({"error": "invalid_token", "other": 1}) == "invalid_token"
    assert summarize_body("  plain\n  text ") == "plain text"
    assert summarize_body("<html><body>oops</body></html>") == ""
    assert summarize_body(None) == ""
    assert summarize_body({"nothing": 1}) == ""
    long = summarize_body("y" * 1000)
    assert len(long) == 300 and long.endswith("...")


def test_headers_mapping_is_case_insensitive_and_repr_redacted() -> None:
    h = Headers({"Content-Type": "text/plain", "Authorization": "Bearer s3cr3t"})
    assert h["content-type"] == "text/plain" and "CONTENT-TYPE" in h and 1 not in h
    assert list(h) == ["Content-Type", "Authorization"] and len(h) == 2
    assert "s3cr3t" not in repr(h)


def test_decode_text_charset() -> None:
    assert decode_text("é".encode("latin-1"), {"Content-Type": "text/plain; charset=ISO-8859-1"}) == "é"
    assert decode_text("é".encode(), {}) == "é"
    assert decode_text(b"ok", {"Content-Type": "text/plain; charset=nonsense"}) == "ok"
