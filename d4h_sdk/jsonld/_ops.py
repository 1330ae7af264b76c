"""expand / compact / fast_expand: pyld behind the offline loader, with errors mapped to JsonLdError."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Mapping
from typing import Any

from d4h_sdk.errors import JsonLdError
from d4h_sdk.jsonld._fast import Unsupported, fast_expand_or_raise
from d4h_sdk.jsonld._loader import DocumentLoader
from d4h_sdk.jsonld._simple import simple_expand

__all__ = ["can_fast_expand", "compact", "default_loader", "expand", "fast_expand", "run_pyld"]

# pyld 3.3 keeps processed contexts in a module-wide cache that is not keyed by document loader, and it
# returns wrong results from it: after expanding a DSP 2025-1 Dataset, a ContractRequestMessage expanded in
# the same process loses its `offer` and `callbackAddress` (both type-scoped contexts @import the ODRL
# profile).
# Every pyld call therefore starts from an empty cache, and calls are serialised so no other thread refills
# it in between. The lock only orders calls; it holds no data.
_PYLD_LOCK = threading.Lock()


@functools.lru_cache(maxsize=1)
def default_loader() -> DocumentLoader:
    """Return the loader used when none is given: bundled contexts only, never the network.

    It is created once per process; its only state is a cache of processed bundled contexts, which does not
    change what any call returns.
    """
    return DocumentLoader()


def run_pyld(operation: str, call: Callable[[Any], Any]) -> Any:
    """Import pyld, run ``call(jsonld_module)`` and turn any pyld failure into :class:`JsonLdError`.

    Args:
        operation: What is being done, for the error message (``"expansion"``, ``"compaction"``, ...).
        call: Receives the ``pyld.jsonld`` module.

    Returns:
        Whatever ``call`` returns.

    Raises:
        JsonLdError: pyld failed; a refused or failed context keeps its own message.
    """
    from pyld import jsonld  # noqa: PLC0415 - pyld is imported on first use only

    try:
        with _PYLD_LOCK:
            jsonld._resolved_context_cache.clear()
            return call(jsonld)
    except JsonLdError:
        raise
    except jsonld.JsonLdError as exc:
        cause = _refusal(exc)
        if cause is not None:
            raise JsonLdError(str(cause)) from exc
        raise JsonLdError(f"JSON-LD {operation} failed: {_describe(exc)}") from exc
    except (TypeError, ValueError, KeyError, AttributeError, RecursionError) as exc:
        raise JsonLdError(f"JSON-LD {operation} failed: {type(exc).__name__}: {exc}") from exc


def _refusal(exc: BaseException) -> JsonLdError | None:
    """Return our own loader error buried in pyld's exception chain, if any."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, JsonLdError):
            return current
        current = current.__cause__ or getattr(current, "cause", None) or current.__context__
    return None


def _describe(exc: Any) -> str:
    code = getattr(exc, "code", None)
    message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return f"{message} ({code})" if code else message


def _options(loader: DocumentLoader | None) -> dict[str, Any]:
    return {"documentLoader": loader if loader is not None else default_loader()}


def expand(doc: Any, *, loader: DocumentLoader | None = None) -> list[dict[str, Any]]:
    """Expand a JSON-LD document with pyld and the offline loader.

    Args:
        doc: The JSON-LD document (parsed JSON).
        loader: Resolves context URLs; by default only the bundled contexts are available.

    Returns:
        The expanded document (a list of node objects).

    Raises:
        JsonLdError: A context is not available or the document is not valid JSON-LD.
    """
    options = _options(loader)
    result: list[dict[str, Any]] = run_pyld("expansion", lambda jsonld: jsonld.expand(doc, options))
    return result


def compact(doc: Any, context: Any, *, loader: DocumentLoader | None = None) -> dict[str, Any]:
    """Compact a JSON-LD document against ``context`` with pyld and the offline loader.

    Args:
        doc: The JSON-LD document, compacted or expanded.
        context: The context to compact to: a URL, an object, a list, or a ``{"@context": ...}`` document.
        loader: Resolves context URLs; by default only the bundled contexts are available.

    Returns:
        The compacted document.

    Raises:
        JsonLdError: A context is not available or the document is not valid JSON-LD.
    """
    options = _options(loader)
    ctx = context if isinstance(context, Mapping) and "@context" in context else {"@context": context}
    result: dict[str, Any] = run_pyld("compaction", lambda jsonld: jsonld.compact(doc, dict(ctx), options))
    return result


def can_fast_expand(doc: Any, *, loader: DocumentLoader | None = None) -> bool:
    """Return whether :func:`fast_expand` handles ``doc`` itself, without falling back to pyld.

    Args:
        doc: The JSON-LD document.
        loader: The loader that would be used.

    Returns:
        ``True`` if the fast expander supports every feature the document uses.

    Raises:
        JsonLdError: A context the document needs is not available.
    """
    try:
        fast_expand_or_raise(doc, loader if loader is not None else default_loader())
    except Unsupported:
        return False
    return True


def fast_expand(doc: Any, *, loader: DocumentLoader | None = None) -> list[dict[str, Any]]:
    """Expand a JSON-LD document quickly; same result as :func:`expand`.

    Documents in the compactions DSP, EDC and DCP use are expanded by the SDK's own expander, with each
    distinct ``@context`` processed once per loader. A document that uses any other JSON-LD feature is
    expanded by pyld instead (see :func:`can_fast_expand`).

    Args:
        doc: The JSON-LD document (parsed JSON).
        loader: Resolves context URLs and holds the processed-context cache; by default the bundled contexts.

    Returns:
        The expanded document (a list of node objects).

    Raises:
        JsonLdError: A context is not available or the document is not valid JSON-LD.
    """
    simple = simple_expand(doc)
    if simple is not None:
        return simple
    active_loader = loader if loader is not None else default_loader()
    try:
        return fast_expand_or_raise(doc, active_loader)
    except Unsupported:
        return expand(doc, loader=active_loader)
