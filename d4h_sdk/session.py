"""The :class:`Session`: the one object a participant holds — catalog, negotiations, transfers, provider.

```python
import d4h_sdk as d4h

with d4h.Session.sandbox() as s:                      # or Session.edc(url, api_key=...), Session.direct(...)
    research = d4h.purposes.SCIENTIFIC_RESEARCH
    hits = s.catalog.search(s.default_provider, text="diabetes", purpose=research)
    contract = s.negotiations.negotiate(hits[0], purpose=research)
    with s.transfers.pull(contract) as download:
        frame = download.to_pandas()
```

Configuration precedence: arguments > ``D4H_*`` environment variables > defaults (:class:`SessionConfig`).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

from d4h_sdk.config import SessionConfig
from d4h_sdk.connectors import Connector, Provider
from d4h_sdk.errors import ConfigurationError, StoreError

if TYPE_CHECKING:
    from d4h_sdk._http import HttpClient
    from d4h_sdk.catalog import CatalogClient
    from d4h_sdk.identity.dcp import Scope, SelfIssuedTokenSource
    from d4h_sdk.identity.signing import Signer
    from d4h_sdk.negotiation import Negotiations
    from d4h_sdk.provider import ProviderClient
    from d4h_sdk.sandbox import Sandbox
    from d4h_sdk.store import Store
    from d4h_sdk.transfer import Transfers

__all__ = ["Session", "SessionIdentity"]

Backend = Literal["edc", "dsp"]

_log = logging.getLogger("d4h_sdk.session")


class SessionIdentity:
    """Who the session acts as: the participant id, and (for direct DSP) how it authenticates.

    Attributes:
        participant_id: The participant's DID or id, when known.
        claims: The claims used for local policy checks (membership, organisation type, ...).
    """

    def __init__(
        self,
        participant_id: str | None,
        claims: Mapping[str, Any],
        token_source: SelfIssuedTokenSource | None = None,
    ) -> None:
        self.participant_id = participant_id
        self.claims = dict(claims)
        self._token_source = token_source

    def __repr__(self) -> str:
        return f"SessionIdentity(participant_id={self.participant_id!r}, claims={sorted(self.claims)})"

    def issue_token(self, audience: str, *, scopes: Sequence[str] = ()) -> str:
        """A self-issued ID token for ``audience`` (a provider DID), e.g. to call a DSP endpoint yourself.

        Raises:
            ConfigurationError: The session has no token source (an EDC session: the EDC authenticates).
        """
        if self._token_source is None:
            raise ConfigurationError(
                "this session has no signer: the EDC connector authenticates for it (use Session.direct(...) "
                "with a signer to issue tokens yourself)"
            )
        return self._token_source.issue(audience, scopes=scopes)


class Session:
    """A participant's session, with ``catalog``, ``negotiations``, ``transfers``, ``provider``, ``identity``.

    Build one with :meth:`edc` (your EDC's Management API), :meth:`direct` (DSP straight to providers),
    :meth:`sandbox` (an embedded data space), or ``Session(connector=...)`` with any
    :class:`~d4h_sdk.connectors.Connector`. Use it as a context manager (or call :meth:`close`).

    Args:
        connector: The connector backend.
        store: Where negotiations, agreements, transfers and EDRs are recorded (default: in memory; pass
            ``d4h_sdk.store.SqliteStore(path)`` to resume after a restart).
        config: Timeouts, polling and limits (default :meth:`SessionConfig.resolve`: environment + defaults).
        claims: Your claims for local policy checks (membership, organisation...).
        participant_id: Your participant id or DID.
        default_provider: The provider to use when a call names none (set by :meth:`sandbox`).
        event_hooks: HTTP event hooks of the data-plane client (``{"request": [...], "response": [...]}``).

    Attributes:
        config: The session's configuration.
        connector: The connector backend.
        store: The state store.
        identity: Who the session acts as.
        default_provider: The provider used when a call names none.
        sandbox_instance: The sandbox this session was opened on by :meth:`sandbox` (``None`` otherwise).

    Raises:
        ConfigurationError: ``connector`` is not a Connector, or an option is invalid.
    """

    def __init__(
        self,
        connector: Connector,
        *,
        store: Store | None = None,
        config: SessionConfig | None = None,
        claims: Mapping[str, Any] | None = None,
        participant_id: str | None = None,
        default_provider: Provider | None = None,
        event_hooks: Mapping[str, Sequence[Callable[..., None]]] | None = None,
        token_source: SelfIssuedTokenSource | None = None,
        _owned: Sequence[Any] = (),
        _owns_connector: bool = True,
    ) -> None:
        if not isinstance(connector, Connector):
            raise ConfigurationError(
                f"connector must implement d4h_sdk.connectors.Connector, got {type(connector).__name__}"
            )
        from d4h_sdk._http import HttpClient
        from d4h_sdk.store import MemoryStore

        self.config = config if config is not None else SessionConfig.resolve()
        self.connector = connector
        self.store: Store = store if store is not None else MemoryStore()
        self.identity = SessionIdentity(participant_id, claims or {}, token_source)
        self.default_provider = default_provider
        self.sandbox_instance: Sandbox | None = None  # set by Session.sandbox()
        self._event_hooks = event_hooks
        self._data_http = HttpClient(event_hooks=event_hooks, **self.config.http_options())
        self._owned = list(_owned)
        self._owns_connector = _owns_connector
        self._closed = False
        self._catalog: CatalogClient | None = None
        self._negotiations: Negotiations | None = None
        self._transfers: Transfers | None = None
        self._provider: ProviderClient | None = None
        self._owns_store = store is None

    def __repr__(self) -> str:
        return (
            f"Session(connector={self.connector.kind!r}, participant_id={self.identity.participant_id!r}, "
            f"store={type(self.store).__name__})"
        )

    # -- constructors ----------------------------------------------------------------------------------------

    @classmethod
    def edc(
        cls,
        management_url: str | None = None,
        *,
        api_key: str | None = None,
        auth: Any = None,
        api_version: Literal["v3", "v4"] | None = None,
        protocol: str | None = None,
        store: Store | None = None,
        config: SessionConfig | None = None,
        claims: Mapping[str, Any] | None = None,
        participant_id: str | None = None,
        event_hooks: Mapping[str, Sequence[Callable[..., None]]] | None = None,
        **options: Any,
    ) -> Session:
        """A session driving your EDC through its Management API (v3 for EDC 0.14, v4 for 0.17+).

        Args:
            management_url: The management API base (without ``/v3``); default ``$D4H_MANAGEMENT_URL``.
            api_key: The ``X-Api-Key``; default ``$D4H_API_KEY``.
            auth: Another ``requests`` auth object (e.g. ``ClientCredentialsAuth`` for OAuth2) instead.
            api_version: ``"v3"`` or ``"v4"``; default detected on first use.
            protocol: The DSP protocol id for providers (default DSP 2025-1).
            store: The state store (default in memory).
            config: A configuration; ``**options`` override its fields.
            claims: Your claims for local policy checks.
            participant_id: Your participant id.
            event_hooks: HTTP event hooks (management and data-plane clients).
            **options: :class:`SessionConfig` fields (``read_timeout=60``, ...).

        Raises:
            ConfigurationError: No management URL, both ``api_key`` and ``auth``, or a bad option.
        """
        from d4h_sdk.connectors import DSP_2025_1, EdcConnector

        resolved = _config(config, options)
        url = management_url or os.environ.get("D4H_MANAGEMENT_URL")
        if not url:
            raise ConfigurationError(
                "Session.edc needs the management API URL of your EDC: pass it or set D4H_MANAGEMENT_URL"
            )
        key = api_key if api_key is not None else (os.environ.get("D4H_API_KEY") if auth is None else None)
        return cls._over_http(
            lambda http: EdcConnector(
                url,
                api_key=key,
                auth=auth,
                api_version=api_version,
                protocol=protocol or DSP_2025_1,
                http=http,
            ),
            resolved,
            event_hooks=event_hooks,
            store=store,
            claims=claims,
            participant_id=participant_id,
        )

    @classmethod
    def direct(
        cls,
        *,
        participant_id: str,
        signer: Signer | None = None,
        token_source: SelfIssuedTokenSource | None = None,
        scopes: Sequence[Scope | str] = (),
        callback_host: str = "127.0.0.1",
        callback_port: int = 0,
        public_callback_url: str | None = None,
        store: Store | None = None,
        config: SessionConfig | None = None,
        claims: Mapping[str, Any] | None = None,
        event_hooks: Mapping[str, Sequence[Callable[..., None]]] | None = None,
        **options: Any,
    ) -> Session:
        """A session speaking DSP (2025-1, 2024-1) straight to providers, with a callback receiver.

        Args:
            participant_id: Your DID.
            signer: Your key (its key id ``<did>#<fragment>``): self-issued tokens are signed with it.
            token_source: Instead of ``signer``: any object with ``issue(audience, scopes=...)`` (e.g. a
                ``RemoteSts`` of your identity hub).
            scopes: DCP scopes requested in each token (the provider's presentation query).
            callback_host: The callback receiver's bind address.
            callback_port: Its port (0: a free one; fix it to resume negotiations after a restart).
            public_callback_url: The URL providers are told (behind NAT or an ingress).
            store: The state store (default in memory).
            config: A configuration; ``**options`` override its fields.
            claims: Your claims for local policy checks.
            event_hooks: HTTP event hooks.
            **options: :class:`SessionConfig` fields.

        Raises:
            ConfigurationError: Both ``signer`` and ``token_source`` (with neither, requests carry no token:
                only for providers that do not authenticate), or a bad option.
        """
        from d4h_sdk.connectors import DspConnector

        if signer is not None and token_source is not None:
            raise ConfigurationError("pass either signer or token_source, not both")
        resolved = _config(config, options)
        if signer is not None:
            from d4h_sdk.identity.dcp import SelfIssuedTokenIssuer

            token_source = SelfIssuedTokenIssuer(signer, participant_did=participant_id)
        return cls._over_http(
            lambda http: DspConnector(
                participant_id=participant_id,
                token_source=token_source,
                scopes=scopes,
                callback_host=callback_host,
                callback_port=callback_port,
                public_callback_url=public_callback_url,
                http=http,
            ),
            resolved,
            event_hooks=event_hooks,
            store=store,
            claims=claims,
            participant_id=participant_id,
            token_source=token_source,
        )

    @classmethod
    def _over_http(
        cls,
        make: Callable[[HttpClient], Connector],
        config: SessionConfig,
        *,
        event_hooks: Mapping[str, Sequence[Callable[..., None]]] | None,
        **session_options: Any,
    ) -> Session:
        """A session owning a new HTTP client (configured from ``config``) and the connector made over it."""
        from d4h_sdk._http import HttpClient

        http = HttpClient(event_hooks=event_hooks, **config.http_options())
        try:
            connector = make(http)
        except BaseException:
            http.close()
            raise
        return cls(connector, config=config, event_hooks=event_hooks, _owned=[http], **session_options)

    @classmethod
    def sandbox(
        cls,
        sandbox: Sandbox | None = None,
        *,
        participant: str = "research-lab",
        backend: Backend = "edc",
        api_version: Literal["v3", "v4"] = "v3",
        callback_port: int = 0,
        store: Store | None = None,
        config: SessionConfig | None = None,
        event_hooks: Mapping[str, Sequence[Callable[..., None]]] | None = None,
        seed: int = 0,
        patients: int = 200,
        **options: Any,
    ) -> Session:
        """A session as a participant of an embedded sandbox data space (started here unless you pass one).

        Args:
            sandbox: A running :class:`~d4h_sdk.sandbox.Sandbox` (not closed by the session); default a new
                one, closed with the session.
            participant: ``research-lab`` (an active member: granted), ``ad-company`` (refused), or
                ``hospital`` (the provider, to publish through ``session.provider``; ``backend="edc"`` only).
            backend: ``"edc"``: through the sandbox's EDC Management API facade (as with a real EDC);
                ``"dsp"``: DSP straight to the provider.
            api_version: The management API version of the ``edc`` backend: ``"v3"`` (EDC 0.14, as DS4H
                runs) or ``"v4"`` (EDC 0.17+).
            callback_port: The callback port of the ``dsp`` backend (0: a free one; fix it to resume
                a negotiation in a later session).
            store: The state store (default in memory).
            config: A configuration; ``**options`` override its fields.
            event_hooks: HTTP event hooks.
            seed: Seed of the synthetic data (new sandbox only).
            patients: Patients per synthetic cohort (new sandbox only).
            **options: :class:`SessionConfig` fields.

        Raises:
            ConfigurationError: An unknown participant or backend, or a bad option.
        """
        from d4h_sdk._claims import claims_from_credentials
        from d4h_sdk.sandbox import Sandbox

        if backend not in ("edc", "dsp"):
            raise ConfigurationError(f"backend must be 'edc' or 'dsp', got {backend!r}")
        owned: list[Any] = []
        if sandbox is None:
            sandbox = Sandbox(seed=seed, patients=patients)
            owned.append(sandbox)
        try:
            member = sandbox.participants.get(participant)
            if member is None:
                raise ConfigurationError(
                    f"unknown sandbox participant {participant!r}; use one of {sorted(sandbox.participants)}"
                )
            if member is sandbox.provider and backend != "edc":
                raise ConfigurationError(
                    f"{participant!r} is the provider: it publishes through its EDC management API, "
                    "open it with backend='edc'"
                )
            claims = claims_from_credentials(member.credentials)
            provider = Provider(sandbox.provider_url, participant_id=sandbox.provider.did)
            if backend == "edc":
                session = cls.edc(
                    sandbox.management_url(participant),
                    api_key=sandbox.management_api_key(participant),
                    api_version=api_version,
                    store=store,
                    config=config,
                    claims=claims,
                    participant_id=member.did,
                    event_hooks=event_hooks,
                    **options,
                )
            else:
                from d4h_sdk.sandbox._authority import DS4H_SCOPES

                session = cls.direct(
                    participant_id=member.did,
                    token_source=member.sts,
                    scopes=DS4H_SCOPES,
                    callback_port=callback_port,
                    store=store,
                    config=config,
                    claims=claims,
                    event_hooks=event_hooks,
                    **options,
                )
        except BaseException:
            for item in owned:
                item.close()
            raise
        session.default_provider = provider
        session._owned.extend(owned)
        session.sandbox_instance = sandbox
        return session

    # -- sub-clients -----------------------------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise ConfigurationError("this session is closed; open a new one")

    @property
    def catalog(self) -> CatalogClient:
        """Discovery: ``search``, ``datasets``, ``get``, ``federated``."""
        self._check_open()
        if self._catalog is None:
            from d4h_sdk.catalog import CatalogClient

            self._catalog = CatalogClient(
                self.connector, max_workers=self.config.max_workers, claims=self.identity.claims
            )
        return self._catalog

    @property
    def negotiations(self) -> Negotiations:
        """Contract negotiations: ``negotiate``, ``start``, ``get``, ``wait``, ``terminate``, ``resume``."""
        self._check_open()
        if self._negotiations is None:
            from d4h_sdk.negotiation import Negotiations

            self._negotiations = Negotiations(
                self.connector,
                self.store,
                claims=self.identity.claims,
                poll=self._poll_policy(),
                default_timeout=self.config.negotiation_timeout,
            )
        return self._negotiations

    @property
    def transfers(self) -> Transfers:
        """Transfers: ``pull`` (a :class:`~d4h_sdk.transfer.Download`), ``push``, ``suspend``..."""
        self._check_open()
        if self._transfers is None:
            from d4h_sdk.transfer import Transfers

            self._transfers = Transfers(
                self.connector,
                self.store,
                data_http=self._data_http,
                poll=self._poll_policy(),
                default_timeout=self.config.transfer_timeout,
                refresh_margin=self.config.edr_refresh_margin,
                max_download_bytes=self.config.max_download_bytes,
                resolve_contract=lambda agreement_id: self.negotiations.contract(agreement_id),
            )
        return self._transfers

    @property
    def provider(self) -> ProviderClient:
        """Publishing as a provider: ``publish``, ``unpublish``, ``list``."""
        self._check_open()
        if self._provider is None:
            from d4h_sdk.provider import ProviderClient

            self._provider = ProviderClient(self.connector)
        return self._provider

    def _poll_policy(self) -> Any:
        from d4h_sdk.negotiation import PollPolicy

        return PollPolicy(
            initial=self.config.poll_initial, factor=self.config.poll_factor, maximum=self.config.poll_max
        )

    # -- options and lifetime --------------------------------------------------------------------------------

    def with_options(self, **changes: Any) -> Session:
        """A session sharing this one's connector and store, with some configuration fields changed.

        The derived session does not own the connector: closing it leaves this session working.

        Raises:
            ConfigurationError: An unknown or invalid option.
        """
        self._check_open()
        derived = Session(
            self.connector,
            store=self.store,
            config=self.config.replace(**changes),
            claims=self.identity.claims,
            participant_id=self.identity.participant_id,
            default_provider=self.default_provider,
            event_hooks=self._event_hooks,
            token_source=self.identity._token_source,
            _owns_connector=False,
        )
        derived.sandbox_instance = self.sandbox_instance
        return derived

    def close(self) -> None:
        """Close the connector (when owned), HTTP clients, an owned store and sandbox (idempotent)."""
        if self._closed:
            return
        self._closed = True
        if self._owns_connector:
            self.connector.close()  # first: no callback can change a process after its state is saved
        if self._negotiations is not None:
            try:
                self._negotiations.save_pending()
            except StoreError as exc:  # the caller closed its own store first: say what is lost
                _log.warning("unfinished negotiations not saved on close: %s", exc)
        self._data_http.close()
        if self._owns_store:
            self.store.close()
        for item in reversed(self._owned):
            item.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _config(config: SessionConfig | None, options: Mapping[str, Any]) -> SessionConfig:
    if config is None:
        return SessionConfig.resolve(**options)
    return config.replace(**options) if options else config
