"""Base classes shared by every model: immutable, aliased to the wire, JSON-LD remainder kept."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any, ClassVar, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

__all__ = [
    "LangString",
    "Many",
    "Node",
    "PidPair",
    "WireModel",
    "canonical_dict",
    "text_of",
    "validate_model",
]

T = TypeVar("T")


def _as_list(value: object) -> object:
    """Accept a single JSON-LD value where a set is expected (compaction drops one-element arrays)."""
    if value is None:
        return ()
    if isinstance(value, (list, tuple)):
        return value
    return (value,)


Many = Annotated[tuple[T, ...], BeforeValidator(_as_list)]
"""A JSON-LD set: an array on the wire, a single value accepted, a tuple in the model."""


class WireModel(BaseModel):
    """Base of every ``d4h_sdk`` model.

    Models are immutable and version-neutral: field names are snake_case, aliases are the Dataspace Protocol
    2025-1 compact terms (``consumer_pid`` <-> ``consumerPid``, ``id`` <-> ``@id``). Properties the model does
    not name are kept as extra fields under their compact key (the JSON-LD remainder), so nothing is lost on a
    round trip.
    """

    model_config = ConfigDict(
        frozen=True,
        extra="allow",
        populate_by_name=True,
        serialize_by_alias=True,
        defer_build=True,
        protected_namespaces=(),
    )

    MESSAGE_TYPE: ClassVar[str] = ""
    """The 2025-1 ``@type`` term of this model ('' for models without a type of their own)."""

    WRITE_TYPE: ClassVar[bool] = True
    """Whether encoders always write ``@type`` for this model (the version list, a plain-JSON document, does
    not; for a :class:`Node` with ``WRITE_TYPE`` off, ``@type`` is written only when it was given)."""

    def _canonical_overrides(self) -> dict[str, Any]:
        """Values that replace fields in the canonical form (a hook for models with derived wire values)."""
        return {}

    @property
    def remainder(self) -> dict[str, Any]:
        """The JSON-LD properties this model does not map to a field, under their compact keys."""
        return dict(self.__pydantic_extra__ or {})


class Node(WireModel):
    """A JSON-LD node: a model with an optional ``@id`` and ``@type``.

    ``type`` holds the 2025-1 type term (``"Dataset"``, ``"Offer"``); encoders write the dialect's own form.
    """

    id: str | None = Field(default=None, alias="@id")
    type: str | None = Field(default=None, alias="@type")


class PidPair(WireModel):
    """A message of a running negotiation or transfer: it names the process by both parties' ids."""

    provider_pid: str = Field(alias="providerPid")
    consumer_pid: str = Field(alias="consumerPid")


class LangString(WireModel):
    """A language-tagged (or plain) string: ``{"@value": ..., "@language": ...}`` on the wire."""

    value: str = Field(alias="@value")
    language: str | None = Field(default=None, alias="@language")

    @model_validator(mode="before")
    @classmethod
    def _plain_string(cls, data: Any) -> Any:
        """Accept a plain JSON string as an untagged value."""
        if isinstance(data, str):
            return {"@value": data}
        return data

    def __str__(self) -> str:
        return self.value


def text_of(values: tuple[LangString, ...], language: str | None = None) -> str | None:
    """Pick the text in ``language`` (or the untagged / first one) from a multilingual value.

    Args:
        values: The language-tagged strings, as a model field holds them.
        language: A BCP 47 tag such as ``"en"``; ``None`` prefers an untagged value, then the first.

    Returns:
        The chosen string, or ``None`` when there is none.
    """
    if not values:
        return None
    if language is not None:
        for item in values:
            if item.language and item.language.lower() == language.lower():
                return item.value
    for item in values:
        if item.language is None:
            return item.value
    return values[0].value


def canonical_dict(model: WireModel, *, with_type: bool = True) -> dict[str, Any]:
    """Write ``model`` in the canonical (DSP 2025-1 compact) form, without ``@context``.

    ``None`` values and empty sets are left out (an empty JSON-LD set says nothing); nested nodes get their
    ``@type`` from the model class when the instance has none.

    Args:
        model: Any SDK model.
        with_type: Add the class's ``@type`` term when the model has no explicit type.
    """
    out: dict[str, Any] = {}
    is_node = isinstance(model, Node)
    if with_type and model.WRITE_TYPE and model.MESSAGE_TYPE and not is_node:
        out["@type"] = model.MESSAGE_TYPE
    overrides = model._canonical_overrides()
    for name, info in type(model).model_fields.items():
        value = overrides.get(name, getattr(model, name))
        if value is None or (isinstance(value, (tuple, list, dict)) and not value):
            continue
        if is_node and name == "type" and not (model.WRITE_TYPE or "type" in model.model_fields_set):
            continue  # an optional @type the source did not give is not invented
        out[info.alias or name] = _canonical_value(value)
    for key, value in (model.__pydantic_extra__ or {}).items():
        out[key] = value
    if "@id" in out or "@type" in out:
        head: dict[str, Any] = {key: out.pop(key) for key in ("@id", "@type") if key in out}
        out = {**head, **out}
    return out


def _canonical_value(value: Any) -> Any:
    if isinstance(value, WireModel):
        return canonical_dict(value)
    if isinstance(value, (tuple, list)):
        return [_canonical_value(item) for item in value]
    if isinstance(value, Enum):
        return value.value
    return value


M = TypeVar("M", bound=WireModel)


def validate_model(model: type[M], data: Any) -> M:
    """Validate ``data`` (a dict, or JSON bytes/str) into ``model``; pydantic errors become DecodeError.

    The error lists field locations and messages, never the input values (they may hold secrets).

    Raises:
        DecodeError: ``data`` does not match ``model``.
    """
    from d4h_sdk.errors import DecodeError

    try:
        if isinstance(data, (bytes, bytearray, str)):
            return model.model_validate_json(data)
        return model.model_validate(data)
    except ValidationError as exc:
        details = [
            {"loc": ".".join(str(part) for part in error["loc"]), "msg": error["msg"], "type": error["type"]}
            for error in exc.errors(include_url=False, include_input=False)
        ]
        summary = "; ".join(f"{item['loc'] or '<root>'}: {item['msg']}" for item in details[:5])
        more = f" (and {len(details) - 5} more)" if len(details) > 5 else ""
        name = model.MESSAGE_TYPE or model.__name__
        raise DecodeError(f"invalid {name}: {summary}{more}", errors=details) from exc
