"""Wire codecs: raw JSON(-LD) <-> models, for every dialect the SDK speaks.

Dialects: ``dsp-2025-1`` and ``dsp-2024-1`` (Dataspace Protocol messages), ``edc-v3`` and ``edc-v4`` (EDC
Management API bodies). Two public functions do the work:

* :func:`decode` reads bytes, text or a parsed dict into a model. Messages in a known compaction (the
  2025-1 context, the 2024-1 context) take the fast path: direct key mapping, for 2025-1 straight from bytes.
  Anything else (EDC's ``@vocab`` and prefixes, full IRIs, single objects instead of arrays) is expanded as
  JSON-LD with the offline loader and mapped from the expanded form. Both paths give equal models.
* :func:`encode` writes a model as the JSON-ready dict of a dialect.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from d4h_sdk._gc import gc_paused
from d4h_sdk.config import DEFAULT_MAX_JSON_DEPTH, DEFAULT_MAX_PAYLOAD_BYTES
from d4h_sdk.errors import ConfigurationError, D4HError, DecodeError, EncodeError, PayloadTooLargeError
from d4h_sdk.models._base import WireModel, canonical_dict
from d4h_sdk.models.catalog import Catalog
from d4h_sdk.wire._dsp2024 import from_2024, to_2024
from d4h_sdk.wire._limits import check_depth, check_size
from d4h_sdk.wire._terms import (
    CONTEXT_2024_1,
    CONTEXT_2025_1,
    EDC,
    EDC_MANAGEMENT_V1,
    EDC_MANAGEMENT_V2,
    PREFIXES_2024_1,
    PREFIXES_2025_1,
)

if TYPE_CHECKING:
    from d4h_sdk.jsonld import DocumentLoader

__all__ = ["DIALECTS", "decode", "decode_list", "detect_dialect", "encode"]

DIALECTS: tuple[str, ...] = ("dsp-2025-1", "dsp-2024-1", "edc-v3", "edc-v4")
"""Every dialect :func:`decode` and :func:`encode` accept."""

_FAST_2025_HEAD = re.compile(
    rb'^\s*\{\s*"@context"\s*:\s*\[\s*"https://w3id\.org/dspace/2025/1/context\.jsonld"\s*\]'
)
_TYPE_IN_HEAD = re.compile(rb'"@type"\s*:\s*"([A-Za-z]+)"')
_HEAD_BYTES = 4096
_FAST_BYTES_MIN = 64 * 1024
"""Below this size a 2025-1 payload is parsed and depth-checked first; the straight-from-bytes path pays
off only for large documents (catalogs), whose nested datasets are depth-checked when they are built."""
_FAST_BYTES_TYPES = frozenset({"Catalog", "Dataset"})


def _check_dialect(dialect: str | None) -> None:
    if dialect is not None and dialect not in DIALECTS:
        raise ConfigurationError(f"unknown dialect {dialect!r}; expected one of {', '.join(DIALECTS)}")


def _context_entries(doc: Mapping[str, Any]) -> list[Any]:
    context = doc.get("@context")
    if context is None:
        return []
    return list(context) if isinstance(context, list) else [context]


def detect_dialect(doc: Mapping[str, Any]) -> str:
    """Tell the dialect of a parsed message from its ``@context``.

    The 2024-1 context -> ``dsp-2024-1``; EDC's management contexts or EDC's namespace as ``@vocab`` ->
    ``edc-v4`` / ``edc-v3``; anything else (the 2025-1 context, no context, other compactions) ->
    ``dsp-2025-1``, decoded through the JSON-LD fallback unless it is in the 2025-1 compaction.

    Raises:
        DecodeError: ``doc`` is not a JSON object.
    """
    if not isinstance(doc, Mapping):
        raise DecodeError(f"expected a JSON object, got {type(doc).__name__}")
    entries = _context_entries(doc)
    if CONTEXT_2024_1 in entries:
        return "dsp-2024-1"
    if EDC_MANAGEMENT_V2 in entries:
        return "edc-v4"
    if EDC_MANAGEMENT_V1 in entries:
        return "edc-v3"
    if any(isinstance(entry, Mapping) and entry.get("@vocab") == EDC for entry in entries):
        return "edc-v3"
    return "dsp-2025-1"


def _in_2025_compaction(doc: Mapping[str, Any]) -> bool:
    entries = _context_entries(doc)
    if not entries:
        return "protocolVersions" in doc or ("serviceEndpoint" in doc and "type" in doc)
    return entries[0] == CONTEXT_2025_1 and all(isinstance(entry, str) for entry in entries)


def _parse(payload: bytes | bytearray | memoryview | str, max_bytes: int) -> Any:
    check_size(len(payload), max_bytes)
    from pydantic_core import from_json

    try:
        return from_json(payload if not isinstance(payload, memoryview) else bytes(payload))
    except ValueError as exc:
        if "recursion limit" in str(exc):
            raise PayloadTooLargeError("JSON nesting exceeds the parser's recursion limit") from exc
        raise DecodeError(f"payload is not valid JSON: {exc}") from exc


def _fast_2025_bytes(data: bytes, max_bytes: int, max_depth: int) -> WireModel | None:
    """Decode 2025-1 bytes straight into a model when the head names the context and the root type."""
    if len(data) < _FAST_BYTES_MIN:
        return None
    head = data[:_HEAD_BYTES]
    if not _FAST_2025_HEAD.match(head):
        return None
    match = _TYPE_IN_HEAD.search(head)
    if match is None or data.find(b"{", 1, match.start()) != -1:
        return None  # the first @type found belongs to a nested object: take the general path
    type_term = match.group(1).decode("ascii")
    if type_term not in _FAST_BYTES_TYPES:
        return None
    from d4h_sdk.wire._registry import DSP_MODELS, validate

    model = DSP_MODELS[type_term]
    check_size(len(data), max_bytes)
    result = validate(model, data)
    extra = result.__pydantic_extra__
    if extra is not None:
        extra.pop("@context", None)
        if extra.pop("@type", model.MESSAGE_TYPE) != model.MESSAGE_TYPE:
            return None
    if getattr(result, "type", model.MESSAGE_TYPE) != model.MESSAGE_TYPE:
        return None
    # The catalog's own metadata is checked now; its datasets when they are built (Catalog.datasets).
    exclude = {"dataset_data"} if isinstance(result, Catalog) else set()
    check_depth(result.model_dump(by_alias=True, exclude=exclude), max_depth)
    return result


def _canonical(
    doc: Mapping[str, Any], dialect: str, *, fallback: bool, loader: DocumentLoader | None
) -> dict[str, Any]:
    if not fallback:
        if dialect == "dsp-2024-1":
            return from_2024(doc)
        if dialect == "dsp-2025-1" and _in_2025_compaction(doc):
            return dict(doc)
    from d4h_sdk.jsonld import fast_expand
    from d4h_sdk.wire._expanded import from_expanded

    if "protocolVersions" in doc:
        return dict(doc)  # the version document is plain JSON (its terms are in no DSP context)
    prefixes = PREFIXES_2024_1 if dialect == "dsp-2024-1" else PREFIXES_2025_1
    try:
        expanded = fast_expand(dict(doc), loader=loader)
        return from_expanded(expanded, prefixes, edc_terms=dialect.startswith("edc"))
    except (TypeError, ValueError, KeyError, AttributeError, IndexError) as exc:
        if isinstance(exc, D4HError):
            raise
        raise DecodeError(f"the message is not valid JSON-LD: {type(exc).__name__}") from exc


def decode(
    payload: bytes | bytearray | memoryview | str | Mapping[str, Any],
    *,
    dialect: str | None = None,
    fallback: bool = False,
    loader: DocumentLoader | None = None,
    max_bytes: int = DEFAULT_MAX_PAYLOAD_BYTES,
    max_depth: int = DEFAULT_MAX_JSON_DEPTH,
) -> WireModel:
    """Decode one message into its model.

    Args:
        payload: JSON bytes or text, or an already parsed JSON object.
        dialect: One of :data:`DIALECTS`; ``None`` detects it from ``@context``.
        fallback: Force the JSON-LD path even for a known compaction (tests and benchmarks use this).
        loader: A :class:`d4h_sdk.jsonld.DocumentLoader` for contexts the SDK does not bundle.
        max_bytes: Largest accepted payload size.
        max_depth: Deepest accepted JSON nesting.

    Returns:
        The model of the message's type, e.g. :class:`d4h_sdk.models.Catalog`.

    Raises:
        DecodeError: The payload is not JSON, or not a valid message.
        UnknownMessageError: The message type is not one the SDK models.
        PayloadTooLargeError: A size or nesting limit was exceeded.
        JsonLdError: The message needs a JSON-LD context that is neither bundled nor allowed by ``loader``.
        ConfigurationError: ``dialect`` is not a known dialect.
    """
    _check_dialect(dialect)
    with gc_paused():
        return _decode(payload, dialect, fallback, loader, max_bytes, max_depth)


def _decode(
    payload: bytes | bytearray | memoryview | str | Mapping[str, Any],
    dialect: str | None,
    fallback: bool,
    loader: DocumentLoader | None,
    max_bytes: int,
    max_depth: int,
) -> WireModel:
    from d4h_sdk.wire._registry import DSP_MODELS, EDC_MODELS, build

    if isinstance(payload, (bytes, bytearray, memoryview, str)):
        if not fallback and dialect in (None, "dsp-2025-1") and not isinstance(payload, str):
            fast = _fast_2025_bytes(bytes(payload), max_bytes, max_depth)
            if fast is not None:
                return fast
        doc = _parse(payload, max_bytes)
    elif isinstance(payload, Mapping):
        doc = payload
    else:
        raise DecodeError(f"cannot decode a {type(payload).__name__}; pass bytes, str or a dict")
    if not isinstance(doc, Mapping):
        raise DecodeError(f"expected a JSON object, got {type(doc).__name__}")
    check_depth(doc, max_depth)
    detected = detect_dialect(doc)
    if (
        dialect is not None
        and dialect.startswith("dsp")
        and detected != dialect
        and detected.startswith("dsp")
    ):
        if detected == "dsp-2024-1" or CONTEXT_2025_1 in _context_entries(doc):
            raise DecodeError(f"the message is {detected}, not {dialect}")
    use = dialect or detected
    canonical = _canonical(doc, use, fallback=fallback, loader=loader)
    model = build(canonical, EDC_MODELS if use.startswith("edc") else DSP_MODELS)
    if isinstance(model, Catalog):
        model._depth_checked = True  # the whole document was checked above
    return model


def decode_list(
    payload: bytes | bytearray | memoryview | str | list[Any], *, dialect: str, **options: Any
) -> tuple[WireModel, ...]:
    """Decode a JSON array of messages (EDC query results) into a tuple of models.

    Raises:
        DecodeError: The payload is not a JSON array of messages.
    """
    items = (
        payload
        if isinstance(payload, list)
        else _parse(payload, options.get("max_bytes", DEFAULT_MAX_PAYLOAD_BYTES))
    )
    if not isinstance(items, list):
        raise DecodeError(f"expected a JSON array, got {type(items).__name__}")
    check_depth(items, options.get("max_depth", DEFAULT_MAX_JSON_DEPTH) + 1)
    return tuple(decode(item, dialect=dialect, **options) for item in items)


def encode(message: WireModel, *, dialect: str) -> dict[str, Any]:
    """Write ``message`` as the JSON-ready dict of ``dialect``.

    Raises:
        EncodeError: The message cannot be written in that dialect (e.g. DSP 2024-1 needs a callback address
            on contract messages; EDC v4 has no ``dataDestination``).
        ConfigurationError: ``dialect`` is not a known dialect.
    """
    _check_dialect(dialect)
    if not isinstance(message, WireModel):
        raise EncodeError(f"expected a d4h_sdk model, got {type(message).__name__}")
    if dialect.startswith("edc"):
        from d4h_sdk.wire._edc import encode_edc

        return encode_edc(message, version=dialect[4:])
    body = canonical_dict(message)
    if dialect == "dsp-2024-1":
        return to_2024(body)
    from d4h_sdk.wire._dsp2025 import to_2025

    return to_2025(body)
