"""Loopback HTTP servers for the HTTP-core tests (stdlib ThreadingHTTPServer on 127.0.0.1).

Deliberately not a conftest.py: a second conftest module would shadow tests/conftest.py for the test
modules that import from it. Test modules define their fixtures on top of :class:`Servers`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


Route = Callable[[BaseHTTPRequestHandler], None]


@dataclass
class Loopback:
    """A real HTTP server on 127.0.0.1; tests register handlers by path and read what arrived."""

    routes: dict[str, Route] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    port: int = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base + path

    def route(self, path: str) -> Callable[[Route], Route]:
        def register(func: Route) -> Route:
            self.routes[path] = func
            return func

        return register


def reply(
    handler: BaseHTTPRequestHandler, status: int, body: bytes = b"", headers: dict[str, str] | None = None
) -> None:
    handler.send_response(status)
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def make_handler(state: Loopback) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
            pass

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            path = self.path.split("?", 1)[0]
            state.seen.append(Seen(self.command, self.path, dict(self.headers.items()), body))
            route = state.routes.get(path)
            if route is None:
                reply(self, 404, b"no route")
            else:
                route(self)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _handle

    return Handler


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients that hang up early (timeouts, size caps) are part of the tests


class Servers:
    """Starts loopback servers and stops them all on close."""

    def __init__(self) -> None:
        self._servers: list[QuietServer] = []

    def start(self) -> Loopback:
        state = Loopback()
        server = QuietServer(("127.0.0.1", 0), make_handler(state))
        state.port = server.server_address[1]
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        self._servers.append(server)
        return state

    def close(self) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()
