"""EDC interop mode of the sandbox provider: accept the tokens of EDC's mock identity service (``iam-mock``).

Eclipse EDC built with ``iam-mock`` (as in the SDK's ``tests/edc`` runtimes) authenticates DSP requests with a
plain JSON object as the whole ``Authorization`` value, no scheme, no signature::

    {"region": "eu", "audience": "<counterPartyAddress>", "clientId": "<participant id>"}

and it reads the same kind of token on the callbacks it receives (``Bearer <token>`` makes it fail with 500).
:class:`IamMockProvider` runs the sandbox provider (a :class:`~d4h_sdk.sandbox._provider.ProviderConnector`
with its own participant host) so that such an EDC can negotiate and transfer from it:

* :class:`IamMockAuthenticator` replaces the DCP check: it accepts a mock token of the configured region and
  takes the requester's id from ``clientId`` (no claims: the datasets must have open offers);
* :class:`IamMockCallbackSender` signs the provider's callbacks with a mock token naming the provider's DID
  and, over DSP 2024/1, writes a negotiation event's ``dspace:eventType`` as a node (see
  :func:`edc_2024_event_type`);
* the provider's pull data addresses also name the EDR properties by EDC IRI (EDC's EDR keeps only those);
* :func:`open_dataset` builds a dataset with one open ``use`` offer and a small JSON payload.

**Interop tests only**: a mock token proves nothing about its sender. This never applies outside this module.

```python
with IamMockProvider() as provider:
    consumer_edc_catalog_request(counter_party_address=provider.dsp_url + "/2025-1",
                                 counter_party_id=provider.participant_id)
```
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from functools import partial
from types import TracebackType
from typing import Any

from d4h_sdk import wire
from d4h_sdk._http import HttpClient, HttpResponse
from d4h_sdk.errors import APIConnectionError, APITimeoutError, VerificationError
from d4h_sdk.health.healthdcat import AccessRights, HealthDatasetBuilder
from d4h_sdk.models.policy import Offer
from d4h_sdk.sandbox._callbacks import DEFAULT_DIALECT, CallbackSender
from d4h_sdk.sandbox._participants import Participant, ParticipantHost
from d4h_sdk.sandbox._provider import ProviderConnector
from d4h_sdk.sandbox._provider_flows import ProviderEngine
from d4h_sdk.sandbox._sm_common import SendCallback
from d4h_sdk.sandbox.synthetic import SandboxDataset
from d4h_sdk.sandbox.synthetic._payload import Payload

__all__ = [
    "IamMockAuthenticator",
    "IamMockCallbackSender",
    "IamMockProvider",
    "IamMockTokenSource",
    "edc_2024_event_type",
    "iam_mock_token",
    "open_dataset",
]

DEFAULT_REGION = "eu"
"""The region EDC's ``iam-mock`` puts into its tokens and demands of others (``edc.mock.region``)."""


def iam_mock_token(client_id: str, audience: str, *, region: str = DEFAULT_REGION) -> str:
    """The token EDC's ``iam-mock`` sends for ``client_id`` (the whole ``Authorization`` value)."""
    return json.dumps({"region": region, "audience": audience, "clientId": client_id}, separators=(",", ":"))


class IamMockTokenSource:
    """Mints ``iam-mock`` tokens for a consumer (a token source for ``DspConnector(token_scheme=None)``).

    Args:
        client_id: The participant id the tokens name (EDC takes the requester's identity from it).
        region: The region claim.
    """

    def __init__(self, client_id: str, *, region: str = DEFAULT_REGION) -> None:
        self.client_id = client_id
        self.region = region

    def __repr__(self) -> str:
        return f"IamMockTokenSource(client_id={self.client_id!r})"

    def issue(self, audience: str, *, scopes: Sequence[Any] = ()) -> str:
        """A mock token for ``audience`` (``scopes`` are ignored: the mock has none)."""
        return iam_mock_token(self.client_id, audience, region=self.region)


class IamMockAuthenticator:
    """Interop mode only: accepts ``iam-mock`` tokens of one region in place of the DCP check.

    A ``Bearer`` prefix is tolerated. The requester is the token's ``clientId``; no claims are returned.

    Args:
        region: The region a token must name.
    """

    def __init__(self, region: str = DEFAULT_REGION) -> None:
        self.region = region

    def __repr__(self) -> str:
        return f"IamMockAuthenticator(region={self.region!r})"

    def __call__(self, header: str | None) -> tuple[str, dict[str, Any]]:
        """Return the requester's id and no claims, or raise.

        Raises:
            VerificationError: No header, not a mock token, another region or no ``clientId``.
        """
        if not header:
            raise VerificationError("the request carries no Authorization header (an iam-mock token)")
        value = header[7:] if header[:7].lower() == "bearer " else header
        try:
            token = json.loads(value)
        except ValueError:
            raise VerificationError(
                "the Authorization header is not an iam-mock token (a JSON object)"
            ) from None
        if not isinstance(token, dict):
            raise VerificationError("the Authorization header is not an iam-mock token (a JSON object)")
        if token.get("region") != self.region:
            raise VerificationError(f"the iam-mock token's region is not {self.region!r}")
        client_id = token.get("clientId")
        if not isinstance(client_id, str) or not client_id:
            raise VerificationError("the iam-mock token names no clientId")
        return client_id, {}


_EVENT_TYPE_2024 = "dspace:eventType"


def edc_2024_event_type(body: dict[str, Any]) -> dict[str, Any]:
    """A DSP 2024/1 negotiation event with ``dspace:eventType`` written as a node, as EDC reads it.

    The 2024/1 schema and example write ``"dspace:eventType": "dspace:FINALIZED"``, but the official 2024/1
    context does not make ``dspace:eventType`` an IRI, so a JSON-LD reader sees the string literal
    ``dspace:FINALIZED``. EDC (0.14, 0.15) compares the value with the IRI
    ``https://w3id.org/dspace/2024/1/FINALIZED`` and answers 400 otherwise, leaving its negotiation VERIFIED.
    Written ``{"@id": "dspace:FINALIZED"}`` (what EDC itself sends) it expands to that IRI. Other bodies are
    returned unchanged. Interop mode only: the normal sandbox keeps the schema's form.
    """
    value = body.get(_EVENT_TYPE_2024)
    if isinstance(value, str) and str(body.get("@type", "")).endswith("ContractNegotiationEventMessage"):
        return {**body, _EVENT_TYPE_2024: {"@id": value}}
    return body


class IamMockCallbackSender(CallbackSender):
    """Sends the provider's callbacks with an ``iam-mock`` token (no scheme) naming the provider.

    Args:
        participant: The provider (its DID is the token's ``clientId``).
        http: The client (owned: closed by :meth:`close`).
        region: The region claim.
        attempts: Attempts on connection failures.
    """

    def __init__(
        self, participant: Participant, http: HttpClient, *, region: str = DEFAULT_REGION, attempts: int = 3
    ) -> None:
        super().__init__(participant, http, attempts=attempts)
        self._mock = IamMockTokenSource(participant.did, region=region)
        self._client = http

    def exchange(self, callback: SendCallback, *, dialect: str | None, audience: str | None) -> HttpResponse:
        """POST one message with a mock token and return the consumer's 2xx answer.

        Raises:
            APIConnectionError: The consumer could not be reached after every attempt.
            APIStatusError: The consumer answered with an error status.
        """
        body = wire.encode(callback.message, dialect=dialect or DEFAULT_DIALECT)
        if dialect == "dsp-2024-1":
            body = edc_2024_event_type(body)
        headers = {"Authorization": self._mock.issue(callback.url)}
        failures = 0
        while True:
            try:
                return self._client.post(callback.url, json=body, headers=headers)
            except APITimeoutError:
                raise
            except APIConnectionError:
                failures += 1
                if failures >= 3:
                    raise

    def close(self) -> None:
        """Wait for late callbacks, then close the HTTP client."""
        super().close()
        self._client.close()


def _engine(participant: Participant, region: str, **kwargs: Any) -> ProviderEngine:
    kwargs["sender"] = IamMockCallbackSender(
        participant, HttpClient(timeout=(2, 10), max_retries=0), region=region
    )
    engine = ProviderEngine(participant=participant, **kwargs)
    engine.edc_property_names = True
    return engine


def open_dataset(dataset_id: str, title: str, *, rows: int = 3) -> SandboxDataset:
    """A public dataset with one open ``use`` offer and a JSON payload ``{"dataset": id, "rows": [...]}``."""
    health = (
        HealthDatasetBuilder(f"urn:d4h:edc-interop:{dataset_id}", title=title, description=title)
        .set(access_rights=AccessRights.PUBLIC)
        .build()
    )
    offer = Offer.model_validate(
        {"@id": f"urn:d4h:edc-interop:offer:{dataset_id}", "permission": [{"action": "use"}]}
    )
    content = json.dumps({"dataset": dataset_id, "rows": list(range(1, rows + 1))}).encode()
    payload = Payload(f"{dataset_id}.json", "application/json", lambda: iter((content,)))
    return SandboxDataset(
        id=dataset_id,
        title=title,
        description=title,
        access_rights=AccessRights.PUBLIC,
        health=health,
        offers=(offer,),
        payloads=(payload,),
    )


class IamMockProvider:
    """The sandbox provider in EDC interop mode, served on loopback (started by the constructor).

    Args:
        datasets: What it publishes (default: ``interop-1`` .. ``interop-3`` from :func:`open_dataset`).
        region: The ``iam-mock`` region of the EDC peers.
        port: The provider's port (``0``: a free one).

    Attributes:
        host: The participant host (serves the provider's DID document).
        participant: The provider participant (``participant_id`` is its DID).
        connector: The provider connector.

    Raises:
        ConfigurationError: A server cannot start.
    """

    def __init__(
        self, datasets: Iterable[SandboxDataset] | None = None, *, region: str = DEFAULT_REGION, port: int = 0
    ) -> None:
        chosen = (
            list(datasets)
            if datasets is not None
            else [open_dataset(f"interop-{n}", f"EDC interop dataset {n}") for n in (1, 2, 3)]
        )
        self.host = ParticipantHost()
        self._connector: ProviderConnector | None = None
        try:
            self.participant: Participant = self.host.add_participant(
                "edc-interop-provider", membership=None, organization=None
            )
            self._connector = ProviderConnector(
                self.participant,
                chosen,
                authenticator=IamMockAuthenticator(region),
                engine_factory=partial(_engine, region=region),
            )
            self._connector.serve(port=port)
        except BaseException:
            self.close()
            raise

    def __repr__(self) -> str:
        url = self._connector.url if self._connector is not None else None
        return f"IamMockProvider(url={url!r})"

    @property
    def connector(self) -> ProviderConnector:
        """The provider connector."""
        assert self._connector is not None  # set by the constructor, which raises otherwise
        return self._connector

    @property
    def dsp_url(self) -> str:
        """The DSP root (``/.well-known/dspace-version`` below it; versions at ``/2025-1``, ``/2024-1``)."""
        return self.connector.url

    @property
    def participant_id(self) -> str:
        """The provider's participant id (its DID)."""
        return self.participant.did

    def close(self) -> None:
        """Stop the connector and the participant host (idempotent)."""
        if self._connector is not None:
            self._connector.close()
        self.host.stop()

    def __enter__(self) -> IamMockProvider:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
