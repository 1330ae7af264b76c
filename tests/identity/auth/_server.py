"""A real OAuth2 token endpoint and resource server on 127.0.0.1 for the auth tests."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs


@dataclass
class TokenServer:
    """Counts token requests; answers with ``status`` and ``body`` (a JSON value) after ``delay`` seconds."""

    status: int = 200
    body: Any = field(
        default_factory=lambda: {"access_token": "tok-1", "token_type": "Bearer", "expires_in": 300}
    )
    delay: float = 0.0
    token_requests: list[dict[str, Any]] = field(default_factory=list)
    resource_headers: list[dict[str, str]] = field(default_factory=list)
    port: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    issued: int = 0

    @property
    def token_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/realms/ds4h/protocol/openid-connect/token"

    @property
    def resource_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/resource"


def _handler(state: TokenServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

        def _reply(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with state.lock:
                state.issued += 1
                number = state.issued
                state.token_requests.append(
                    {
                        "content_type": self.headers.get("Content-Type"),
                        "authorization": self.headers.get("Authorization"),
                        "form": {k: v[0] for k, v in parse_qs(raw.decode()).items()},
                    }
                )
            if state.delay:
                time.sleep(state.delay)
            body = state.body
            if isinstance(body, dict) and body.get("access_token") == "tok-N":
                body = {**body, "access_token": f"tok-{number}"}
            self._reply(state.status, json.dumps(body).encode())

        def do_GET(self) -> None:
            with state.lock:
                state.resource_headers.append(dict(self.headers.items()))
            self._reply(200, b"{}")

    return Handler


@contextmanager
def token_server(**kwargs: Any) -> Iterator[TokenServer]:
    state = TokenServer(**kwargs)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
