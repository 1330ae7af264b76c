"""Shared pieces of the sandbox's EDC Management API facades: auth, EDC error bodies, bodies, QuerySpecs.

EDC answers errors with a JSON list of ``{"message", "type", "path"?, "invalidValue"?}`` objects (its
``ApiErrorDetail``): 400 ``ValidationFailure`` / ``InvalidRequest``, 401 ``AuthenticationFailed``, 404
``ObjectNotFound``, 409 ``ObjectConflict``. Request bodies are read tolerantly, the way a real EDC reads
them after JSON-LD expansion: keys may be plain terms (``@vocab`` or the management contexts), ``edc:``
prefixed or absolute EDC IRIs.
"""

from __future__ import annotations

import hmac
import json
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import ValidationError

from d4h_sdk import wire
from d4h_sdk.connectors import DSP_2024_1, DSP_2025_1
from d4h_sdk.models._base import WireModel
from d4h_sdk.sandbox._http_server import Request, Response, json_response
from d4h_sdk.wire._terms import EDC

__all__ = [
    "API_KEY_HEADER",
    "VERSIONS",
    "EdcApiError",
    "Query",
    "edc_error",
    "encode",
    "now_ms",
    "plain",
    "protocol_of",
    "read_body",
    "read_model",
    "require_api_key",
    "state_body",
]

API_KEY_HEADER = "X-Api-Key"
"""The header carrying the management API key (EDC's default auth extension)."""

VERSIONS: dict[str, str] = {"v3": "edc-v3", "v4": "edc-v4"}
"""Served Management API versions (path segment) -> wire dialect."""

_ODRL = "http://www.w3.org/ns/odrl/2/"
_PROTOCOLS: dict[str, str] = {
    DSP_2025_1: DSP_2025_1,
    DSP_2024_1: DSP_2024_1,
    "dataspace-protocol-http:2024-1": DSP_2024_1,
}
_OPAQUE_KEYS = frozenset({"policy", "properties", "privateProperties", "dataAddress", "dataDestination"})

M = TypeVar("M", bound=WireModel)


class EdcApiError(Exception):
    """An error answer in EDC's shape; raised by handlers and turned into a response by the facade.

    Args:
        status: The HTTP status.
        message: What is wrong, safe to show.
        type: EDC's error type (``ValidationFailure``, ``InvalidRequest``, ``ObjectNotFound``...).
        path: The offending field, if any.
    """

    def __init__(self, status: int, message: str, type: str, path: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.path = path

    @classmethod
    def not_found(cls, what: str, ident: str) -> EdcApiError:
        """404 ``ObjectNotFound`` for ``<what> with ID <ident>``."""
        return cls(404, f"Object of type {what} with ID={ident} was not found", "ObjectNotFound")

    @classmethod
    def invalid(cls, message: str, path: str | None = None) -> EdcApiError:
        """400 ``InvalidRequest``."""
        return cls(400, message, "InvalidRequest", path)

    def response(self) -> Response:
        """The EDC error body as a response."""
        return edc_error(self.status, [(self.message, self.type, self.path)])


def edc_error(status: int, details: Iterable[tuple[str, str, str | None]]) -> Response:
    """An EDC error answer: a JSON list of ``{message, type, path}`` (``path`` only when known)."""
    body = []
    for message, kind, path in details:
        item: dict[str, Any] = {"message": message, "type": kind}
        if path is not None:
            item["path"] = path
        body.append(item)
    return json_response(body, status)


def require_api_key(request: Request, expected: str) -> Response | None:
    """``None`` when the request carries the API key, else EDC's 401 answer (compared in constant time)."""
    given = request.headers.get(API_KEY_HEADER, "")
    if given and hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8")):
        return None
    return edc_error(401, [("Request could not be authenticated", "AuthenticationFailed", None)])


def now_ms() -> int:
    """The current time in milliseconds since the epoch (EDC's ``createdAt`` unit)."""
    return int(time.time() * 1000)


def _term(key: str) -> str:
    if key.startswith(EDC):
        return key[len(EDC) :]
    if key.startswith("edc:"):
        return key[4:]
    return key


def plain(value: Any) -> Any:
    """A management body with EDC's namespace stripped from keys and ``@context`` dropped.

    ``policy``, ``properties``, ``privateProperties``, ``dataAddress`` and ``dataDestination`` keep their
    inner keys (``dataAddress`` and ``dataDestination`` only lose the EDC namespace, one level deep).
    """
    if isinstance(value, list):
        return [plain(item) for item in value]
    if not isinstance(value, Mapping):
        return value
    out: dict[str, Any] = {}
    for key, item in value.items():
        if key == "@context":
            continue
        name = _term(key)
        if name in ("dataAddress", "dataDestination") and isinstance(item, Mapping):
            out[name] = {_term(k): v for k, v in item.items() if k != "@context"}
        elif name in _OPAQUE_KEYS:
            out[name] = item
        else:
            out[name] = plain(item)
    return out


def _odrl_term(value: Any) -> Any:
    if isinstance(value, Mapping) and set(value) == {"@id"}:
        value = value["@id"]
    if isinstance(value, str):
        if value.startswith(_ODRL):
            return value[len(_ODRL) :]
        if value.startswith("odrl:"):
            return value[5:]
    return value


def plain_policy(policy: Any) -> Any:
    """An ODRL policy as EDC clients write it, in the SDK's compact form (``odrl:`` and IRIs stripped)."""
    if isinstance(policy, list):
        return [plain_policy(item) for item in policy]
    if not isinstance(policy, Mapping):
        return policy
    out: dict[str, Any] = {}
    for key, item in policy.items():
        if key == "@context":
            continue
        name = _odrl_term(key) if not key.startswith("@") else key
        if name in ("operator", "action"):
            out[name] = _odrl_term(item)
        elif name == "leftOperand" and isinstance(item, str) and item.startswith(_ODRL):
            out[name] = "odrl:" + item[len(_ODRL) :]
        else:
            out[name] = plain_policy(item)
    return out


def read_body(request: Request, *, optional: bool = False) -> dict[str, Any]:
    """The JSON object of a request body, :func:`plain`-ed.

    Raises:
        EdcApiError: 400 when the body is not a JSON object (or missing and not optional).
    """
    data = request.get_data()
    if not data.strip():
        if optional:
            return {}
        raise EdcApiError.invalid("the request body is missing; expected a JSON object")
    try:
        doc = json.loads(data)
    except ValueError as exc:
        raise EdcApiError.invalid(f"the request body is not valid JSON: {exc}") from exc
    if not isinstance(doc, Mapping):
        raise EdcApiError.invalid(f"expected a JSON object, got {type(doc).__name__}")
    result = plain(doc)
    assert isinstance(result, dict)
    return result


def read_model(model: type[M], body: Mapping[str, Any]) -> M:
    """Validate a :func:`plain` body into a management model.

    Raises:
        EdcApiError: 400 ``ValidationFailure`` naming each missing or invalid field.
    """
    data = dict(body)
    data.pop("@type", None)
    if isinstance(data.get("policy"), Mapping):
        data["policy"] = plain_policy(data["policy"])
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False)
        first = errors[0]
        path = ".".join(str(part) for part in first["loc"])
        message = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '<root>'}: {e['msg']}" for e in errors[:5]
        )
        raise EdcApiError(
            400, f"invalid {model.MESSAGE_TYPE or model.__name__}: {message}", "ValidationFailure", path
        ) from exc


def protocol_of(value: str) -> str:
    """The connector protocol id for an EDC ``protocol`` value.

    Raises:
        EdcApiError: 400 for a protocol the sandbox does not speak.
    """
    found = _PROTOCOLS.get(value)
    if found is None:
        raise EdcApiError(
            400,
            f"unsupported protocol {value!r}; the sandbox speaks {DSP_2025_1!r} and {DSP_2024_1!r} "
            "(plain 'dataspace-protocol-http' is DSP 0.8)",
            "ValidationFailure",
            "protocol",
        )
    return found


def encode(model: WireModel, dialect: str) -> dict[str, Any]:
    """A management response body in ``dialect`` (``edc-v3`` or ``edc-v4``)."""
    return wire.encode(model, dialect=dialect)


def state_body(kind: str, state: str, dialect: str) -> dict[str, Any]:
    """EDC's ``{"@type": "NegotiationState"|"TransferState", "state": ...}`` answer."""
    context: Any = (
        {"@vocab": EDC} if dialect == "edc-v3" else ["https://w3id.org/edc/connector/management/v2"]
    )
    return {"@context": context, "@type": kind, "state": state}


@dataclass(frozen=True)
class Query:
    """A QuerySpec: paging, sorting and ``operandLeft operator operandRight`` filters over plain dicts."""

    offset: int = 0
    limit: int = 50
    sort_field: str | None = None
    descending: bool = False
    criteria: tuple[tuple[str, str, Any], ...] = ()

    @classmethod
    def parse(cls, body: Mapping[str, Any]) -> Query:
        """Read a QuerySpec (a plain body; empty means the defaults).

        Raises:
            EdcApiError: 400 for a negative offset, a limit below 1 or a malformed criterion.
        """
        try:
            offset = int(body.get("offset", 0))
            limit = int(body.get("limit", 50))
        except (TypeError, ValueError) as exc:
            raise EdcApiError(
                400, "offset and limit must be integers", "ValidationFailure", "offset"
            ) from exc
        if offset < 0:
            raise EdcApiError(400, "offset must be 0 or more", "ValidationFailure", "offset")
        if limit < 1:
            raise EdcApiError(400, "limit must be at least 1", "ValidationFailure", "limit")
        order = str(body.get("sortOrder") or "ASC").upper()
        if order not in ("ASC", "DESC"):
            raise EdcApiError(400, "sortOrder must be ASC or DESC", "ValidationFailure", "sortOrder")
        criteria = []
        raw = body.get("filterExpression") or []
        for item in raw if isinstance(raw, list) else [raw]:
            if not isinstance(item, Mapping) or "operandLeft" not in item:
                raise EdcApiError(
                    400,
                    "each filterExpression needs operandLeft, operator and operandRight",
                    "ValidationFailure",
                    "filterExpression",
                )
            criteria.append(
                (_term(str(item["operandLeft"])), str(item.get("operator", "=")), item.get("operandRight"))
            )
        sort_field = body.get("sortField")
        return cls(offset, limit, str(sort_field) if sort_field else None, order == "DESC", tuple(criteria))

    def matches(self, record: Mapping[str, Any]) -> bool:
        """Whether a record (plain dict, dotted paths allowed on the left) passes every criterion.

        Raises:
            EdcApiError: 400 for an operator other than ``=``, ``!=``, ``in``, ``like``.
        """
        return all(_holds(_lookup(record, left), op, right) for left, op, right in self.criteria)

    def apply(self, records: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        """Filter, sort and page records."""
        selected = [record for record in records if self.matches(record)]
        if self.sort_field is not None:
            field = self.sort_field
            selected.sort(key=lambda r: str(_lookup(r, field) or ""), reverse=self.descending)
        return selected[self.offset : self.offset + self.limit]


def _lookup(record: Mapping[str, Any], path: str) -> Any:
    value: Any = record
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        found = value.get(part, value.get(EDC + part))
        if found is None and part == "id":
            found = value.get("@id")
        value = found
    return value


def _holds(value: Any, operator: str, right: Any) -> bool:
    op = operator.strip().lower()
    if op == "=":
        return value == right or (value is not None and str(value) == str(right))
    if op == "!=":
        return not _holds(value, "=", right)
    if op == "in":
        options = right if isinstance(right, list) else [right]
        return any(_holds(value, "=", option) for option in options)
    if op in ("like", "ilike"):
        import fnmatch

        pattern = str(right).replace("%", "*")
        text = "" if value is None else str(value)
        return fnmatch.fnmatchcase(
            text.lower() if op == "ilike" else text, pattern.lower() if op == "ilike" else pattern
        )
    raise EdcApiError(400, f"unsupported operator {operator!r}; use =, !=, in or like", "InvalidRequest")


Handler = Callable[[Request, Mapping[str, str], str], Response]
"""A facade route handler: ``(request, path parameters, dialect) -> response``."""
