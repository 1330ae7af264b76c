"""Helpers of the reliability tests: a connection-cutting HTTP proxy, provider restarts, counts, free ports."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from types import TracebackType
from urllib.parse import urlsplit

from d4h_sdk.sandbox import Sandbox
from d4h_sdk.sandbox._provider import ProviderConnector
from d4h_sdk.sandbox._store import SqliteProviderStore

__all__ = ["CuttingProxy", "free_port", "provider_negotiations", "restarted_provider"]

_HEAD_LIMIT = 64 * 1024


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def provider_negotiations(sandbox: Sandbox) -> int:
    """How many negotiations the sandbox provider has in its store."""
    return len(sandbox.connector.store.list_negotiations())


@contextmanager
def restarted_provider(sandbox: Sandbox, store_path: Path) -> Iterator[ProviderConnector]:
    """Stop the sandbox's provider connector and start a new one on the same port from the same store file.

    The sandbox's identities (DIDs, keys, STS) and management facades stay up: only the provider process is
    restarted, as a provider's connector restarts behind its unchanging public address.
    """
    port = urlsplit(sandbox.connector.url).port
    assert port is not None
    sandbox.connector.close()
    store = SqliteProviderStore(store_path)
    second = ProviderConnector(sandbox.provider, store=store)
    try:
        second.serve(port=port)
        for dataset in sandbox.datasets:
            second.add_dataset(dataset)
        yield second
    finally:
        second.close()
        store.close()


class CuttingProxy:
    """An HTTP forward proxy on loopback (use it as ``HTTP_PROXY``) that cuts chosen responses mid-body.

    Each client connection carries one request, forwarded with ``Connection: close``. The first ``cuts``
    responses longer than ``cut_after`` bytes (head included) to requests whose request line contains
    ``marker`` are cut there: the proxy closes both connections, as a failing middlebox or network would.

    Attributes:
        heads: The request heads forwarded (text), in order.
        cut: How many responses were cut.
    """

    def __init__(self, *, marker: str = "/data/", cut_after: int = 4096, cuts: int = 1) -> None:
        self._marker = marker
        self._cut_after = cut_after
        self._cuts_left = cuts
        self._lock = threading.Lock()
        self.heads: list[str] = []
        self.cut = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._closed = False
        self._threads: list[threading.Thread] = []
        self._accepter = threading.Thread(target=self._accept, name="test-cutting-proxy", daemon=True)
        self._accepter.start()

    @property
    def url(self) -> str:
        """The proxy URL."""
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}"

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            worker = threading.Thread(target=self._serve, args=(client,), name="test-proxy-conn", daemon=True)
            with self._lock:
                self._threads.append(worker)
            worker.start()

    def _serve(self, client: socket.socket) -> None:
        with closing(client):
            head, rest = _read_head(client)
            if head is None:
                return
            lines = head.split("\r\n")
            method, target, version = lines[0].split(" ", 2)
            parts = urlsplit(target)
            kept = [line for line in lines[1:] if not line.lower().startswith(("connection:", "proxy-"))]
            forwarded = "\r\n".join(
                [
                    f"{method} {parts.path or '/'}"
                    + (f"?{parts.query}" if parts.query else "")
                    + f" {version}",
                    *kept,
                    "Connection: close",
                    "",
                    "",
                ]
            )
            with self._lock:
                self.heads.append(head)
            cutting = self._marker in lines[0]
            upstream = socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80), timeout=10)
            with closing(upstream):
                upstream.sendall(forwarded.encode("latin-1") + rest)
                _pump_body(client, upstream, head, rest)
                sent = 0
                while True:
                    chunk = upstream.recv(65536)
                    if not chunk:
                        return
                    if cutting and sent + len(chunk) >= self._cut_after and self._take_cut():
                        client.sendall(chunk[: self._cut_after - sent])
                        client.shutdown(socket.SHUT_RDWR)
                        return
                    client.sendall(chunk)
                    sent += len(chunk)

    def _take_cut(self) -> bool:
        with self._lock:
            if self._cuts_left <= 0:
                return False
            self._cuts_left -= 1
            self.cut += 1
            return True

    def close(self) -> None:
        """Stop accepting and wait for the connections in progress."""
        self._closed = True
        try:
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept() (close alone does not)
        except OSError:
            pass
        self._listener.close()
        self._accepter.join(5)
        with self._lock:
            workers = list(self._threads)
        for worker in workers:
            worker.join(5)

    def __enter__(self) -> CuttingProxy:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _read_head(conn: socket.socket) -> tuple[str | None, bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk or len(data) > _HEAD_LIMIT:
            return None, b""
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    return head.decode("latin-1"), rest


def _pump_body(client: socket.socket, upstream: socket.socket, head: str, rest: bytes) -> None:
    """Forward the rest of a request body announced with ``Content-Length``."""
    length = 0
    for line in head.split("\r\n")[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    left = length - len(rest)
    while left > 0:
        chunk = client.recv(min(65536, left))
        if not chunk:
            return
        upstream.sendall(chunk)
        left -= len(chunk)
