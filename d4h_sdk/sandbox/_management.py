"""The sandbox's EDC Management API facades (v3 and v4), one per participant, on one loopback server.

Each participant's API lives under ``<server>/<name>/api/management`` (so ``.../v3/catalog/request``,
``.../v4/contractnegotiations``...) and requires its own ``X-Api-Key``:

* consumers (``research-lab``, ``ad-company``): catalog, negotiations, agreements, transfers and the v3 EDR
  API, translated onto a :class:`~d4h_sdk.connectors.DspConnector` (created on first use) by
  :class:`~d4h_sdk.sandbox._management_consumer.ConsumerManagement`;
* the provider (``hospital``): assets, policy definitions and contract definitions, published into the
  sandbox provider connector by :class:`~d4h_sdk.sandbox._management_provider.ProviderManagement`.

So ``Session.edc(ds.management_url("research-lab"), api_key=ds.management_api_key("research-lab"))``
drives the sandbox exactly as it would drive an EDC connector.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from types import TracebackType

from d4h_sdk.errors import ConfigurationError
from d4h_sdk.sandbox._http_server import LoopbackServer, Router
from d4h_sdk.sandbox._management_consumer import ConsumerManagement
from d4h_sdk.sandbox._management_provider import ProviderManagement
from d4h_sdk.sandbox._management_routes import Route, not_found_fallback, register_routes

__all__ = ["MANAGEMENT_PATH", "ManagementServer"]

MANAGEMENT_PATH = "/api/management"
"""Path of each participant's management base below ``/<name>``."""


class ManagementServer:
    """Serves every participant's management facade on one :class:`LoopbackServer`.

    Add facades with :meth:`add_consumer` / :meth:`add_provider`, then :meth:`serve`.
    """

    def __init__(self) -> None:
        self._router = Router()
        self._keys: dict[str, str] = {}
        self._consumers: dict[str, ConsumerManagement] = {}
        self._providers: dict[str, ProviderManagement] = {}
        self._server: LoopbackServer | None = None
        self._lock = threading.Lock()

    def _add(self, name: str, routes: list[Route], api_key: str | None) -> None:
        if name in self._keys:
            raise ConfigurationError(f"participant {name!r} already has a management API")
        if "/" in name or not name:
            raise ConfigurationError(f"not a participant name for a URL path: {name!r}")
        self._keys[name] = api_key or secrets.token_urlsafe(18)
        key: Callable[[], str] = lambda: self._keys[name]  # noqa: E731
        prefix = f"/{name}{MANAGEMENT_PATH}"
        register_routes(self._router, prefix, routes, key)
        not_found_fallback(self._router, prefix, key)

    def add_consumer(self, name: str, facade: ConsumerManagement, *, api_key: str | None = None) -> None:
        """Serve a consumer facade under ``/<name>/api/management`` (a random API key by default).

        Raises:
            ConfigurationError: The name is taken or not usable in a path.
        """
        self._add(name, facade.routes(), api_key)
        self._consumers[name] = facade

    def add_provider(self, name: str, facade: ProviderManagement, *, api_key: str | None = None) -> None:
        """Serve a provider facade under ``/<name>/api/management`` (a random API key by default).

        Raises:
            ConfigurationError: The name is taken or not usable in a path.
        """
        self._add(name, facade.routes(), api_key)
        self._providers[name] = facade

    def serve(self) -> LoopbackServer:
        """Start serving on ``127.0.0.1`` (a free port).

        Raises:
            ConfigurationError: Already serving, or the port cannot be bound.
        """
        with self._lock:
            if self._server is not None:
                raise ConfigurationError("the management server is already serving")
            self._server = LoopbackServer(self._router, name="management")
            return self._server

    def _known(self, name: str) -> None:
        if name not in self._keys:
            raise ConfigurationError(
                f"no management API for {name!r}; participants with one: {', '.join(sorted(self._keys))}"
            )

    def url(self, name: str) -> str:
        """The management base URL of ``name`` (without ``/v3``).

        Raises:
            ConfigurationError: Unknown participant, or not serving.
        """
        self._known(name)
        if self._server is None:
            raise ConfigurationError("the management server is not serving; call serve() first")
        return f"{self._server.url}/{name}{MANAGEMENT_PATH}"

    def api_key(self, name: str) -> str:
        """The ``X-Api-Key`` of ``name``'s management API.

        Raises:
            ConfigurationError: Unknown participant.
        """
        self._known(name)
        return self._keys[name]

    def consumer(self, name: str) -> ConsumerManagement:
        """The consumer facade of ``name``.

        Raises:
            ConfigurationError: ``name`` has no consumer facade.
        """
        found = self._consumers.get(name)
        if found is None:
            raise ConfigurationError(
                f"{name!r} has no consumer management API; consumers: {', '.join(sorted(self._consumers))}"
            )
        return found

    @property
    def names(self) -> list[str]:
        """Participants with a management API, sorted."""
        return sorted(self._keys)

    def close(self) -> None:
        """Stop the server and close every consumer's connector (idempotent)."""
        with self._lock:
            server, self._server = self._server, None
        if server is not None:
            server.stop()
        for facade in self._consumers.values():
            facade.close()

    def __enter__(self) -> ManagementServer:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
