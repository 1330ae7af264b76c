"""The callback receiver of :class:`~d4h_sdk.connectors.DspConnector`: a tiny stdlib HTTP server.

It needs no extra dependency (``http.server``). Each connection is served by its own thread (HTTP/1.0:
one request per connection); :meth:`CallbackReceiver.close` stops accepting, gives requests in flight a short
grace period, cuts the remaining connections and joins every thread, so nothing leaks.

Routing is by the tail of the path, so a public callback URL behind an ingress may carry any prefix:
``POST .../negotiations/<consumerPid>/<leaf>``, ``POST .../transfers/<consumerPid>/<leaf>``,
``GET .../negotiations/<consumerPid>`` and ``GET .../transfers/<consumerPid>``.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

from d4h_sdk.errors import ConfigurationError

__all__ = ["CallbackReceiver", "Inbound", "Reply"]

_log = logging.getLogger("d4h_sdk.connectors.dsp")
_MAX_BODY = 4 * 1024 * 1024
_SOCKET_TIMEOUT_S = 10.0
_GRACE_S = 1.0


@dataclass(frozen=True)
class Inbound:
    """One request to the receiver.

    Attributes:
        method: ``GET`` or ``POST``.
        kind: ``negotiations`` or ``transfers``.
        pid: The consumer process id from the path (percent-decoded).
        leaf: The last path segment of a POST (``agreement``, ``start``, ...); ``""`` for a GET.
        body: The raw body.
        authorization: The ``Authorization`` header, if any.
    """

    method: str
    kind: str
    pid: str
    leaf: str
    body: bytes
    authorization: str | None


@dataclass(frozen=True)
class Reply:
    """An answer: status and JSON body (``None`` for an empty body)."""

    status: int
    body: Any = None


Handler = Callable[[Inbound], Reply]


def _parse_path(method: str, path: str) -> tuple[str, str, str] | None:
    segments = [unquote(s) for s in urlsplit(path).path.split("/") if s]
    if method == "GET" and len(segments) >= 2 and segments[-2] in ("negotiations", "transfers"):
        return segments[-2], segments[-1], ""
    if method == "POST" and len(segments) >= 3 and segments[-3] in ("negotiations", "transfers"):
        return segments[-3], segments[-2], segments[-1]
    return None


class _RequestHandler(BaseHTTPRequestHandler):
    server: _Server
    timeout = _SOCKET_TIMEOUT_S
    server_version = "d4h-dsp-consumer"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        _log.debug("callback receiver: " + format, *args)

    def _answer(self, reply: Reply) -> None:
        data = b"" if reply.body is None else json.dumps(reply.body).encode()
        self.send_response(reply.status)
        if data:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _serve(self, method: str) -> None:
        route = _parse_path(method, self.path)
        if route is None:
            self._answer(Reply(404, {"error": f"no such endpoint: {method} {urlsplit(self.path).path}"}))
            return
        length_text = self.headers.get("Content-Length", "0") or "0"
        length = int(length_text) if length_text.isdigit() else -1
        if length < 0 or length > _MAX_BODY:
            self._answer(Reply(413 if length > 0 else 400, {"error": "bad or too large Content-Length"}))
            return
        body = self.rfile.read(length) if length else b""
        inbound = Inbound(method, *route, body=body, authorization=self.headers.get("Authorization"))
        try:
            reply = self.server.handler(inbound)
        except Exception:  # a bug must not kill the connection silently: log it and answer 500
            _log.exception("DSP callback handler failed for %s %s", method, route[0])
            reply = Reply(500, {"error": "internal error"})
        self._answer(reply)

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        self._serve("GET")

    def do_POST(self) -> None:  # noqa: N802 - http.server naming
        self._serve("POST")


class _Server(ThreadingHTTPServer):
    daemon_threads = False
    block_on_close = True

    def __init__(self, address: tuple[str, int], handler: Handler, family: socket.AddressFamily) -> None:
        self.address_family = family
        self.handler = handler
        self.connections: set[socket.socket] = set()
        self.lock = threading.Lock()
        super().__init__(address, _RequestHandler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.lock:
            self.connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self.lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        _log.debug("callback receiver: connection error from %s", client_address, exc_info=True)


class CallbackReceiver:
    """Serves DSP consumer callbacks on ``host:port`` until :meth:`close`.

    Args:
        handler: Called for every routed request (from the connection's thread).
        host: The bind address (an IPv4 or IPv6 literal, or a host name).
        port: The bind port (0: a free one).

    Raises:
        ConfigurationError: The address cannot be bound.
    """

    def __init__(self, handler: Handler, *, host: str = "127.0.0.1", port: int = 0) -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        try:
            self._server = _Server((host, port), handler, family)
        except OSError as exc:
            raise ConfigurationError(
                f"cannot bind the DSP callback receiver to {host}:{port}: {exc}"
            ) from exc
        self.host = host
        self.port: int = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"d4h-dsp-receiver-{self.port}",
            daemon=True,
        )
        self._thread.start()
        self._closed = False

    @property
    def url(self) -> str:
        """The bound URL, e.g. ``http://127.0.0.1:8123`` (IPv6 hosts in brackets)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def close(self) -> None:
        """Stop serving, cut lingering connections after a short grace and join every thread (idempotent)."""
        if self._closed:
            return
        self._closed = True
        self._server.shutdown()
        self._thread.join()
        deadline = time.monotonic() + _GRACE_S
        while time.monotonic() < deadline:
            with self._server.lock:
                if not self._server.connections:
                    break
            time.sleep(0.01)
        with self._server.lock:
            lingering = list(self._server.connections)
        for conn in lingering:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._server.server_close()  # joins the connection threads (block_on_close)
