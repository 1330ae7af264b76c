"""The sandbox data plane: serve a transfer's bytes to EDR holders (pull) or send them to the consumer (push).

:class:`DataPlane` is a WSGI application (werkzeug) with one resource, ``GET|HEAD /data/<transfer id>``:

* ``Authorization: Bearer <EDR token>`` (or the bare token, as EDC's data plane takes it), checked by an
  :class:`~d4h_sdk.sandbox._edr.EdrTokenValidator`: 401 (``WWW-Authenticate: Bearer``, with
  ``error="invalid_token"`` when a token was sent) for a missing,
  malformed, badly signed, expired or revoked token; 403 when the token is for another transfer; 404 when
  the resolver knows no data for the transfer.
* 200 with ``Content-Length``, ``Content-Type``, ``ETag`` (strong, from the SHA-256), ``Accept-Ranges``,
  ``Repr-Digest`` (RFC 9530) and ``Digest`` (RFC 3230) ``sha-256=:<base64>:`` of the whole representation.
* One byte range (``Range: bytes=a-b``, ``a-``, ``-n``): 206 with ``Content-Range``; 416 with
  ``Content-Range: bytes */<size>`` when unsatisfiable; several ranges are answered with the whole body.
  ``If-Range`` with the current ETag keeps the range, anything else (another ETag, a date) gets 200.
* ``Accept-Encoding: gzip`` (without ``Range``): a gzip stream, compressed chunk by chunk, sent chunked
  with its own ETag; the identity digest is then not sent (RFC 9530 digests cover the coded form; ask
  ``HEAD`` for it).

Bodies are streamed from the :class:`DataSource` lazily, one chunk at a time; nothing holds the whole
payload. :func:`push` sends a source to an HTTP endpoint the consumer named in its DataAddress.
"""

from __future__ import annotations

import base64
import hashlib
import re
import threading
import zlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from d4h_sdk.errors import ConfigurationError, TransferError, VerificationError
from d4h_sdk.sandbox._edr import EdrTokenValidator

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment
    from werkzeug.wrappers import Request, Response

    from d4h_sdk._http import HttpClient, HttpResponse
    from d4h_sdk.models import DataAddress

__all__ = [
    "BytesSource",
    "DEFAULT_CHUNK_SIZE",
    "DataPlane",
    "DataSource",
    "FileSource",
    "StreamSource",
    "digest_header",
    "push",
]

DEFAULT_CHUNK_SIZE = 1024 * 1024
"""Bytes per chunk read from a source and written to the socket."""

_PATH = re.compile(r"/data/([^/]+)")
_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


@runtime_checkable
class DataSource(Protocol):
    """The bytes of one transfer: known size and SHA-256, readable from any offset, any number of times."""

    @property
    def size(self) -> int:
        """Length in bytes."""
        ...

    @property
    def media_type(self) -> str:
        """The ``Content-Type`` to serve."""
        ...

    def sha256(self) -> bytes:
        """The SHA-256 of the whole content (32 raw bytes); may read the content once to compute it."""
        ...

    def iter_bytes(self, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """Yield the bytes ``[start, end)`` (``end`` defaults to ``size``) in chunks, reading lazily."""
        ...


def _digest_bytes(value: bytes | str | None) -> bytes | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = bytes.fromhex(value)
        except ValueError as exc:
            raise ConfigurationError("sha256 must be 32 raw bytes or 64 hex digits") from exc
    if len(value) != 32:
        raise ConfigurationError("sha256 must be 32 raw bytes or 64 hex digits")
    return bytes(value)


class _Source:
    """Shared parts of the built-in sources: size, media type, lazily computed and cached digest."""

    def __init__(self, size: int, media_type: str, sha256: bytes | str | None, chunk_size: int) -> None:
        if size < 0:
            raise ConfigurationError(f"size must be 0 or more, got {size}")
        if chunk_size <= 0:
            raise ConfigurationError(f"chunk_size must be positive, got {chunk_size}")
        self._size = size
        self._media_type = media_type
        self._sha256 = _digest_bytes(sha256)
        self._chunk = chunk_size
        self._lock = threading.Lock()

    @property
    def size(self) -> int:
        """Length in bytes."""
        return self._size

    @property
    def media_type(self) -> str:
        """The ``Content-Type`` to serve."""
        return self._media_type

    def sha256(self) -> bytes:
        """The SHA-256 of the content; computed by one full read the first time if it was not given."""
        with self._lock:
            if self._sha256 is None:
                digest = hashlib.sha256()
                for chunk in self.iter_bytes():
                    digest.update(chunk)
                self._sha256 = digest.digest()
            return self._sha256

    def iter_bytes(self, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """Yield ``[start, end)`` in chunks (implemented by subclasses)."""
        raise NotImplementedError  # pragma: no cover

    def _bounds(self, start: int, end: int | None) -> tuple[int, int]:
        stop = self._size if end is None else end
        if not 0 <= start <= stop <= self._size:
            raise ConfigurationError(f"byte range [{start}, {stop}) is outside 0..{self._size}")
        return start, stop

    def __repr__(self) -> str:
        return f"{type(self).__name__}(size={self._size}, media_type={self._media_type!r})"


class BytesSource(_Source):
    """A source over bytes held in memory.

    Args:
        data: The content.
        media_type: The ``Content-Type``.
        chunk_size: Bytes per chunk.
    """

    def __init__(
        self,
        data: bytes,
        *,
        media_type: str = "application/octet-stream",
        chunk_size: int = DEFAULT_CHUNK_SIZE,
    ) -> None:
        self._data = memoryview(bytes(data))
        super().__init__(len(self._data), media_type, hashlib.sha256(self._data).digest(), chunk_size)

    def iter_bytes(self, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """Yield ``[start, end)`` in chunks."""
        start, stop = self._bounds(start, end)
        for offset in range(start, stop, self._chunk):
            yield bytes(self._data[offset : min(offset + self._chunk, stop)])


class FileSource(_Source):
    """A source over a file, read chunk by chunk at request time.

    Args:
        path: The file; its size is taken now.
        media_type: The ``Content-Type``.
        sha256: The digest if known (raw or hex); otherwise computed on first use.
        chunk_size: Bytes per read.

    Raises:
        ConfigurationError: The file does not exist or is not a regular file.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        media_type: str = "application/octet-stream",
        sha256: bytes | str | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
    ) -> None:
        self._path = Path(path)
        if not self._path.is_file():
            raise ConfigurationError(f"{self._path} is not a readable regular file")
        super().__init__(self._path.stat().st_size, media_type, sha256, chunk_size)

    def iter_bytes(self, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """Yield ``[start, end)`` in chunks, reading the file as the consumer reads."""
        start, stop = self._bounds(start, end)
        with self._path.open("rb") as handle:
            handle.seek(start)
            left = stop - start
            while left > 0:
                chunk = handle.read(min(self._chunk, left))
                if not chunk:
                    raise TransferError(f"{self._path.name} shrank while it was being served")
                left -= len(chunk)
                yield chunk


class StreamSource(_Source):
    """A source produced by a generator (e.g. the sandbox's synthetic big file), regenerated per request.

    A range is served by regenerating the stream and skipping to ``start``; give ``sha256`` when it is
    known, otherwise the first request reads the whole stream once to compute it.

    Args:
        factory: Returns a fresh iterable of byte chunks on each call; it must yield exactly ``size`` bytes.
        size: The total length.
        media_type: The ``Content-Type``.
        sha256: The digest if known (raw or hex).
        chunk_size: Largest chunk passed on (longer chunks from the factory are split).

    Raises:
        ConfigurationError: ``size`` or ``chunk_size`` is out of range, or ``sha256`` malformed.
    """

    def __init__(
        self,
        factory: Callable[[], Iterable[bytes]],
        *,
        size: int,
        media_type: str = "application/octet-stream",
        sha256: bytes | str | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
    ) -> None:
        self._factory = factory
        super().__init__(size, media_type, sha256, chunk_size)

    def iter_bytes(self, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """Yield ``[start, end)`` in chunks, pulling from a new stream only as fast as the reader reads.

        Raises:
            TransferError: The stream yields more or fewer bytes than ``size``.
        """
        start, stop = self._bounds(start, end)
        offset = 0
        stream = iter(self._factory())
        try:
            for raw in stream:
                chunk = memoryview(raw)
                if offset + len(chunk) <= start:
                    offset += len(chunk)
                    continue
                head = max(0, start - offset)
                tail = min(len(chunk), stop - offset)
                for piece in range(head, tail, self._chunk):
                    yield bytes(chunk[piece : min(piece + self._chunk, tail)])
                offset += len(chunk)
                if offset >= stop:
                    if end is None and offset > self._size:
                        raise TransferError(f"the stream yielded more than its declared {self._size} bytes")
                    return
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()
        if offset < stop:
            raise TransferError(f"the stream ended after {offset} of its declared {self._size} bytes")


def digest_header(sha256: bytes) -> str:
    """``sha-256=:<base64>:``, the RFC 9530 structured-field form of a SHA-256 digest."""
    return "sha-256=:" + base64.b64encode(sha256).decode("ascii") + ":"


def _etag(sha256: bytes, suffix: str = "") -> str:
    return '"' + base64.urlsafe_b64encode(sha256[:18]).decode("ascii") + suffix + '"'


def _parse_range(header: str, size: int) -> tuple[int, int] | bool | None:
    """One range as ``(start, stop)``; ``False`` if unsatisfiable; ``None``: ignore the header (RFC 9110)."""
    match = _RANGE.fullmatch(header.strip())
    if match is None:
        return None  # several ranges, another unit or bad syntax: serve the whole body
    first, last = match.groups()
    if not first:
        if not last:
            return None
        suffix = int(last)
        return (max(0, size - suffix), size) if suffix > 0 and size > 0 else False
    start = int(first)
    if last and int(last) < start:
        return None
    if start >= size:
        return False
    return start, size if not last else min(int(last) + 1, size)


def _accepts_gzip(header: str) -> bool:
    for item in header.split(","):
        name, _, params = item.strip().partition(";")
        if name.strip().lower() in {"gzip", "x-gzip"}:
            q = params.strip().lower()
            return not (q.startswith("q=") and q[2:].strip("0.") == "")
    return False


def _gzip(chunks: Iterator[bytes]) -> Iterator[bytes]:
    compressor = zlib.compressobj(6, zlib.DEFLATED, 31)
    try:
        for chunk in chunks:
            out = compressor.compress(chunk)
            if out:
                yield out
        yield compressor.flush()
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()


class DataPlane:
    """WSGI application serving ``GET``/``HEAD /data/<transfer id>`` to holders of a valid EDR token.

    Args:
        validator: Checks the bearer token.
        resolver: Returns the :class:`DataSource` of a transfer id, or ``None`` when there is none.
        realm: The ``realm`` of ``WWW-Authenticate`` challenges.
    """

    def __init__(
        self,
        validator: EdrTokenValidator,
        resolver: Callable[[str], DataSource | None],
        *,
        realm: str = "d4h-sandbox",
    ) -> None:
        self._validator = validator
        self._resolver = resolver
        self._realm = realm

    @staticmethod
    def path_for(transfer_id: str) -> str:
        """The path this application serves a transfer under (append to the server's base URL)."""
        from urllib.parse import quote

        return "/data/" + quote(transfer_id, safe="")

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Handle one WSGI request."""
        from werkzeug.wrappers import Request

        response = self._handle(Request(environ))
        return response(environ, start_response)

    def _handle(self, request: Request) -> Response:
        match = _PATH.fullmatch(request.path)
        if match is None:
            return _error(404, "not_found", "no such resource")
        if request.method not in {"GET", "HEAD"}:
            response = _error(405, "method_not_allowed", "use GET or HEAD")
            response.headers["Allow"] = "GET, HEAD"
            return response
        transfer_id = match.group(1)
        token = _edr_token(request.headers.get("Authorization", ""))
        if not token:
            response = _error(401, "unauthorized", "send the EDR token as 'Authorization: Bearer <token>'")
            response.headers["WWW-Authenticate"] = f'Bearer realm="{self._realm}"'
            return response
        try:
            claims = self._validator.validate(token)
        except VerificationError as exc:
            response = _error(401, "invalid_token", str(exc))
            response.headers["WWW-Authenticate"] = (
                f'Bearer realm="{self._realm}", error="invalid_token", '
                f'error_description="{_quoted(str(exc))}"'
            )
            return response
        if claims.transfer_id != transfer_id:
            return _error(403, "insufficient_scope", "the EDR token was issued for another transfer")
        source = self._resolver(transfer_id)
        if source is None:
            return _error(404, "not_found", f"no data for transfer {transfer_id!r}")
        return _serve(request, source)


def _quoted(text: str) -> str:
    """Printable ASCII without quotes or backslashes, for a quoted header parameter."""
    return "".join(c if " " <= c <= "~" and c not in '"\\' else "'" for c in text[:200])


def _error(status: int, code: str, description: str) -> Response:
    import json

    from werkzeug.wrappers import Response

    body = json.dumps({"error": code, "error_description": description})
    return Response(body, status=status, content_type="application/json")


def _serve(request: Request, source: DataSource) -> Response:
    """Build the 200/206/416 response for a resolved source."""
    from werkzeug.wrappers import Response

    sha = source.sha256()
    size = source.size
    etag = _etag(sha)
    headers: dict[str, str] = {"Accept-Ranges": "bytes", "Vary": "Accept-Encoding"}
    head = request.method == "HEAD"
    span: tuple[int, int] | None = None
    range_header = request.headers.get("Range")
    if range_header is not None:
        if_range = request.headers.get("If-Range")
        if if_range is None or if_range.strip() == etag:
            parsed = _parse_range(range_header, size)
            if parsed is False:
                headers["Content-Range"] = f"bytes */{size}"
                headers["ETag"] = etag
                return Response(b"", status=416, headers=headers, content_type=source.media_type)
            span = parsed if isinstance(parsed, tuple) else None
    if span is None and not head and _accepts_gzip(request.headers.get("Accept-Encoding", "")):
        headers["Content-Encoding"] = "gzip"
        headers["ETag"] = _etag(sha, "-gzip")
        response = Response(
            _gzip(source.iter_bytes()), status=200, headers=headers, content_type=source.media_type
        )
        response.direct_passthrough = True
        return response
    headers["ETag"] = etag
    headers["Repr-Digest"] = digest_header(sha)
    headers["Digest"] = "SHA-256=" + base64.b64encode(sha).decode("ascii")
    start, stop = span if span is not None else (0, size)
    status = 200
    if span is not None:
        status = 206
        headers["Content-Range"] = f"bytes {start}-{stop - 1}/{size}"
    headers["Content-Length"] = str(stop - start)
    body: Iterable[bytes] = () if head else source.iter_bytes(start, stop)
    response = Response(body, status=status, headers=headers, content_type=source.media_type)
    response.direct_passthrough = True
    return response


class _Body:
    """A re-iterable request body: each send (first try or retry) reads the source afresh."""

    def __init__(self, source: DataSource) -> None:
        self._source = source

    def __len__(self) -> int:
        return self._source.size

    def __iter__(self) -> Iterator[bytes]:
        return self._source.iter_bytes()


def _edr_token(header: str) -> str:
    """The token of ``Bearer <token>``, or a bare token as EDC's data plane takes it (``""`` when none)."""
    scheme, _, rest = header.strip().partition(" ")
    if rest and scheme.lower() == "bearer":
        return rest.strip()
    if not rest and scheme.count(".") == 2:  # a bare compact JWT
        return scheme
    return ""


def push(
    source: DataSource,
    destination: DataAddress,
    *,
    http: HttpClient | None = None,
    method: str | None = None,
) -> HttpResponse:
    """Send a source to the HTTP endpoint of a push transfer's data address, streaming.

    The endpoint is ``destination.endpoint`` (or the EDC ``baseUrl`` property). Credentials come from the
    ``authorization`` property (``authType`` ``bearer`` makes it ``Authorization: Bearer <value>``, any other
    sends it as is) or EDC's ``authKey``/``authCode`` pair; they are attached as a credential, so they are
    redacted from logs and dropped on a redirect to another origin. The method is ``method``, else the
    ``method`` property, else ``PUT``; a PUT is retried on transient failures (the body is re-read from the
    source), a POST never.

    Args:
        source: The bytes to send.
        destination: The consumer's data address.
        http: The client to send with; a private one is created and closed otherwise.
        method: ``PUT`` or ``POST``.

    Returns:
        The receiver's response.

    Raises:
        ConfigurationError: No http(s) endpoint, or an unsupported method.
        APIStatusError: The receiver answered with an error status.
        APIConnectionError: The receiver could not be reached.
    """
    from d4h_sdk._http import AuthBase, HttpClient

    url = destination.endpoint or destination.property("baseUrl")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise ConfigurationError("the push data address has no absolute http:// or https:// endpoint")
    verb = str(method or destination.property("method") or "PUT").upper()
    if verb not in {"PUT", "POST"}:
        raise ConfigurationError(f"push sends with PUT or POST, not {verb}")
    credentials: dict[str, str] = {}
    authorization = destination.property("authorization")
    if authorization:
        auth_type = str(destination.property("authType") or "").lower()
        credentials["Authorization"] = (
            f"Bearer {authorization}" if auth_type == "bearer" else str(authorization)
        )
    auth_key, auth_code = destination.property("authKey"), destination.property("authCode")
    if auth_key and auth_code:
        credentials[str(auth_key)] = str(auth_code)

    class _Credentials(AuthBase):
        def __call__(self, r: Any) -> Any:
            r.headers.update(credentials)
            return r

    client = http if http is not None else HttpClient()
    try:
        return client.request(
            verb,
            url,
            data=_Body(source),  # type: ignore[arg-type]  # requests streams any re-iterable with a length
            headers={"Content-Type": source.media_type},
            auth=_Credentials() if credentials else None,
        )
    finally:
        if http is None:
            client.close()
