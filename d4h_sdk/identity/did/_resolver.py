"""DID resolution: the :class:`DidResolver` protocol, a hardened did:web resolver, a static one for tests."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable
from urllib.parse import urlsplit

from pydantic import ValidationError

from d4h_sdk.errors import APIError, ConfigurationError
from d4h_sdk.identity.did._document import DidDocument
from d4h_sdk.identity.did._errors import DidResolutionError
from d4h_sdk.identity.did._web import parse_did_web

if TYPE_CHECKING:
    from types import TracebackType

    from d4h_sdk._http import HttpClient

__all__ = ["DidResolver", "StaticDidResolver", "WebDidResolver"]

_ACCEPT = "application/did+json, application/did+ld+json, application/json;q=0.9, */*;q=0.1"
_JSON_TYPES = frozenset({"application/json", "application/did+json", "application/did+ld+json", "text/plain"})


@runtime_checkable
class DidResolver(Protocol):
    """Anything that turns a DID into its DID document."""

    def resolve(self, did: str) -> DidDocument:
        """Resolve ``did``.

        Raises:
            DidResolutionError: The DID cannot be resolved to a valid document whose ``id`` is the DID.
        """
        ...


def _parse_document(did: str, data: object, source: str) -> DidDocument:
    if not isinstance(data, Mapping):
        raise DidResolutionError(f"the DID document of {did} from {source} is not a JSON object")
    try:
        document = DidDocument.model_validate(data)
    except ValidationError as exc:
        detail = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or '<root>'}: {e['msg']}" for e in exc.errors()[:5]
        )
        raise DidResolutionError(f"the DID document of {did} from {source} is invalid: {detail}") from exc
    if document.id != did:
        raise DidResolutionError(
            f"the document served for {did} from {source} describes {document.id!r}; "
            "its id must equal the DID"
        )
    return document


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme.lower(), (parts.hostname or "").lower(), parts.port


class WebDidResolver:
    """Resolves did:web DIDs over HTTPS, with the defences a verifier needs.

    * HTTPS only; ``http`` is used only for hosts in ``insecure_hosts`` (loopback tests);
    * a timeout and a body size cap; a redirect that leaves the origin is refused;
    * the body must be a JSON object (``Content-Type`` JSON, ``application/did+json`` or ``text/plain`` if
      given) and a valid DID document whose ``id`` equals the DID;
    * documents are cached for ``ttl_s`` seconds (thread-safe, at most ``max_entries`` DIDs); failures are
      not cached.

    Args:
        http: The HTTP client to use (proxies, CA bundle); by default the resolver creates and owns one.
        timeout: Connect and read timeout in seconds.
        max_bytes: Largest accepted document, in bytes.
        ttl_s: How long a resolved document is reused, in seconds (0 disables the cache).
        insecure_hosts: ``host`` or ``host:port`` values (as in the DID, e.g. ``localhost:8443``) fetched over
            plain ``http``. Never use this outside tests.
        max_entries: Most DIDs kept in the cache.
        clock: Monotonic clock used for the TTL.

    Raises:
        ConfigurationError: An option is out of range.
    """

    def __init__(
        self,
        *,
        http: HttpClient | None = None,
        timeout: float = 5,
        max_bytes: int = 256 * 1024,
        ttl_s: float = 300,
        insecure_hosts: Iterable[str] = (),
        max_entries: int = 1024,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if timeout <= 0 or max_bytes <= 0 or ttl_s < 0 or max_entries <= 0:
            raise ConfigurationError(
                "timeout, max_bytes and max_entries must be positive and ttl_s not negative"
            )
        self._http = http
        self._owns_http = http is None
        self._timeout = timeout
        self._max_bytes = max_bytes
        self._ttl = ttl_s
        self._insecure = frozenset(host.lower() for host in insecure_hosts)
        self._max_entries = max_entries
        self._clock = clock
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, DidDocument]] = {}

    def resolve(self, did: str) -> DidDocument:
        """Resolve a did:web DID, from the cache when fresh.

        Args:
            did: The DID, e.g. ``did:web:hospital.example``.

        Returns:
            The DID document; its ``id`` equals ``did``.

        Raises:
            DidResolutionError: The DID is not a valid did:web DID, the document cannot be fetched, is too
                large, is not a JSON object or not a valid DID document, or its ``id`` differs.
        """
        now = self._clock()
        with self._lock:
            cached = self._cache.get(did)
            if cached is not None and cached[0] > now:
                return cached[1]
        document = self._fetch(did)
        if self._ttl > 0:
            with self._lock:
                self._store(did, document, self._clock() + self._ttl)
        return document

    def clear_cache(self) -> None:
        """Forget every cached document."""
        with self._lock:
            self._cache.clear()

    def close(self) -> None:
        """Close the HTTP client if the resolver created it (a later :meth:`resolve` opens a new one)."""
        with self._lock:
            if self._owns_http and self._http is not None:
                self._http.close()
                self._http = None

    def __enter__(self) -> WebDidResolver:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"WebDidResolver(timeout={self._timeout:g}, max_bytes={self._max_bytes}, ttl_s={self._ttl:g}, "
            f"insecure_hosts={sorted(self._insecure)})"
        )

    # -- internals -----------------------------------------------------------------------------------------

    def _store(self, did: str, document: DidDocument, expires: float) -> None:
        self._cache.pop(did, None)
        if len(self._cache) >= self._max_entries:
            now = self._clock()
            for key in [k for k, (exp, _) in self._cache.items() if exp <= now]:
                del self._cache[key]
            while len(self._cache) >= self._max_entries:
                del self._cache[next(iter(self._cache))]
        self._cache[did] = (expires, document)

    def _client(self) -> HttpClient:
        with self._lock:
            if self._http is None:
                from d4h_sdk._http import HttpClient

                self._http = HttpClient(timeout=self._timeout, max_response_bytes=self._max_bytes)
            return self._http

    def _fetch(self, did: str) -> DidDocument:
        try:
            parts = parse_did_web(did)
        except ConfigurationError as exc:
            raise DidResolutionError(f"cannot resolve {did[:200]!r}: {exc}") from exc
        url = parts.url("http" if parts.authority in self._insecure else "https")
        try:
            with self._client().stream(
                "GET", url, headers={"Accept": _ACCEPT}, timeout=self._timeout, max_bytes=self._max_bytes
            ) as response:
                if _origin(response.url) != _origin(url):
                    raise DidResolutionError(
                        f"{url} redirected to another origin; did:web documents must not"
                    )
                media_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
                if media_type and media_type not in _JSON_TYPES and not media_type.endswith("+json"):
                    raise DidResolutionError(f"{url} answered with {media_type!r}, not a JSON DID document")
                body = b"".join(response.iter_bytes())
        except APIError as exc:
            raise DidResolutionError(f"cannot fetch the DID document of {did}: {exc}") from exc
        try:
            data: Any = json.loads(body)
        except (ValueError, RecursionError) as exc:
            raise DidResolutionError(f"the DID document of {did} from {url} is not valid JSON") from exc
        return _parse_document(did, data, url)


class StaticDidResolver:
    """Resolves DIDs from documents given up front (tests, pinned peers, offline demos).

    Args:
        documents: DID -> document (a :class:`DidDocument` or its JSON form); each document's ``id`` must
            equal its key.

    Raises:
        ConfigurationError: A document is invalid or filed under another DID.
    """

    def __init__(self, documents: Mapping[str, DidDocument | Mapping[str, Any]]) -> None:
        parsed: dict[str, DidDocument] = {}
        for did, document in documents.items():
            try:
                parsed[did] = (
                    document
                    if isinstance(document, DidDocument)
                    else _parse_document(did, document, "the map")
                )
            except DidResolutionError as exc:
                raise ConfigurationError(str(exc)) from exc
            if parsed[did].id != did:
                raise ConfigurationError(f"the document filed under {did} describes {parsed[did].id!r}")
        self._documents = parsed

    def resolve(self, did: str) -> DidDocument:
        """Return the document given for ``did``.

        Args:
            did: The DID.

        Returns:
            Its document.

        Raises:
            DidResolutionError: No document was given for ``did``.
        """
        document = self._documents.get(did)
        if document is None:
            raise DidResolutionError(f"no DID document is known for {did[:200]!r}")
        return document

    def __repr__(self) -> str:
        return f"StaticDidResolver({sorted(self._documents)})"
