"""Fast JSON-LD expansion for the compactions DSP, EDC and DCP messages use, with a pyld fallback.

The expander follows the JSON-LD 1.1 expansion algorithm for a subset: ``@context`` as URL, object or list;
terms, compact IRIs, ``@vocab``; type coercion (``@id``, ``@vocab``, ``@json``, datatypes); ``@set`` and
``@list`` containers; default and term languages; protected terms; property- and type-scoped contexts with
``@import`` and ``@propagate``; value objects; and relative IRIs resolved as pyld resolves them. Any other
feature raises :class:`Unsupported` and the whole document is expanded by pyld instead.
"""

from __future__ import annotations

from typing import Any

from d4h_sdk.jsonld._context import (
    KEYWORDS,
    ActiveContext,
    ContextProcessor,
    TermDef,
    Unsupported,
    is_absolute,
)
from d4h_sdk.jsonld._loader import DocumentLoader

__all__ = ["Unsupported", "fast_expand_or_raise"]

_CACHE_LIMIT = 256
_MAX_DEPTH = 64
_SCALARS = (str, int, float, bool)
_VALUE_KEYS = frozenset({"@value", "@type", "@language"})


def _root_context(loader: DocumentLoader) -> ActiveContext:
    """Return the loader's empty root context; its memo caches every top-level context processed."""
    cache: dict[Any, ActiveContext] = loader._context_cache
    root = cache.get("root")
    if root is None or len(root.derived) >= _CACHE_LIMIT:
        root = cache["root"] = ActiveContext()
    return root


def fast_expand_or_raise(doc: Any, loader: DocumentLoader) -> list[dict[str, Any]]:
    """Expand ``doc`` with the fast expander, or raise :class:`Unsupported`.

    Args:
        doc: The JSON-LD document (a JSON object or array).
        loader: The document loader for remote contexts; it also holds the processed-context cache.

    Returns:
        The expanded document, equal to pyld's ``expand`` output.

    Raises:
        Unsupported: The document uses a feature outside the fast subset.
        JsonLdError: A context could not be loaded.
    """
    expander = _Expander(ContextProcessor(loader))
    result = expander.element(_root_context(loader), None, doc, 0)
    if isinstance(result, dict) and set(result) == {"@graph"}:
        raise Unsupported("top-level @graph")
    if result is None:
        return []
    return result if isinstance(result, list) else [result]


class _Expander:
    def __init__(self, processor: ContextProcessor) -> None:
        self._processor = processor

    def element(self, active: ActiveContext, prop: str | None, element: Any, depth: int) -> Any:
        if depth > _MAX_DEPTH:
            raise Unsupported("nesting too deep")
        if element is None:
            return None
        term = active.terms.get(prop) if prop is not None else None
        scoped = term if term is not None and term.context is not None else None
        if isinstance(element, _SCALARS):
            if prop is None:
                return None
            if scoped is not None:
                active = self._processor.process_scoped(active, scoped, type_scoped=False)
            return self.value(active, prop, element)
        if isinstance(element, list):
            out: list[Any] = []
            is_list = term is not None and "@list" in term.container
            for item in element:
                expanded = self.element(active, prop, item, depth + 1)
                if expanded is None:
                    continue
                if isinstance(expanded, list):
                    if is_list:
                        raise Unsupported("list of lists")
                    out.extend(expanded)
                else:
                    out.append(expanded)
            return out
        if not isinstance(element, dict):
            raise Unsupported("non-JSON value")
        return self.node(active, prop, scoped, element, depth)

    def node(
        self,
        active: ActiveContext,
        prop: str | None,
        scoped: TermDef | None,
        element: dict[str, Any],
        depth: int,
    ) -> Any:
        if active.previous is not None and not self._keeps_context(active, element):
            active = active.previous
        if scoped is not None:
            active = self._processor.process_scoped(active, scoped, type_scoped=False)
        if "@context" in element:
            active = self._processor.process(active, element["@context"])
        type_scoped = active
        for key in sorted(element):
            if type_scoped.expand(key, vocab=True, relative=False) != "@type":
                continue
            values = element[key]
            types = sorted(values) if isinstance(values, list) else [values]
            for value in types:
                if not isinstance(value, str):
                    raise Unsupported("non-string @type")
                definition = type_scoped.terms.get(value)
                if definition is not None and definition.context is not None:
                    active = self._processor.process_scoped(active, definition, type_scoped=True)
        result: dict[str, Any] = {}
        for key in sorted(element):
            if key == "@context":
                continue
            expanded_key = active.expand(key, vocab=True, relative=False)
            if expanded_key is None or not (expanded_key in KEYWORDS or is_absolute(expanded_key)):
                continue
            value = element[key]
            if expanded_key in KEYWORDS:
                self.keyword(active, type_scoped, prop, expanded_key, value, result, depth)
                continue
            definition = active.terms.get(key)
            if definition is not None and definition.type == "@json":
                expanded: Any = {"@value": value, "@type": "@json"}
            else:
                if (
                    isinstance(value, dict)
                    and definition is not None
                    and definition.container - {"@set", "@list"}
                ):
                    raise Unsupported("map container")
                expanded = self.element(active, key, value, depth + 1)
                if expanded is None:
                    continue
            if definition is not None and "@list" in definition.container:
                if not (isinstance(expanded, dict) and "@list" in expanded):
                    expanded = {"@list": expanded if isinstance(expanded, list) else [expanded]}
            target = result.setdefault(expanded_key, [])
            if isinstance(expanded, list):
                target.extend(expanded)
            else:
                target.append(expanded)
        return self._finish(result, prop)

    def _keeps_context(self, active: ActiveContext, element: dict[str, Any]) -> bool:
        expanded = [active.expand(key, vocab=True, relative=False) for key in element]
        return "@value" in expanded or expanded == ["@id"]

    def keyword(
        self,
        active: ActiveContext,
        type_scoped: ActiveContext,
        prop: str | None,
        keyword: str,
        value: Any,
        result: dict[str, Any],
        depth: int,
    ) -> None:
        if keyword in result and keyword != "@type":
            raise Unsupported("colliding keywords")
        if keyword == "@id":
            if not isinstance(value, str):
                raise Unsupported("non-string @id")
            result["@id"] = active.expand(value, vocab=False, relative=True)
        elif keyword == "@type":
            values = value if isinstance(value, list) else [value]
            if not all(isinstance(v, str) for v in values):
                raise Unsupported("non-string @type")
            expanded = [type_scoped.expand(v, vocab=True, relative=True) for v in values]
            if "@type" in result:
                raise Unsupported("several keys expanding to @type")
            result["@type"] = expanded
        elif keyword == "@value":
            if value is not None and not isinstance(value, _SCALARS):
                raise Unsupported("non-scalar @value")
            result["@value"] = value
        elif keyword == "@language":
            if not isinstance(value, str):
                raise Unsupported("non-string @language")
            result["@language"] = value.lower()
        elif keyword in ("@list", "@set"):
            if prop is None:
                raise Unsupported("free-floating list")
            inner = self.element(active, prop, value, depth + 1)
            result[keyword] = inner if isinstance(inner, list) else ([] if inner is None else [inner])
        else:
            raise Unsupported(f"keyword {keyword}")

    def _finish(self, result: dict[str, Any], prop: str | None) -> Any:
        if "@value" in result:
            if not set(result) <= _VALUE_KEYS:
                raise Unsupported("value object with extra keys")
            types = result.get("@type")
            if types is not None:
                if "@language" in result or len(types) != 1 or not isinstance(types[0], str):
                    raise Unsupported("typed value object")
                result["@type"] = types[0]
            if "@language" in result and not isinstance(result["@value"], str):
                raise Unsupported("language-tagged non-string")
            if result["@value"] is None:
                return None
            return None if prop is None else result
        if "@list" in result or "@set" in result:
            if len(result) != 1:
                raise Unsupported("list or set object with extra keys")
            if "@set" in result:
                return result["@set"]
            return None if prop is None else result
        if set(result) == {"@language"}:
            return None
        if prop is None and (not result or set(result) == {"@id"}):
            return None
        return result

    def value(self, active: ActiveContext, prop: str, value: Any) -> dict[str, Any]:
        term = active.terms.get(prop)
        type_mapping = term.type if term is not None else None
        if isinstance(value, str):
            if type_mapping == "@id":
                return {"@id": active.expand(value, vocab=False, relative=True)}
            if type_mapping == "@vocab":
                return {"@id": active.expand(value, vocab=True, relative=True)}
        elif type_mapping in ("@id", "@vocab") and isinstance(value, float):
            raise Unsupported("coerced float")
        result: dict[str, Any] = {"@value": value}
        if type_mapping is not None and type_mapping not in ("@id", "@vocab", "@none"):
            result["@type"] = type_mapping
        elif isinstance(value, str):
            language = term.language if term is not None and term.has_language else active.language
            if language is not None:
                result["@language"] = language
        return result
