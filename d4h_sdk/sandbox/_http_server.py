"""A small threaded WSGI server on loopback, and a JSON router, shared by every sandbox server.

:class:`LoopbackServer` binds ``127.0.0.1`` on a free port, serves a WSGI application from a daemon thread
(one thread per connection) and is ready when the constructor returns. :meth:`LoopbackServer.stop` stops
accepting, lets requests in flight finish for a short grace period, then cuts the remaining connections,
joins every thread and closes every socket: nothing leaks into the next test.

:class:`Router` maps ``(method, path pattern)`` to handlers and turns werkzeug HTTP exceptions,
:class:`~d4h_sdk.errors.DecodeError` and unexpected failures into JSON error answers.
"""

from __future__ import annotations

import json
import logging
import re
import socket
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any

from werkzeug.exceptions import HTTPException
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler
from werkzeug.wrappers import Request, Response

from d4h_sdk.errors import ConfigurationError, DecodeError

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

__all__ = [
    "DEFAULT_MAX_BODY_BYTES",
    "Handler",
    "LoopbackServer",
    "Request",
    "Response",
    "Router",
    "error_response",
    "json_response",
]

_log = logging.getLogger("d4h_sdk.sandbox")

DEFAULT_MAX_BODY_BYTES = 1024 * 1024
"""Largest request body a :class:`Router` accepts by default (413 beyond)."""

Handler = Callable[[Request, Mapping[str, str]], Response]
"""A route handler: ``(request, path parameters) -> response``."""

_HOST = "127.0.0.1"
_POLL_S = 0.05
_IDLE_TIMEOUT_S = 30.0


def json_response(body: Any, status: int = 200, *, headers: Mapping[str, str] | None = None) -> Response:
    """A JSON response.

    Args:
        body: Any JSON-serialisable value.
        status: The HTTP status.
        headers: Extra headers.

    Returns:
        The response, ``Content-Type: application/json``.
    """
    data = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    response = Response(data, status=status, content_type="application/json")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def error_response(status: int, message: str, *, headers: Mapping[str, str] | None = None) -> Response:
    """A JSON error answer ``{"error": <reason phrase>, "error_description": <message>}``.

    Args:
        status: The HTTP status.
        message: What went wrong, safe to show (no tokens or secrets).
        headers: Extra headers.

    Returns:
        The response.
    """
    from http import HTTPStatus

    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    return json_response({"error": phrase, "error_description": message}, status, headers=headers)


class _Handler(WSGIRequestHandler):
    """werkzeug's handler, quiet: requests are logged to ``d4h_sdk.sandbox`` at DEBUG, not to stderr."""

    # Set here so werkzeug does not patch the protocol version onto its own shared handler class.
    protocol_version = "HTTP/1.1"
    timeout = _IDLE_TIMEOUT_S

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        self.log("info", '"%s" %s %s', self.requestline, code, size)

    def log(self, type: str, message: str, *args: Any) -> None:
        level = logging.ERROR if type == "error" else logging.DEBUG
        if _log.isEnabledFor(level):
            _log.log(level, "%s %s", self.address_string(), (message % args if args else message).rstrip())


class _Server(BaseWSGIServer):
    """werkzeug's server with one tracked thread per connection."""

    multithread = True

    def __init__(self, port: int, app: WSGIApplication) -> None:
        self._lock = threading.Lock()
        self._workers: dict[threading.Thread, socket.socket] = {}
        super().__init__(_HOST, port, app, handler=_Handler)

    def server_bind(self) -> None:
        # Raised as a non-OSError so that werkzeug neither prints to stderr nor calls sys.exit().
        try:
            super().server_bind()
        except OSError as exc:
            raise ConfigurationError(
                f"cannot listen on {_HOST}:{self.server_address[1]}: {exc.strerror or exc}"
            ) from exc

    def process_request(self, request: Any, client_address: Any) -> None:
        worker = threading.Thread(
            target=self._work, args=(request, client_address), name="d4h-sandbox-conn", daemon=True
        )
        with self._lock:
            self._workers[worker] = request
        worker.start()

    def _work(self, request: Any, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        except Exception:  # the server's error hook logs it; the connection is closed below
            self.handle_error(request, client_address)
        finally:
            self.shutdown_request(request)
            with self._lock:
                self._workers.pop(threading.current_thread(), None)

    def handle_error(self, request: Any, client_address: Any) -> None:
        _log.exception("sandbox server: unexpected error while serving %s", client_address)

    def workers(self) -> list[tuple[threading.Thread, socket.socket]]:
        with self._lock:
            return list(self._workers.items())


class LoopbackServer:
    """Serve a WSGI application on ``127.0.0.1``, threaded, from a daemon thread.

    The socket is bound and listening and the serving thread runs when the constructor returns. Use it as a
    context manager or call :meth:`stop`.

    Args:
        app: The WSGI application (for instance a :class:`Router`).
        port: The port; ``0`` (default) picks a free one.
        name: A label for the serving thread and logs.
        grace_s: How long :meth:`stop` lets requests in flight finish before cutting their connections.

    Raises:
        ConfigurationError: The port cannot be bound, or a negative ``grace_s``.
    """

    def __init__(self, app: WSGIApplication, *, port: int = 0, name: str = "sandbox", grace_s: float = 2.0):
        if grace_s < 0:
            raise ConfigurationError(f"grace_s must be 0 or more, got {grace_s}")
        self.name = name
        self._grace_s = grace_s
        self._server = _Server(port, app)
        self.port: int = self._server.port
        self._stopped = False
        self._stop_lock = threading.Lock()
        started = threading.Event()

        def serve() -> None:
            started.set()
            self._server.serve_forever(poll_interval=_POLL_S)

        self._thread = threading.Thread(target=serve, name=f"d4h-sandbox-{name}", daemon=True)
        self._thread.start()
        started.wait()

    @property
    def host(self) -> str:
        """The bound address, ``127.0.0.1``."""
        return _HOST

    @property
    def url(self) -> str:
        """The base URL, ``http://127.0.0.1:<port>`` (no trailing slash)."""
        return f"http://{_HOST}:{self.port}"

    @property
    def running(self) -> bool:
        """Whether the server still serves."""
        return not self._stopped

    def stop(self) -> None:
        """Stop serving: close the listening socket, finish or cut connections, join every thread.

        Idempotent; safe to call from any thread but a request handler of this server.
        """
        with self._stop_lock:
            if self._stopped:
                return
            self._stopped = True
        self._server.shutdown()
        self._thread.join()
        self._server.server_close()
        deadline = time.monotonic() + self._grace_s
        for worker, _ in self._server.workers():
            worker.join(max(0.0, deadline - time.monotonic()))
        for worker, conn in self._server.workers():
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                _log.debug("sandbox server %s: connection already closed", self.name)
            worker.join()

    def __enter__(self) -> LoopbackServer:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"LoopbackServer(name={self.name!r}, url={self.url!r}, {state})"


_VARIABLE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(:path)?\}")


def _compile(pattern: str) -> re.Pattern[str]:
    if not pattern.startswith("/"):
        raise ConfigurationError(f"a route pattern starts with '/', got {pattern!r}")
    literals: list[str] = []
    regex: list[str] = []
    names: set[str] = set()
    position = 0
    for match in _VARIABLE.finditer(pattern):
        literals.append(pattern[position : match.start()])
        regex.append(re.escape(literals[-1]))
        name = match.group(1)
        if name in names:
            raise ConfigurationError(f"route pattern {pattern!r} names {{{name}}} twice")
        names.add(name)
        regex.append(f"(?P<{name}>{'.+' if match.group(2) else '[^/]+'})")
        position = match.end()
    literals.append(pattern[position:])
    regex.append(re.escape(literals[-1]))
    if any("{" in text or "}" in text for text in literals):
        raise ConfigurationError(f"route pattern {pattern!r} has a malformed '{{name}}' placeholder")
    return re.compile("".join(regex))


class Router:
    """A WSGI application dispatching ``(method, path pattern)`` to handlers that return responses.

    Patterns are paths with ``{name}`` placeholders (one segment) or ``{name:path}`` (the rest, slashes
    included), e.g. ``/{participant}/did.json``. Routes are tried in the order they were added. No match:
    404; a path that matches with another method: 405 with ``Allow``. A handler may raise a werkzeug
    ``HTTPException`` (for instance ``BadRequest`` from ``request.get_json()``; the body size cap gives
    413) or :class:`~d4h_sdk.errors.DecodeError` (400); any other exception is logged and answered 500.
    All error answers are JSON (see :func:`error_response`).

    Args:
        max_body_bytes: Largest accepted request body.
    """

    def __init__(self, *, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES) -> None:
        if max_body_bytes <= 0:
            raise ConfigurationError(f"max_body_bytes must be positive, got {max_body_bytes}")
        self.max_body_bytes = max_body_bytes
        self._routes: list[tuple[str, str, re.Pattern[str], Handler]] = []
        self._lock = threading.Lock()

    def add(self, method: str, pattern: str, handler: Handler) -> None:
        """Add a route.

        Args:
            method: The HTTP method (``GET``, ``POST``, ...); ``GET`` routes also answer ``HEAD``.
            pattern: The path pattern.
            handler: Called with the request and the path parameters.

        Raises:
            ConfigurationError: A malformed pattern or method.
        """
        if not method.isalpha():
            raise ConfigurationError(f"not an HTTP method: {method!r}")
        compiled = _compile(pattern)
        with self._lock:
            self._routes.append((method.upper(), pattern, compiled, handler))

    def route(self, method: str, pattern: str) -> Callable[[Handler], Handler]:
        """Decorator form of :meth:`add`.

        Args:
            method: The HTTP method.
            pattern: The path pattern.

        Returns:
            A decorator that registers the function and returns it unchanged.
        """

        def register(handler: Handler) -> Handler:
            self.add(method, pattern, handler)
            return handler

        return register

    def dispatch(self, request: Request) -> Response:
        """Answer one request (what the WSGI entry point calls).

        Args:
            request: The parsed request.

        Returns:
            The handler's response, or a JSON error response.
        """
        method = request.method.upper()
        with self._lock:
            routes = list(self._routes)
        allowed: list[str] = []
        for route_method, _, compiled, handler in routes:
            match = compiled.fullmatch(request.path)
            if match is None:
                continue
            if route_method != method and not (method == "HEAD" and route_method == "GET"):
                allowed.append(route_method)
                continue
            return self._call(handler, request, match.groupdict())
        if allowed:
            return error_response(
                405,
                f"{method} is not allowed on {request.path}",
                headers={"Allow": ", ".join(sorted(set(allowed)))},
            )
        return error_response(404, f"no resource at {request.path}")

    def _call(self, handler: Handler, request: Request, params: Mapping[str, str]) -> Response:
        try:
            return handler(request, params)
        except HTTPException as exc:
            return error_response(exc.code or 500, exc.description or exc.name)
        except DecodeError as exc:
            return error_response(400, str(exc))
        except Exception:
            _log.exception("sandbox handler for %s %s failed", request.method, request.path)
            return error_response(
                500, "the sandbox failed to handle the request; see the d4h_sdk.sandbox log"
            )

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        request.max_content_length = self.max_body_bytes
        response = self.dispatch(request)
        return response(environ, start_response)

    def __repr__(self) -> str:
        with self._lock:
            return f"Router({[f'{m} {p}' for m, p, _, _ in self._routes]})"
