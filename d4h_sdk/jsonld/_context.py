"""Active contexts for the fast expander: the subset of JSON-LD 1.1 context processing our contexts use.

Anything outside the subset raises :class:`Unsupported`, and the caller falls back to pyld for the whole
document, so results never depend on which path ran. Active contexts are immutable once built and cache the
contexts derived from them (type-scoped, property-scoped, embedded), so a context is processed once per
loader however many nodes use it.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from d4h_sdk.jsonld._loader import DocumentLoader

__all__ = ["ActiveContext", "TermDef", "Unsupported", "expand_iri", "initial_context"]

DEFAULT_BASE = "http://example.org/base/"
"""The document base pyld uses when neither the document nor the options give one."""

_ABSOLUTE = re.compile(r"^([A-Za-z][A-Za-z0-9+-.]*|_):[^\s]*$")
_KEYWORD_LIKE = re.compile(r"^@[a-zA-Z]+$")
_GEN_DELIM_END = re.compile(r".*[:/?#\[\]@]$")
_IRI_LIKE = re.compile(r".*((:[^:])|/)")
KEYWORDS = frozenset(
    "@base @container @context @default @direction @embed @explicit @first @graph @id @import @included "
    "@index @json @language @list @nest @none @omitDefault @prefix @preserve @protected @propagate "
    "@requireAll @reverse @set @type @value @version @vocab".split()
)
_TERM_KEYS = frozenset({"@id", "@type", "@container", "@context", "@language", "@protected", "@prefix"})
_CONTAINERS = frozenset({"@set", "@list"})
_MAX_REMOTE = 10


class Unsupported(Exception):
    """Internal signal: the document needs a JSON-LD feature the fast expander does not implement."""


def is_absolute(value: str) -> bool:
    """Return whether ``value`` is an absolute IRI or blank node id (pyld's test)."""
    return _ABSOLUTE.match(value) is not None


@dataclass(frozen=True, eq=False)
class TermDef:
    """One processed term definition.

    Attributes:
        iri: The IRI or keyword the term maps to; ``None`` for a term explicitly mapped to null.
        type: The type mapping (``@id``, ``@vocab``, ``@json`` or a datatype IRI), if any.
        container: The container mapping.
        has_language: Whether a language mapping is present (it may be ``None``).
        language: The language mapping.
        context: The raw scoped context, if any.
        protected: Whether the term is protected.
        prefix: Whether the term may be used as the prefix of a compact IRI.
    """

    iri: str | None
    type: str | None = None
    container: frozenset[str] = frozenset()
    has_language: bool = False
    language: str | None = None
    context: Any = None
    protected: bool = False
    prefix: bool = False

    def same_as(self, other: TermDef) -> bool:
        """Return whether both definitions are equal apart from their protection flag."""
        return (self.iri, self.type, self.container, self.has_language, self.language, self.prefix) == (
            other.iri,
            other.type,
            other.container,
            other.has_language,
            other.language,
            other.prefix,
        ) and _canon(self.context) == _canon(other.context)


@dataclass(eq=False)
class ActiveContext:
    """An active context; treat as immutable after construction (only its memo tables change).

    Attributes:
        terms: Term definitions by term.
        vocab: The vocabulary mapping.
        language: The default language.
        previous: The context to revert to in nested node objects (set by non-propagated contexts).
        derived: Memo of contexts derived from this one, keyed by (kind, key).
        iris: Memo of IRI expansions against this context.
    """

    terms: dict[str, TermDef] = field(default_factory=dict)
    vocab: str | None = None
    language: str | None = None
    previous: ActiveContext | None = None
    derived: dict[tuple[Any, ...], ActiveContext] = field(default_factory=dict)
    iris: dict[tuple[str, bool, bool], str | None] = field(default_factory=dict)

    def expand(self, value: str, *, vocab: bool, relative: bool) -> str | None:
        """Memoised :func:`expand_iri`; only for finished contexts (the expander's use)."""
        key = (value, vocab, relative)
        try:
            return self.iris[key]
        except KeyError:
            result = self.iris[key] = expand_iri(self, value, vocab=vocab, relative=relative)
            return result

    def copy(self) -> ActiveContext:
        """Return an unfrozen copy without the memo tables."""
        return ActiveContext(dict(self.terms), self.vocab, self.language, self.previous)

    def has_protected(self) -> bool:
        """Return whether any term is protected."""
        return any(t.protected for t in self.terms.values())


def initial_context() -> ActiveContext:
    """Return a new empty active context."""
    return ActiveContext()


def _canon(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


@functools.lru_cache(maxsize=4096)
def resolve_relative(value: str) -> str:
    """Resolve a relative IRI against pyld's default document base, exactly as pyld does."""
    from pyld.iri_resolver import resolve  # noqa: PLC0415 - rare path

    result: str = resolve(value, DEFAULT_BASE)
    return result


def expand_iri(ctx: ActiveContext, value: str, *, vocab: bool, relative: bool) -> str | None:
    """Expand a term, compact IRI, IRI or relative IRI against an active context (JSON-LD 1.1 IRI expansion).

    Args:
        ctx: The active context.
        value: The string to expand.
        vocab: Whether terms and ``@vocab`` apply.
        relative: Whether to resolve relative IRIs against the document base.

    Returns:
        The expanded IRI or keyword, or ``None`` if the value expands to nothing.
    """
    if value in KEYWORDS:
        return value
    if _KEYWORD_LIKE.match(value):
        return None
    if vocab and value in ctx.terms:
        return ctx.terms[value].iri
    colon = value.find(":")
    if colon > 0:
        prefix, suffix = value[:colon], value[colon + 1 :]
        if prefix == "_" or suffix.startswith("//"):
            return value
        term = ctx.terms.get(prefix)
        if term is not None and term.prefix and term.iri is not None:
            return term.iri + suffix
        if is_absolute(value):
            return value
    if vocab and ctx.vocab is not None:
        return ctx.vocab + value
    if relative:
        return resolve_relative(value)
    return value


class ContextProcessor:
    """Processes local contexts into active contexts, loading remote ones through a loader."""

    def __init__(self, loader: DocumentLoader) -> None:
        self._loader = loader

    def process(
        self, active: ActiveContext, local: Any, *, override_protected: bool = False, propagate: bool = True
    ) -> ActiveContext:
        """Return the active context that results from applying ``local`` to ``active`` (memoised).

        Args:
            active: The active context.
            local: The local context: a URL, an object, ``None`` or a list of those.
            override_protected: Whether protected terms may be redefined (property-scoped contexts).
            propagate: Whether the result propagates into nested node objects (false for type-scoped ones).

        Returns:
            The new active context.
        """
        key = ("ctx", local if isinstance(local, str) else _canon(local), override_protected, propagate)
        return self._memo(active, key, local, override_protected, propagate)

    def process_scoped(self, active: ActiveContext, term: TermDef, *, type_scoped: bool) -> ActiveContext:
        """Apply the scoped context of ``term`` (type-scoped: not propagated; property-scoped: overriding).

        Args:
            active: The active context.
            term: A term definition with a scoped context, owned by a live active context.
            type_scoped: Whether the term is used as a type (else as a property).

        Returns:
            The new active context.
        """
        key = ("term", term, type_scoped)  # holds the term: identity keys stay valid
        return self._memo(active, key, term.context, not type_scoped, not type_scoped)

    def _memo(
        self,
        active: ActiveContext,
        key: tuple[Any, ...],
        local: Any,
        override_protected: bool,
        propagate: bool,
    ) -> ActiveContext:
        cached = active.derived.get(key)
        if cached is None:
            cached = self._process(active, local, override_protected, propagate, frozenset())
            active.derived[key] = cached
        return cached

    def _process(
        self,
        active: ActiveContext,
        local: Any,
        override_protected: bool,
        propagate: bool,
        remote: frozenset[str],
    ) -> ActiveContext:
        items = local if isinstance(local, list) else [local]
        if isinstance(local, dict) and "@propagate" in local:
            propagate = local["@propagate"] is True
        result = active.copy()
        if not propagate and result.previous is None:
            result.previous = active
        for item in items:
            if item is None:
                if not override_protected and result.has_protected():
                    raise Unsupported("reset of a context with protected terms")
                result = ActiveContext(previous=result.previous if not propagate else None)
            elif isinstance(item, str):
                if item in remote or len(remote) >= _MAX_REMOTE:
                    raise Unsupported("recursive or deep remote contexts")
                doc = self._loader.load(item)
                result = self._process(result, doc.get("@context", {}), False, True, remote | {item})
            elif isinstance(item, dict):
                result = self._process_object(result, item, override_protected, remote)
            else:
                raise Unsupported("invalid local context")
        return result

    def _process_object(
        self, result: ActiveContext, local: dict[str, Any], override_protected: bool, remote: frozenset[str]
    ) -> ActiveContext:
        if "@import" in local:
            url = local["@import"]
            if not isinstance(url, str) or not is_absolute(url):
                raise Unsupported("@import of a relative or invalid URL")
            imported = self._loader.load(url).get("@context")
            if not isinstance(imported, dict) or "@import" in imported:
                raise Unsupported("invalid @import target")
            local = {**imported, **{k: v for k, v in local.items() if k != "@import"}}
        for key in ("@base", "@direction"):
            if key in local and not remote:
                raise Unsupported(f"{key} in a context")
        if "@version" in local and local["@version"] != 1.1:
            raise Unsupported("@version other than 1.1")
        if "@vocab" in local:
            vocab = local["@vocab"]
            if vocab is None:
                result.vocab = None
            elif isinstance(vocab, str):
                expanded = expand_iri(result, vocab, vocab=True, relative=True)
                if expanded is None or not (is_absolute(expanded) or vocab == ""):
                    raise Unsupported("unusual @vocab")
                result.vocab = expanded
            else:
                raise Unsupported("invalid @vocab")
        if "@language" in local:
            language = local["@language"]
            if language is not None and not isinstance(language, str):
                raise Unsupported("invalid @language")
            result.language = language.lower() if isinstance(language, str) else None
        protected_default = local.get("@protected", False) is True
        defined: dict[str, bool] = {}
        for term in local:
            if term not in KEYWORDS:
                self._define(result, local, term, defined, protected_default, override_protected)
        return result

    def _define(
        self,
        result: ActiveContext,
        local: dict[str, Any],
        term: str,
        defined: dict[str, bool],
        protected_default: bool,
        override_protected: bool,
    ) -> None:
        state = defined.get(term)
        if state is True:
            return
        if state is False:
            raise Unsupported("cyclic term definition")
        defined[term] = False
        value = local[term]
        previous = result.terms.pop(term, None)
        simple = isinstance(value, str)
        if value is None:
            value = {"@id": None}
        elif simple:
            value = {"@id": value}
        elif not isinstance(value, dict) or not set(value) <= _TERM_KEYS:
            raise Unsupported(f"term definition of {term!r}")

        def expand_dep(iri: str, vocab: bool) -> str | None:
            # Define the terms an IRI depends on before expanding it.
            if iri in local and iri not in KEYWORDS and defined.get(iri) is not True:
                self._define(result, local, iri, defined, protected_default, override_protected)
            colon = iri.find(":")
            if colon > 0 and iri[:colon] in local and defined.get(iri[:colon]) is not True:
                self._define(result, local, iri[:colon], defined, protected_default, override_protected)
            return expand_iri(result, iri, vocab=vocab, relative=False)

        has_colon = ":" in term[1:] if term else False
        prefix_flag = False
        if "@id" in value and value["@id"] != term:
            raw_id = value["@id"]
            if raw_id is None:
                iri = None
            elif not isinstance(raw_id, str):
                raise Unsupported("invalid @id")
            else:
                iri = expand_dep(raw_id, True)
                if iri is None or not (iri in KEYWORDS or is_absolute(iri)):
                    raise Unsupported("term mapped to a relative IRI")
                if iri in KEYWORDS and iri not in ("@id", "@type"):
                    raise Unsupported(f"alias of {iri}")
                if _IRI_LIKE.match(term):
                    defined[term] = True
                    try:
                        if expand_dep(term, True) != iri:
                            raise Unsupported("term in the form of an IRI maps elsewhere")
                    finally:
                        defined[term] = False
                prefix_flag = simple and not has_colon and bool(_GEN_DELIM_END.match(iri))
        elif has_colon:
            defined[term] = True  # only its prefix is a dependency
            iri = expand_dep(term, True)
            defined[term] = False
            if iri is None or not is_absolute(iri):
                raise Unsupported("compact IRI term without a defined prefix")
        elif result.vocab is not None:
            iri = result.vocab + term
        else:
            raise Unsupported("term without IRI mapping")
        if "@prefix" in value:
            if not isinstance(value["@prefix"], bool) or has_colon:
                raise Unsupported("invalid @prefix")
            prefix_flag = value["@prefix"]
        type_mapping = None
        if "@type" in value:
            raw_type = value["@type"]
            if not isinstance(raw_type, str):
                raise Unsupported("invalid @type mapping")
            if raw_type in ("@id", "@vocab", "@json"):
                type_mapping = raw_type
            else:
                type_mapping = expand_dep(raw_type, True)
                if type_mapping is None or not is_absolute(type_mapping):
                    raise Unsupported("unusual @type mapping")
        container: frozenset[str] = frozenset()
        if "@container" in value:
            raw = value["@container"]
            container = frozenset(raw if isinstance(raw, list) else [raw])
            if not container <= _CONTAINERS or container == {"@set", "@list"}:
                raise Unsupported(f"@container {raw!r}")
        definition = TermDef(
            iri=iri,
            type=type_mapping,
            container=container,
            has_language="@language" in value,
            language=value["@language"].lower() if isinstance(value.get("@language"), str) else None,
            context=value.get("@context"),
            protected=value.get("@protected", protected_default) is True,
            prefix=prefix_flag,
        )
        if (
            "@language" in value
            and value["@language"] is not None
            and not isinstance(value["@language"], str)
        ):
            raise Unsupported("invalid @language mapping")
        if previous is not None and previous.protected and not override_protected:
            if not definition.same_as(previous):
                raise Unsupported("redefinition of a protected term")
            definition = previous
        result.terms[term] = definition
        defined[term] = True
