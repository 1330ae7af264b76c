"""The streaming :class:`Download` of a pull transfer: resume with Range, verify the digest, write atomically.

One engine (:meth:`Download._chunks`) produces the body chunk by chunk for every sink (file, bytes, iterator,
DataFrame):

* the EDR's authorization is attached as a credential (``Authorization: Bearer <token>`` when ``authType``
  is ``bearer``, else the value as is), so it is redacted from logs and dropped on a cross-origin redirect;
  ``Accept-Encoding: identity`` unless gzip is asked for;
* a connection that breaks mid-body, or a body shorter than its ``Content-Length``, is resumed with
  ``Range: bytes=<received>-`` (and ``If-Range`` with a strong ``ETag``), up to ``max_resumes`` times;
  a 206 must start exactly at the bytes received; a 200 instead means the whole body again: a file or
  buffer starts over (truncated), an iterator skips the bytes it already gave out after checking that
  they hash the same; a 416 is an error;
* every byte is hashed in order (in a worker thread, overlapping with the network), so the final digest
  covers the whole representation; it is compared with the provider's ``Repr-Digest`` (RFC 9530) or
  ``Digest`` (RFC 3230) at the end; ``verify=False`` skips hashing;
* a 401 or 403 calls ``refresh_edr`` once and sends the request again with the new EDR.

With ``accept_gzip=True`` the representation is fetched compressed and decoded on the fly. A digest sent
with a gzip-coded answer covers the coded bytes (RFC 9530), which are never seen here, so the identity
digest, size and ``ETag`` are taken from a ``HEAD`` first (the sandbox data plane sends no digest with gzip
for that reason); a resume asks for identity ranges of that representation.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import tempfile
from collections.abc import Callable, Generator, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from d4h_sdk.errors import (
    APIConnectionError,
    AuthenticationError,
    ChecksumMismatchError,
    ConfigurationError,
    PermissionDeniedError,
    ResponseTooLargeError,
    TransferError,
)
from d4h_sdk.transfer._digest import Digest, Hashers, announced_digest
from d4h_sdk.transfer._files import atomic_file, check_target

if TYPE_CHECKING:
    from d4h_sdk._http import AuthBase, HttpClient, StreamingResponse
    from d4h_sdk.models.edr import EndpointDataReference

__all__ = ["DEFAULT_READ_BYTES_LIMIT", "Download"]

logger = logging.getLogger("d4h_sdk.transfer")

DEFAULT_READ_BYTES_LIMIT = 256 * 1024 * 1024
"""Largest body :meth:`Download.read_bytes` holds in memory when no ``max_bytes`` is given."""

_CONTENT_RANGE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)", re.IGNORECASE)
_SPOOL_BYTES = 32 * 1024 * 1024
_BACKGROUND_HASHING = True


@dataclass
class _State:
    """Where one run of the engine stands."""

    hashers: Hashers = field(default_factory=lambda: Hashers(None))
    received: int = 0  # bytes of the current representation hashed (= the next Range start)
    emitted: int = 0  # bytes handed to the sink
    total: int | None = None
    etag: str | None = None
    prefix: bytes | None = None  # fingerprint of the bytes emitted before a 200 restarted an iterator


def _authorization(edr: EndpointDataReference) -> str | None:
    token = edr.authorization
    if not token:
        return None
    if (edr.auth_type or "").lower() == "bearer" and not token.lower().startswith("bearer "):
        return "Bearer " + token
    return token


def _edr_auth(value: str) -> AuthBase:
    """A credential that sets ``Authorization`` (a ``requests`` AuthBase, built lazily: no import at load)."""
    from d4h_sdk._http import AuthBase

    class _EdrAuthorization(AuthBase):
        def __call__(self, r: Any) -> Any:
            r.headers["Authorization"] = value
            return r

        def __repr__(self) -> str:
            return "<EDR authorization>"

    return _EdrAuthorization()


def _check_endpoint(edr: EndpointDataReference) -> str:
    endpoint = edr.endpoint
    if not endpoint.lower().startswith(("http://", "https://")):
        raise ConfigurationError(
            "the EDR endpoint is not an http:// or https:// URL; cannot download from it"
        )
    return endpoint


def _media_type(headers: Mapping[str, str]) -> str | None:
    value = headers.get("Content-Type", "").partition(";")[0].strip().lower()
    return value or None


def _strong_etag(headers: Mapping[str, str]) -> str | None:
    etag = headers.get("ETag", "").strip()
    return etag if etag.startswith('"') else None  # weak validators are not allowed in If-Range


def _length(headers: Mapping[str, str]) -> int | None:
    value = headers.get("Content-Length", "").strip()
    return int(value) if value.isdigit() else None


def _coded(headers: Mapping[str, str]) -> bool:
    return headers.get("Content-Encoding", "").strip().lower() not in ("", "identity")


class Download:
    """A resumable, verified download of the data an EDR points at; nothing is sent until a method is called.

    Each of :meth:`to_file`, :meth:`read_bytes`, :meth:`iter_bytes` and :meth:`to_pandas` downloads the data
    (again) from the start. Memory stays flat: the body is read ``chunk_size`` bytes at a time and, except
    by :meth:`read_bytes`, never held whole.

    Args:
        edr: The endpoint data reference (endpoint and authorization).
        http: The HTTP client (timeouts, TLS and retries of the opening request come from it).
        max_bytes: Largest body accepted (:class:`~d4h_sdk.errors.ResponseTooLargeError` beyond);
            :meth:`read_bytes` defaults to :data:`DEFAULT_READ_BYTES_LIMIT`, the others to no limit.
        progress: Called as ``progress(bytes_so_far, total_or_None)`` when the body starts and after each
            chunk; ``bytes_so_far`` drops back to 0 when the provider sends the whole body again.
        chunk_size: Bytes per read and largest chunk handed out. When the connection breaks, the read under
            way is lost (the HTTP layer drops a partly filled read), so a resume fetches it again.
        max_resumes: How many times a broken or cut body is resumed with a Range request.
        verify: Hash every byte and compare with the digest the provider announced (when it announces one);
            ``False`` skips hashing altogether (faster when CPU-bound; ``sha256`` stays ``None``).
        refresh_edr: Returns a fresh EDR; called once, on the first 401 or 403.
        accept_gzip: Ask for a gzip-coded answer (decoded on the fly; the digest then comes from a HEAD).

    Attributes:
        size: The length of the representation, once known (from the answer, else after the download).
        media_type: The media type the provider announced, without parameters.
        checksum: The provider's digest in RFC 9530 form (``sha-256=:<base64>:``), or ``None``.
        sha256: The SHA-256 (hex) of the bytes received, after a complete download with ``verify=True``.
        verified: Whether the last download was checked against the provider's digest and matched.

    Raises:
        ConfigurationError: An option is out of range or the endpoint is not http(s).
    """

    def __init__(
        self,
        edr: EndpointDataReference,
        *,
        http: HttpClient,
        max_bytes: int | None = None,
        progress: Callable[[int, int | None], None] | None = None,
        chunk_size: int = 1 << 20,
        max_resumes: int = 3,
        verify: bool = True,
        refresh_edr: Callable[[], EndpointDataReference] | None = None,
        accept_gzip: bool = False,
    ) -> None:
        if max_bytes is not None and max_bytes <= 0:
            raise ConfigurationError(f"max_bytes must be positive, got {max_bytes}")
        if chunk_size <= 0:
            raise ConfigurationError(f"chunk_size must be positive, got {chunk_size}")
        if max_resumes < 0:
            raise ConfigurationError(f"max_resumes must be 0 or more, got {max_resumes}")
        self._endpoint = _check_endpoint(edr)
        self._edr = edr
        self._auth = self._make_auth(edr)
        self._http = http
        self._max_bytes = max_bytes
        self._progress = progress
        self._chunk_size = chunk_size
        self._max_resumes = max_resumes
        self._verify = verify
        self._refresh_edr = refresh_edr
        self._refreshed = False
        self._accept_gzip = accept_gzip
        self._announced: Digest | None = None
        self._active: Generator[bytes, None, None] | None = None
        self.size: int | None = None
        self.media_type: str | None = None
        self.checksum: str | None = None
        self.sha256: str | None = None
        self.verified = False

    # -- sinks --------------------------------------------------------------------------------------------

    def iter_bytes(self) -> Iterator[bytes]:
        """Stream the body; resumes transparently; the digest is checked after the last chunk.

        Yields:
            The body in chunks of at most ``chunk_size`` bytes.

        Raises:
            ChecksumMismatchError: After the last chunk, when the bytes differ from the provider's digest.
            ResponseTooLargeError: The body exceeds ``max_bytes``.
            TransferError: The resource changed during the download, or an unexpected answer.
            APIStatusError: The data plane refused the request (401/403 after a refresh, 404, ...).
            APIConnectionError: The connection broke more than ``max_resumes`` times.
        """
        return self._start(restart=None, cap=self._max_bytes)

    def read_bytes(self) -> bytes:
        """Download the whole body into memory (capped by ``max_bytes``, default 256 MiB).

        Returns:
            The verified body.

        Raises:
            ResponseTooLargeError: The body exceeds the cap.
            ChecksumMismatchError: The bytes differ from the provider's digest.
            TransferError: See :meth:`iter_bytes`.
            APIError: See :meth:`iter_bytes`.
        """
        parts: list[bytes] = []
        cap = self._max_bytes if self._max_bytes is not None else DEFAULT_READ_BYTES_LIMIT
        with contextlib.closing(self._start(restart=parts.clear, cap=cap)) as chunks:
            for chunk in chunks:
                parts.append(chunk)
        return b"".join(parts)

    def to_file(self, path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
        """Download to a temporary file beside ``path``, fsync it, verify it, then rename it to ``path``.

        A failure at any point (network, digest, size cap, an exception from the progress callback,
        Ctrl-C) removes the temporary file: no partial file ever appears under ``path``.

        Args:
            path: The final file name; its directory must exist.
            overwrite: Replace an existing file (atomically); otherwise an existing file is an error.

        Returns:
            The final path.

        Raises:
            ConfigurationError: ``path`` exists (and not ``overwrite``), is a directory, or its directory
                does not exist.
            TransferError: The file cannot be written (the OS error is the cause), or see :meth:`iter_bytes`.
            ChecksumMismatchError: The bytes differ from the provider's digest.
            ResponseTooLargeError: The body exceeds ``max_bytes``.
            APIError: See :meth:`iter_bytes`.
        """
        final = check_target(path, overwrite=overwrite)
        with atomic_file(final, overwrite=overwrite) as part:
            with contextlib.closing(self._start(restart=part.restart, cap=self._max_bytes)) as chunks:
                for chunk in chunks:
                    part.write(chunk)
        return final

    def to_pandas(self, *, media_type: str | None = None, **read_kwargs: Any) -> Any:
        """Download, verify, then load into a ``pandas.DataFrame`` according to the media type.

        CSV (``text/csv``) goes through ``pandas.read_csv``; NDJSON (``application/fhir+ndjson``,
        ``application/x-ndjson``) and JSON through ``pandas.json_normalize`` (nested FHIR elements become
        dotted columns). The body is spooled to a temporary file (memory up to 32 MiB), parsed only after
        the digest matched.

        Args:
            media_type: Overrides the media type the provider announced.
            **read_kwargs: Passed to ``pandas.read_csv`` or ``pandas.json_normalize``.

        Returns:
            The DataFrame.

        Raises:
            ConfigurationError: pandas is not installed (``pip install 'd4h-sdk[pandas]'``), or the media
                type is unknown.
            DecodeError: The content does not parse as its media type.
            ChecksumMismatchError: The bytes differ from the provider's digest.
            TransferError: See :meth:`iter_bytes`.
            APIError: See :meth:`iter_bytes`.
        """
        from d4h_sdk.transfer._readers import frame_from, kind_of

        if media_type is not None:
            kind_of(media_type)
        with tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES) as spool:

            def restart() -> None:
                spool.seek(0)
                spool.truncate()

            with contextlib.closing(self._start(restart=restart, cap=self._max_bytes)) as chunks:
                for chunk in chunks:
                    spool.write(chunk)
            spool.seek(0)
            return frame_from(spool, media_type or self.media_type, **read_kwargs)

    # -- lifecycle ----------------------------------------------------------------------------------------

    def close(self) -> None:
        """Stop a download in progress and release its connection (idempotent)."""
        active, self._active = self._active, None
        if active is not None:
            active.close()

    def __enter__(self) -> Download:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        from d4h_sdk._redact import redact_url

        return (
            f"Download({redact_url(self._endpoint)}, size={self.size}, media_type={self.media_type!r}, "
            f"checksum={self.checksum!r})"
        )

    # -- the engine ---------------------------------------------------------------------------------------

    def _make_auth(self, edr: EndpointDataReference) -> AuthBase | None:
        value = _authorization(edr)
        return _edr_auth(value) if value is not None else None

    def _start(self, *, restart: Callable[[], None] | None, cap: int | None) -> Generator[bytes, None, None]:
        self.close()
        self._active = self._chunks(restart, cap)
        return self._active

    def _chunks(self, restart: Callable[[], None] | None, cap: int | None) -> Generator[bytes, None, None]:
        self.sha256 = None
        self.verified = False
        state = _State()
        try:
            yield from self._run(state, restart, cap)
        finally:
            state.hashers.close()

    def _run(self, state: _State, restart: Callable[[], None] | None, cap: int | None) -> Iterator[bytes]:
        if self._accept_gzip:
            with self._request("HEAD", {"Accept-Encoding": "identity"}) as head:
                self._describe(head.headers)
                state.etag = _strong_etag(head.headers)
        resumes = 0
        while True:
            opened = False
            try:
                with self._open(state) as resp:
                    opened = True
                    self._begin(resp, state, restart, cap)
                    yield from self._body(resp, state, cap)
                cause: APIConnectionError | None = None
                if state.total is None or state.received >= state.total:
                    break
            except APIConnectionError as exc:
                if resumes == 0 and not opened:
                    raise  # the opening request: the HTTP client already retried it
                cause = exc
            if resumes >= self._max_resumes:
                if cause is not None:
                    raise cause
                raise TransferError(
                    f"the data plane sent {state.received} of {state.total} bytes {resumes + 1} times "
                    "in a row; try again later or raise max_resumes"
                )
            resumes += 1
            logger.debug(
                "download interrupted at byte %d of %s (%s); resume %d of %d",
                state.received,
                state.total,
                type(cause).__name__ if cause is not None else "short body",
                resumes,
                self._max_resumes,
            )
        self._finish(state)

    @contextlib.contextmanager
    def _open(self, state: _State) -> Iterator[StreamingResponse]:
        headers = {"Accept-Encoding": "identity"}
        if state.received:
            headers["Range"] = f"bytes={state.received}-"
            if state.etag is not None:
                headers["If-Range"] = state.etag
        elif self._accept_gzip:
            headers["Accept-Encoding"] = "gzip"
        with self._request("GET", headers) as resp:
            yield resp

    @contextlib.contextmanager
    def _request(self, method: str, headers: dict[str, str]) -> Iterator[StreamingResponse]:
        """Open one request; on 401/403 refresh the EDR once and send it again."""
        with contextlib.ExitStack() as stack:
            try:
                resp = stack.enter_context(self._send(method, headers))
            except (AuthenticationError, PermissionDeniedError):
                if self._refresh_edr is None or self._refreshed:
                    raise
                self._refreshed = True
                logger.debug("the data plane refused the EDR; asking for a fresh one")
                fresh = self._refresh_edr()
                self._endpoint = _check_endpoint(fresh)
                self._edr = fresh
                self._auth = self._make_auth(fresh)
                resp = stack.enter_context(self._send(method, headers))
            if resp.status_code == 416:
                raise TransferError(
                    f"the data plane cannot serve {headers.get('Range', 'the range')} "
                    f"({resp.headers.get('Content-Range', 'no Content-Range')}): "
                    "the resource changed; download again"
                )
            yield resp

    def _send(
        self, method: str, headers: dict[str, str]
    ) -> contextlib.AbstractContextManager[StreamingResponse]:
        return self._http.stream(
            method, self._endpoint, headers=headers, auth=self._auth, allow_status=(416,)
        )

    def _describe(self, headers: Mapping[str, str]) -> None:
        """Take size, media type and digest from the headers of an identity representation."""
        self.size = _length(headers)
        self.media_type = _media_type(headers) or self.media_type
        self._announced = announced_digest(headers)
        self.checksum = self._announced.header() if self._announced is not None else None

    def _begin(
        self, resp: StreamingResponse, state: _State, restart: Callable[[], None] | None, cap: int | None
    ) -> None:
        status = resp.status_code
        if status == 206 and state.received:
            self._check_range(resp, state)
            return
        if status == 206 or not 200 <= status < 300:
            raise TransferError(f"unexpected HTTP {status} from the data plane")
        if _coded(resp.headers):
            self.media_type = _media_type(resp.headers) or self.media_type
            if not self._accept_gzip:
                self.size, self._announced, self.checksum = None, None, None
        else:
            self._describe(resp.headers)
            state.etag = _strong_etag(resp.headers)
        if state.received or state.prefix is not None:
            logger.debug("the data plane sent the whole body again (HTTP %d to a Range request)", status)
            if restart is not None:
                restart()
                state.emitted = 0
            elif state.prefix is None:
                state.prefix = state.hashers.fingerprint()
        state.received = 0
        state.hashers.close()
        state.hashers = Hashers(
            self._announced if self._verify else None, background=_BACKGROUND_HASHING, enabled=self._verify
        )
        state.total = self.size
        if cap is not None and state.total is not None and state.total > cap:
            raise self._too_large(cap)
        if self._progress is not None:
            self._progress(state.emitted, state.total)

    def _check_range(self, resp: StreamingResponse, state: _State) -> None:
        match = _CONTENT_RANGE.fullmatch(resp.headers.get("Content-Range", "").strip())
        if match is None or int(match.group(1)) != state.received:
            raise TransferError(
                f"the data plane answered the range from byte {state.received} with "
                f"{resp.headers.get('Content-Range', 'no Content-Range')}; download again"
            )
        if match.group(3) != "*":
            total = int(match.group(3))
            if state.total is not None and total != state.total:
                raise TransferError(
                    f"the resource changed size during the download ({state.total} -> {total} bytes); "
                    "download again"
                )
            state.total = total

    def _body(self, resp: StreamingResponse, state: _State, cap: int | None) -> Iterator[bytes]:
        for chunk in resp.iter_bytes(self._chunk_size):
            if state.received < state.emitted:  # after a restart of an iterator: re-read what was given out
                skip = min(len(chunk), state.emitted - state.received)
                state.hashers.update(chunk[:skip])
                state.received += skip
                chunk = chunk[skip:]
                if state.received == state.emitted:
                    self._check_prefix(state)
                if not chunk:
                    continue
            elif state.prefix is not None:
                self._check_prefix(state)
            state.hashers.update(chunk)
            state.received += len(chunk)
            state.emitted += len(chunk)
            if cap is not None and state.received > cap:
                raise self._too_large(cap)
            if self._progress is not None:
                self._progress(state.emitted, state.total)
            yield chunk

    def _check_prefix(self, state: _State) -> None:
        if state.hashers.fingerprint() != state.prefix:
            raise TransferError(
                "the resource changed during the download (the bytes already read differ); download again"
            )
        state.prefix = None

    def _finish(self, state: _State) -> None:
        if state.received < state.emitted or state.prefix is not None:
            raise TransferError("the resource changed during the download (it got shorter); download again")
        self.sha256 = state.hashers.sha256_hex() if self._verify else None
        if self.size is None:
            self.size = state.received
        actual = state.hashers.actual()
        if self._verify and self._announced is not None and actual is not None:
            if actual.value != self._announced.value:
                raise ChecksumMismatchError(
                    algorithm=self._announced.algorithm, expected=self._announced.b64, actual=actual.b64
                )
            self.verified = True
        elif self._verify:
            logger.debug("the data plane announced no digest; the download is not verified")

    def _too_large(self, cap: int) -> ResponseTooLargeError:
        from d4h_sdk._redact import url_without_query

        return ResponseTooLargeError(
            f"the download exceeds the limit of {cap} bytes; raise max_bytes or use to_file()",
            request_method="GET",
            url=url_without_query(self._endpoint),
        )
