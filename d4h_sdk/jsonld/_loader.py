"""The offline document loader: explicit documents, bundled contexts, a cache folder, an allow-list."""

from __future__ import annotations

import copy
import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from d4h_sdk.errors import JsonLdError
from d4h_sdk.jsonld._registry import bundled_document

__all__ = ["FETCH_MAX_BYTES", "FETCH_TIMEOUT", "DocumentLoader", "cache_file_name"]

FETCH_TIMEOUT = 10.0
"""Seconds allowed for downloading one allow-listed context (connect and read)."""

FETCH_MAX_BYTES = 2 * 1024 * 1024
"""Largest context document accepted from the network (2 MiB)."""

_ACCEPT = "application/ld+json, application/json;q=0.9"


def cache_file_name(url: str) -> str:
    """Return the file name under which ``url`` is stored in a loader's ``cache_dir``.

    The name is the lowercase hex SHA-256 of the UTF-8 URL followed by ``.jsonld``; the file holds the JSON
    document exactly as served. Pre-seed a cache folder by writing files under these names.

    Args:
        url: The context URL, exactly as it appears in documents.

    Returns:
        The file name (without folder).
    """
    return hashlib.sha256(url.encode("utf-8")).hexdigest() + ".jsonld"


class DocumentLoader:
    """Resolves JSON-LD context URLs without surprising network access.

    Resolution order for a URL: ``documents`` given here > contexts bundled with the SDK (see
    :data:`d4h_sdk.jsonld.BUNDLED_CONTEXTS`, also under their ``http``/``https`` and trailing-slash
    variants) > a file in ``cache_dir`` named by :func:`cache_file_name` > a download, only if the URL
    is in ``allow`` (HTTPS only, unless the allow entry is that exact ``http://`` URL; redirects only to
    HTTPS; 10 s timeout, 2 MiB cap), stored in
    ``cache_dir`` when one is given. Any other URL raises :class:`d4h_sdk.JsonLdError` without a network call.

    An instance is callable with pyld's document-loader signature, so it can be passed per call as
    ``options={"documentLoader": loader}``. It is never installed globally.

    Args:
        allow: Exact context URLs that may be downloaded.
        cache_dir: A folder holding cached context documents (read first, written after downloads).
        documents: Extra documents served as given, keyed by URL; they take precedence over everything.
    """

    def __init__(
        self,
        *,
        allow: Iterable[str] = (),
        cache_dir: str | os.PathLike[str] | None = None,
        documents: Mapping[str, Mapping[str, Any]] = MappingProxyType({}),
    ) -> None:
        self._allow = frozenset(allow)
        self._cache_dir = Path(cache_dir) if cache_dir is not None else None
        self._documents: Mapping[str, Any] = MappingProxyType(
            {k: copy.deepcopy(dict(v)) for k, v in documents.items()}
        )
        # Processed active contexts of the fast expander (d4h_sdk.jsonld._fast), keyed by @context value.
        self._context_cache: dict[Any, Any] = {}

    def __repr__(self) -> str:
        return f"DocumentLoader(allow={sorted(self._allow)!r}, cache_dir={self._cache_dir!r})"

    def load(self, url: str) -> dict[str, Any]:
        """Return a fresh copy of the JSON document for ``url``.

        Args:
            url: The context (or document) URL.

        Returns:
            The parsed JSON document.

        Raises:
            JsonLdError: The URL is unknown and not allowed, the download failed, or the body is not JSON.
        """
        if url in self._documents:
            doc: dict[str, Any] = copy.deepcopy(self._documents[url])
            return doc
        bundled = bundled_document(url)
        if bundled is not None:
            return bundled
        cached = self._read_cache(url)
        if cached is not None:
            return cached
        if not self._allowed(url):
            raise JsonLdError(
                f"JSON-LD context {url} is not bundled and not allowed; pass allow=[...] or cache_dir=..."
            )
        body = self._download(url)
        doc = _parse(url, body)
        if self._cache_dir is not None:
            self._write_cache(url, body)
        return doc

    def __call__(self, url: str, options: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Resolve ``url`` for pyld (its ``documentLoader`` signature).

        Args:
            url: The URL pyld asks for.
            options: pyld's options (unused).

        Returns:
            pyld's remote-document mapping: ``contextUrl``, ``documentUrl``, ``document``.
        """
        return {"contextUrl": None, "documentUrl": url, "document": self.load(url)}

    def _allowed(self, url: str) -> bool:
        if url not in self._allow:
            return False
        # https always; plain http only because this exact http:// URL was listed (checked above).
        return url.startswith(("https://", "http://"))

    def _read_cache(self, url: str) -> dict[str, Any] | None:
        if self._cache_dir is None:
            return None
        path = self._cache_dir / cache_file_name(url)
        try:
            body = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise JsonLdError(f"cannot read cached JSON-LD context {url} from {path}: {exc}") from exc
        return _parse(url, body)

    def _write_cache(self, url: str, body: bytes) -> None:
        assert self._cache_dir is not None
        path = self._cache_dir / cache_file_name(url)
        tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
        try:
            self._cache_dir.mkdir(parents=True, exist_ok=True)
            tmp.write_bytes(body)
            os.replace(tmp, path)
        except OSError as exc:
            raise JsonLdError(
                f"cannot write JSON-LD context {url} to cache folder {self._cache_dir}: {exc}"
            ) from exc

    def _download(self, url: str) -> bytes:
        from d4h_sdk._http import HttpClient  # noqa: PLC0415 - only allow-listed downloads need HTTP
        from d4h_sdk.errors import APIError, APIStatusError, ResponseTooLargeError  # noqa: PLC0415

        try:
            with HttpClient(timeout=FETCH_TIMEOUT, max_response_bytes=FETCH_MAX_BYTES) as client:
                response = client.get(url, headers={"Accept": _ACCEPT})
        except ResponseTooLargeError as exc:
            raise JsonLdError(f"JSON-LD context {url} is larger than {FETCH_MAX_BYTES} bytes") from exc
        except APIStatusError as exc:
            raise JsonLdError(f"downloading JSON-LD context {url} failed: HTTP {exc.status_code}") from exc
        except APIError as exc:
            raise JsonLdError(f"downloading JSON-LD context {url} failed: {type(exc).__name__}") from exc
        if not (response.url.startswith("https://") or response.url == url):
            raise JsonLdError(f"downloading JSON-LD context {url} was redirected to a non-https URL")
        if response.status_code != 200:
            raise JsonLdError(f"downloading JSON-LD context {url} failed: HTTP {response.status_code}")
        return response.content


def _parse(url: str, body: bytes) -> dict[str, Any]:
    try:
        doc = json.loads(body)
    except ValueError as exc:
        raise JsonLdError(f"JSON-LD context {url} is not valid JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise JsonLdError(f"JSON-LD context {url} is not a JSON object")
    return doc
