"""A local HTTP peer on 127.0.0.1: an STS speaking DCP's STS OpenAPI, a Credential Service wrapping a
PresentationResponder, and a DSP endpoint that records the Authorization header it receives."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from d4h_sdk.errors import DecodeError, ProtocolError, VerificationError
from d4h_sdk.identity.dcp import PresentationResponder, SelfIssuedTokenIssuer

STS_PATH = "/api/sts/token"
CS_BASE = "/api/credentials/v1/participants/hospital"
CLIENT_ID = "hospital"
CLIENT_SECRET = "s3cr3t-value"
_REQUIRED = ("audience", "client_id", "client_secret", "grant_type")


@dataclass
class Peer:
    sts: SelfIssuedTokenIssuer | None = None
    responder: PresentationResponder | None = None
    port: int = 0
    sts_forms: list[dict[str, str]] = field(default_factory=list)
    queries: list[dict[str, Any]] = field(default_factory=list)
    dsp_headers: list[str | None] = field(default_factory=list)
    override: tuple[int, Any] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def sts_answer(self, form: dict[str, str]) -> tuple[int, Any]:
        missing = [name for name in _REQUIRED if name not in form]
        if missing:
            return 400, [{"error": "invalid_request", "error_description": f"missing {', '.join(missing)}"}]
        if form["grant_type"] != "client_credentials":
            return 400, [
                {
                    "error": "unsupported_grant_type",
                    "error_description": "grant_type must be client_credentials",
                }
            ]
        if form["client_id"] != CLIENT_ID or form["client_secret"] != CLIENT_SECRET:
            return 400, [
                {
                    "error": "invalid_client",
                    "error_description": f"client {form['client_id']} not authenticated",
                }
            ]
        assert self.sts is not None
        scopes = form.get("bearer_access_scope", "").split()
        token = self.sts.issue(form["audience"], scopes=scopes, token=form.get("token"))
        return 200, {"access_token": token, "expires_in": 300, "token_type": "Bearer"}

    def query_answer(self, authorization: str | None, body: Any) -> tuple[int, Any]:
        assert self.responder is not None
        try:
            return 200, self.responder.respond(authorization or "", body).to_json()
        except VerificationError as exc:
            return 401, {"errors": [str(exc)]}
        except DecodeError as exc:
            return 400, {"errors": [str(exc)]}
        except ProtocolError as exc:
            return 501, {"errors": [str(exc)]}


def _handler(peer: Peer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

        def _reply(self, status: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if peer.override is not None:
                self._reply(*peer.override)
            elif self.path == STS_PATH:
                if self.headers.get("Content-Type") != "application/x-www-form-urlencoded":
                    self._reply(
                        415, [{"error": "invalid_request", "error_description": "form encoding required"}]
                    )
                    return
                form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
                peer.sts_forms.append(form)
                self._reply(*peer.sts_answer(form))
            elif self.path == CS_BASE + "/presentations/query":
                body = json.loads(raw)
                peer.queries.append({"authorization": self.headers.get("Authorization"), "body": body})
                self._reply(*peer.query_answer(self.headers.get("Authorization"), body))
            else:
                self._reply(404, {"errors": ["not found"]})

        def do_GET(self) -> None:
            peer.dsp_headers.append(self.headers.get("Authorization"))
            self._reply(200, {"ok": True})

    return Handler


@contextmanager
def running(peer: Peer) -> Iterator[Peer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(peer))
    peer.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield peer
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
