"""Property tests of every decoder: hostile input raises only ``d4h_sdk`` errors.

Each input goes through ``wire.decode`` with every dialect, with auto-detection, and through the forced
JSON-LD fallback. Anything that decodes must also re-encode (or raise :class:`d4h_sdk.EncodeError`), and a
decoded catalog must build its datasets without error.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ._schemas import official_examples

if not hasattr(pytest.importorskip("d4h_sdk.wire"), "decode"):
    pytest.skip("d4h_sdk.wire is not implemented yet", allow_module_level=True)

from d4h_sdk import models, wire  # noqa: E402
from d4h_sdk.config import DEFAULT_MAX_JSON_DEPTH  # noqa: E402
from d4h_sdk.errors import D4HError, DecodeError, EncodeError, PayloadTooLargeError  # noqa: E402

SETTINGS = settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)

MODES: list[dict[str, Any]] = [
    {},
    *({"dialect": dialect} for dialect in wire.DIALECTS),
    {"fallback": True},
    {"dialect": "dsp-2025-1", "fallback": True},
    {"dialect": "dsp-2024-1", "fallback": True},
]
"""Every decoder: auto-detection, each dialect's own path, and the forced JSON-LD fallback."""

CONTEXTS: list[Any] = [
    ["https://w3id.org/dspace/2025/1/context.jsonld"],
    "https://w3id.org/dspace/2024/1/context.json",
    ["https://w3id.org/dspace/2025/1/context.jsonld", "https://w3id.org/edc/dspace/v0.0.1"],
    {"@vocab": "https://w3id.org/edc/v0.0.1/ns/", "dspace": "https://w3id.org/dspace/2025/1/"},
    "https://w3id.org/edc/connector/management/v0.0.1",
    "https://unknown.example.com/context.jsonld",
]
KEYS = [
    "@context",
    "@type",
    "@id",
    "@value",
    "@language",
    "@list",
    "@graph",
    "consumerPid",
    "providerPid",
    "offer",
    "agreement",
    "permission",
    "constraint",
    "leftOperand",
    "rightOperand",
    "dataset",
    "state",
    "reason",
    "dataAddress",
    "endpointProperties",
    "protocolVersions",
    "dspace:consumerPid",
    "odrl:permission",
]
TYPES = [
    "Catalog",
    "Dataset",
    "ContractRequestMessage",
    "ContractNegotiation",
    "TransferProcess",
    "TransferStartMessage",
    "dspace:ContractRequestMessage",
    "dcat:Catalog",
    "CatalogError",
    "Offer",
    "Agreement",
    "NoSuchMessage",
]

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | st.sampled_from(TYPES)
)
JSON_VALUES = st.recursive(
    SCALARS | st.sampled_from(CONTEXTS),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=25,
)
MESSAGES = st.fixed_dictionaries(
    {"@context": st.sampled_from(CONTEXTS), "@type": st.sampled_from(TYPES)},
    optional={key: JSON_VALUES for key in KEYS[7:]},
)
"""Dicts that look enough like messages to get past dialect detection."""

EXAMPLES = [ex for ex in official_examples()]


def _check_success(model: Any) -> None:
    """A decoded model must be a model, re-encode or refuse with EncodeError, and build lazy datasets."""
    assert type(model).__module__.startswith("d4h_sdk.models"), type(model)
    if isinstance(model, models.Catalog):
        for catalog in [model, *model.catalogs]:
            _ = catalog.datasets  # validated eagerly at decode time: building must not fail
    for dialect in ("dsp-2025-1", "dsp-2024-1"):
        try:
            wire.encode(model, dialect=dialect)
        except EncodeError:
            pass


def _decode_everywhere(payload: Any) -> None:
    """Run every decoder on the payload: success is checked, a D4HError is fine, anything else fails."""
    for mode in MODES:
        try:
            model = wire.decode(payload, **mode)
        except D4HError:
            continue
        _check_success(model)


def _as_bytes(value: Any) -> bytes:
    return json.dumps(value).encode("utf-8")


# (a) random JSON -----------------------------------------------------------------------------------


@SETTINGS
@given(JSON_VALUES)
def test_random_json_raises_only_d4h_errors(value: Any) -> None:
    _decode_everywhere(_as_bytes(value))
    if isinstance(value, dict):
        _decode_everywhere(value)


@SETTINGS
@given(MESSAGES)
def test_random_messages_raise_only_d4h_errors(value: dict[str, Any]) -> None:
    _decode_everywhere(value)
    _decode_everywhere(json.dumps(value))


# (b) mutations of the official examples ------------------------------------------------------------


def _locations(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a dict entry or list item in a JSON document."""
    found: list[tuple[Any, ...]] = []
    if isinstance(node, dict):
        for key, child in node.items():
            found.append((*path, key))
            found.extend(_locations(child, (*path, key)))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            found.append((*path, index))
            found.extend(_locations(child, (*path, index)))
    return found


def _parent(doc: Any, path: tuple[Any, ...]) -> Any:
    for step in path[:-1]:
        doc = doc[step]
    return doc


_RETYPE = {str: 42, int: "42", float: "4.2", bool: "true", type(None): [], list: {"@value": "x"}, dict: ["x"]}


@st.composite
def mutated_examples(draw: st.DrawFn) -> tuple[str, Any]:
    example = draw(st.sampled_from(EXAMPLES))
    doc = example.load()
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        locations = _locations(doc)
        if not locations:
            break
        path = draw(st.sampled_from(locations))
        parent = _parent(doc, path)
        operation = draw(st.sampled_from(["drop", "retype", "replace", "rename-type", "duplicate"]))
        if operation == "drop":
            del parent[path[-1]]
        elif operation == "retype":
            parent[path[-1]] = copy.deepcopy(_RETYPE[type(parent[path[-1]])])  # never share the template
        elif operation == "replace":
            parent[path[-1]] = copy.deepcopy(draw(JSON_VALUES))  # CONTEXTS entries are shared lists
        elif operation == "duplicate":
            parent[path[-1]] = [copy.deepcopy(parent[path[-1]]), copy.deepcopy(parent[path[-1]])]
        else:
            holder = parent if isinstance(parent, dict) and "@type" in parent else doc
            if isinstance(holder, dict):
                holder["@type"] = draw(st.sampled_from(TYPES))
    return example.id, doc


@pytest.mark.skipif(not EXAMPLES, reason="official fixtures not found")
@SETTINGS
@given(mutated_examples())
def test_mutated_examples_raise_only_d4h_errors(case: tuple[str, Any]) -> None:
    _, doc = case
    before = copy.deepcopy(doc)
    _decode_everywhere(doc)
    assert doc == before, "decoding changed its input"
    _decode_everywhere(_as_bytes(doc))


# (c) nesting depth and size ------------------------------------------------------------------------


def _nested(depth: int) -> Any:
    value: Any = "leaf"
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


def _request_with_operand(operand: Any) -> dict[str, Any]:
    return {
        "@context": ["https://w3id.org/dspace/2025/1/context.jsonld"],
        "@type": "ContractRequestMessage",
        "consumerPid": "urn:uuid:c",
        "callbackAddress": "https://consumer.example.com/cb",
        "offer": {
            "@id": "urn:uuid:offer",
            "@type": "Offer",
            "target": "urn:uuid:dataset",
            "permission": [
                {
                    "action": "use",
                    "constraint": [{"leftOperand": "purpose", "operator": "eq", "rightOperand": operand}],
                }
            ],
        },
    }


def _nested_text(depth: int) -> str:
    """``_nested(depth)`` as JSON text, built without recursion (json.dumps cannot write 10,000 levels)."""
    opening = "".join("[" if level % 2 else '{"k": ' for level in reversed(range(depth)))
    closing = "".join("]" if level % 2 else "}" for level in range(depth))
    return opening + '"leaf"' + closing


def test_nested_text_matches_nested() -> None:
    assert json.loads(_nested_text(7)) == _nested(7)


@pytest.mark.parametrize("extra", [1, 10, 10_000])
def test_too_deep_payload_raises_payload_too_large(extra: int) -> None:
    depth = DEFAULT_MAX_JSON_DEPTH + extra
    text = json.dumps(_request_with_operand("@@")).replace('"@@"', _nested_text(depth))
    payloads: list[Any] = [text.encode("utf-8"), text]
    if extra < 100:
        payloads.append(_request_with_operand(_nested(depth)))
    for payload in payloads:
        for mode in MODES:
            with pytest.raises(PayloadTooLargeError):
                wire.decode(payload, **mode)


def test_deep_array_bytes_raise_payload_too_large_not_recursion_error() -> None:
    depth = 200_000
    payload = b"[" * depth + b"]" * depth
    for mode in MODES:
        with pytest.raises(PayloadTooLargeError):
            wire.decode(payload, **mode)
    with pytest.raises(PayloadTooLargeError):
        wire.decode(b'{"@context": ' + payload + b"}")


def test_moderate_depth_is_accepted() -> None:
    doc = _request_with_operand(_nested(DEFAULT_MAX_JSON_DEPTH // 2))
    model = wire.decode(doc)
    assert isinstance(model, models.ContractRequestMessage)
    assert wire.decode(_as_bytes(doc)) == model


def test_payload_size_limit() -> None:
    raw = _as_bytes(_request_with_operand("x" * 4096))
    for payload in (raw, raw.decode("utf-8")):
        for mode in MODES:
            with pytest.raises(PayloadTooLargeError):
                wire.decode(payload, max_bytes=1024, **mode)
    assert isinstance(wire.decode(raw, max_bytes=len(raw)), models.ContractRequestMessage)


def test_max_depth_argument() -> None:
    doc = _request_with_operand(_nested(12))
    for payload in (doc, _as_bytes(doc)):
        for mode in MODES:
            with pytest.raises(PayloadTooLargeError):
                wire.decode(payload, max_depth=8, **mode)
    assert isinstance(wire.decode(doc, max_depth=40), models.ContractRequestMessage)


# (d) bytes that are not a JSON object --------------------------------------------------------------


@pytest.mark.parametrize(
    "payload",
    [
        b"",
        b"\xff\xfe\xfd",
        b'{"@type": "\xff"}',
        b"{",
        b"[1, 2",
        b"null",
        b"42",
        b'"text"',
        b"[]",
        b"{}",
        b"NaN",
    ],
    ids=repr,
)
def test_invalid_bytes_raise_decode_error(payload: bytes) -> None:
    for mode in MODES:
        with pytest.raises(DecodeError):
            wire.decode(payload, **mode)


@SETTINGS
@given(st.binary(max_size=64))
def test_random_bytes_raise_decode_error(payload: bytes) -> None:
    for mode in MODES:
        with pytest.raises(DecodeError):
            wire.decode(payload, **mode)


@SETTINGS
@given(st.text(max_size=40).filter(lambda t: not t.lstrip().startswith("{")))
def test_non_object_text_raises_decode_error(text: str) -> None:
    for mode in MODES:
        with pytest.raises(DecodeError):
            wire.decode(text, **mode)
