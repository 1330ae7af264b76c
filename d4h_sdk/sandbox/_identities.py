"""Keys and ports of a sandbox's identities, kept in a file so that a restarted sandbox keeps its DIDs.

A sandbox DID names the participant host's port (``did:web:localhost%3A<port>:<name>``) and its document
lists the participant's public key; the provider's DSP address names the connector's port. A sandbox
restarted on the same SQLite store continues negotiations and agreements that name those DIDs and
addresses, so it must bind the same ports and load the same keys. :class:`IdentityFile` keeps them in one
JSON file next to the store (``<store>.identities.json``). The file holds private keys: it is written with
mode 0600 (atomically), never logged, and its repr names no key.

```python
identities = IdentityFile.beside(store_path)
host = open_host(identities)                          # the saved port if it is free
authority = host.add_authority(signer=identities.signer("authority", host.did_for("authority")))
hospital = host.add_participant("hospital", private_jwk=identities.private_jwk("hospital"))
serve_provider(identities, connector)                 # the saved provider port if it is free
identities.save()
```
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from d4h_sdk.errors import ConfigurationError
from d4h_sdk.identity.signing import Signer, generate_key, load_signer
from d4h_sdk.sandbox._http_server import LoopbackServer
from d4h_sdk.sandbox._participants import ParticipantHost
from d4h_sdk.sandbox._provider import ProviderConnector

__all__ = ["HOST", "PROVIDER_PORT", "IdentityFile", "open_host", "serve_provider"]

_log = logging.getLogger("d4h_sdk.sandbox")

HOST = "host"
"""The port role of the participant host (the port inside every DID)."""

PROVIDER_PORT = "provider"
"""The port role of the provider connector (the port inside its DSP addresses)."""

_FORMAT = 1
_SUFFIX = ".identities.json"


class IdentityFile:
    """The saved keys (private JWKs by name) and ports (by role) of one sandbox.

    Args:
        path: The file; read now if it exists (else everything starts empty, and new keys are made on
            demand).

    Raises:
        ConfigurationError: The file exists but is not an identity file of this format.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._keys: dict[str, dict[str, Any]] = {}
        self._ports: dict[str, int] = {}
        if self.path.exists():
            self._load()

    @classmethod
    def beside(cls, store_path: str | os.PathLike[str]) -> IdentityFile:
        """The identity file of a SQLite store: ``<store_path>.identities.json``."""
        return cls(Path(f"{os.fspath(store_path)}{_SUFFIX}"))

    def __repr__(self) -> str:
        return f"IdentityFile(path={str(self.path)!r}, keys={sorted(self._keys)}, ports={self._ports})"

    def _load(self) -> None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigurationError(f"the identity file {self.path} cannot be read: {exc}") from exc
        keys = data.get("keys") if isinstance(data, Mapping) else None
        ports = data.get("ports") if isinstance(data, Mapping) else None
        valid = (
            isinstance(data, Mapping)
            and data.get("format") == _FORMAT
            and isinstance(keys, Mapping)
            and all(isinstance(k, str) and isinstance(v, Mapping) for k, v in keys.items())
            and isinstance(ports, Mapping)
            and all(isinstance(k, str) and type(v) is int and 0 <= v < 65536 for k, v in ports.items())
        )
        if not valid:
            raise ConfigurationError(
                f"{self.path} is not a sandbox identity file (format {_FORMAT}); move it away to start afresh"
            )
        assert isinstance(keys, Mapping) and isinstance(ports, Mapping)
        self._keys = {name: dict(jwk) for name, jwk in keys.items()}
        self._ports = dict(ports)

    # -- keys ----------------------------------------------------------------------------------------------

    def private_jwk(self, name: str, *, kind: str = "P-256") -> dict[str, Any]:
        """The saved private JWK of ``name``, or a new key of ``kind`` remembered for the next :meth:`save`.

        The result is a secret; its ``kid`` is not meaningful (the key id is ``<did>#key-1``).
        """
        jwk = self._keys.get(name)
        if jwk is None:
            jwk = generate_key(kind, key_id=f"{name}#key-1").private_jwk()
            self._keys[name] = jwk
        return dict(jwk)

    def signer(self, name: str, did: str, *, kind: str = "P-256") -> Signer:
        """A ``local`` signer of ``name``'s saved (or new) key, with key id ``<did>#key-1``.

        Raises:
            ConfigurationError: The saved key cannot be loaded.
        """
        jwk = {k: v for k, v in self.private_jwk(name, kind=kind).items() if k != "kid"}
        return load_signer("local", jwk=jwk, key_id=f"{did}#key-1")

    # -- ports ---------------------------------------------------------------------------------------------

    def port(self, role: str) -> int:
        """The saved port of ``role`` (e.g. :data:`HOST`, ``"provider"``), ``0`` when none is saved."""
        return self._ports.get(role, 0)

    def remember_port(self, role: str, port: int) -> None:
        """Remember the port ``role`` got (saved by :meth:`save`).

        Raises:
            ConfigurationError: Not a port number.
        """
        if type(port) is not int or not 0 < port < 65536:
            raise ConfigurationError(f"not a port number: {port!r}")
        self._ports[role] = port

    # -- file ----------------------------------------------------------------------------------------------

    def save(self) -> None:
        """Write the file atomically, readable by its owner only (mode 0600).

        Raises:
            ConfigurationError: The file cannot be written.
        """
        body = json.dumps({"format": _FORMAT, "ports": self._ports, "keys": self._keys}, indent=1)
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                handle.write(body)
            os.replace(temporary, self.path)
        except OSError as exc:
            temporary.unlink(missing_ok=True)
            raise ConfigurationError(f"the identity file {self.path} cannot be written: {exc}") from exc


def open_host(identities: IdentityFile, **options: Any) -> ParticipantHost:
    """A participant host on the saved port when it is free, else on a new one (remembered either way).

    On a new port every DID differs from the previous run's: stored agreements then name DIDs nobody
    serves any more. That is logged as a warning.

    Args:
        identities: The identity file.
        **options: Other :class:`ParticipantHost` arguments.

    Returns:
        The running host.

    Raises:
        ConfigurationError: No port at all can be bound.
    """
    saved = identities.port(HOST)
    host: ParticipantHost | None = None
    if saved:
        try:
            host = ParticipantHost(port=saved, **options)
        except ConfigurationError as exc:
            _log.warning("port %d of the previous sandbox is taken; its DIDs change: %s", saved, exc)
    if host is None:
        host = ParticipantHost(**options)
    identities.remember_port(HOST, host.port)
    return host


def serve_provider(identities: IdentityFile, connector: ProviderConnector) -> LoopbackServer:
    """Serve the connector on its saved port when it is free, else on a new one (remembered either way).

    Returns:
        The running server.

    Raises:
        ConfigurationError: The connector is already served, or no port at all can be bound.
    """
    saved = identities.port(PROVIDER_PORT)
    server: LoopbackServer | None = None
    if saved:
        try:
            server = connector.serve(port=saved)
        except ConfigurationError as exc:
            _log.warning("port %d of the previous provider is taken; its address changes: %s", saved, exc)
    if server is None:
        server = connector.serve()
    identities.remember_port(PROVIDER_PORT, server.port)
    return server
