"""TCK mode of the sandbox provider: the behaviour the Eclipse DSP TCK expects of a provider under test.

The DSP TCK (eclipse-dataspacetck/dsp-tck) plays the consumer and cannot tell the provider what to do: the
provider must script its own moves, chosen by the dataset id (contract negotiation) or the agreement id
(transfer process) that the TCK configuration gives each scenario. :class:`TckProvider` runs the sandbox
provider (a :class:`~d4h_sdk.sandbox._provider.ProviderConnector` with its own participant host) with:

* datasets ``CAT0101``, ``CAT0102`` (catalog scenarios; ``CAT0103`` deliberately absent) and ``ACN0101`` ..
  ``ACN0304``, one per contract negotiation scenario, each with the single offer ``CD123:<dataset>:456``;
* agreements ``ATP0101`` .. ``ATP0306``, one per transfer scenario, already finalized;
* :class:`TckEngine`, the provider's scripted reactions (:data:`NEGOTIATION_SCRIPTS`,
  :data:`TRANSFER_SCRIPTS`), each step after a short pause so that the TCK has registered its next handler;
* **TCK authentication only**: the TCK does not speak DCP; it sends the ``Authorization`` header of its
  configuration, a random secret :class:`TckProvider` generates. :class:`TckAuthenticator` accepts exactly
  that value, in place of the DCP presentation check. This never applies outside this module.

:meth:`TckProvider.properties` writes the TCK configuration (URLs, secret, callback address, ids).

```python
with TckProvider() as cut:
    props = cut.properties(callback_port=8083)   # -> tck.properties for TckRuntime
```
"""

from __future__ import annotations

import hmac
import secrets
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from types import TracebackType
from typing import Any

from d4h_sdk.errors import VerificationError
from d4h_sdk.health.healthdcat import AccessRights, HealthDatasetBuilder
from d4h_sdk.models.negotiation import NegotiationState
from d4h_sdk.models.policy import Agreement, Offer
from d4h_sdk.sandbox import _negotiation_sm as nsm
from d4h_sdk.sandbox import _transfer_sm as tsm
from d4h_sdk.sandbox._participants import Participant, ParticipantHost
from d4h_sdk.sandbox._provider import ProviderConnector
from d4h_sdk.sandbox._provider_flows import ProviderEngine
from d4h_sdk.sandbox.synthetic import SandboxDataset
from d4h_sdk.sandbox.synthetic._payload import Payload

__all__ = [
    "CATALOG_DATASETS",
    "NEGOTIATION_SCRIPTS",
    "TCK_PARTICIPANT",
    "TRANSFER_SCRIPTS",
    "NegotiationScript",
    "TckAuthenticator",
    "TckEngine",
    "TckProvider",
    "tck_datasets",
]

TCK_PARTICIPANT = "TCK_PARTICIPANT"
"""The participant id the TCK uses for itself (the counterparty of every TCK process)."""

TRANSFER_DATASET = "ATP-DATA"
"""The dataset the seeded transfer agreements are about."""

_USE = ({"action": "use"},)
_TCK_CODE = "TCK_SCENARIO"


@dataclass(frozen=True)
class NegotiationScript:
    """The provider's moves in one contract negotiation scenario.

    Each attribute lists the moves (``offer``, ``agree``, ``finalize``, ``terminate``) to make, in order,
    after the consumer's message of that kind; an empty tuple means "wait".

    Attributes:
        on_request: After the initial ContractRequestMessage.
        on_counter: After a counter ContractRequestMessage.
        on_accepted: After the ACCEPTED event.
        on_verified: After the agreement verification.
    """

    on_request: tuple[str, ...] = ()
    on_counter: tuple[str, ...] = ()
    on_accepted: tuple[str, ...] = ()
    on_verified: tuple[str, ...] = ("finalize",)


NEGOTIATION_SCRIPTS: dict[str, NegotiationScript] = {
    "CN_01_01": NegotiationScript(on_request=("offer",)),
    "CN_01_02": NegotiationScript(on_request=("offer",), on_counter=("terminate",)),
    "CN_01_03": NegotiationScript(on_request=("offer",), on_accepted=("agree",)),
    "CN_01_04": NegotiationScript(on_request=("agree",)),
    "CN_02_01": NegotiationScript(on_request=("terminate",)),
    "CN_02_02": NegotiationScript(),
    "CN_02_03": NegotiationScript(on_request=("agree",)),
    "CN_02_04": NegotiationScript(on_request=("offer",)),
    "CN_02_05": NegotiationScript(on_request=("offer", "terminate")),
    "CN_02_06": NegotiationScript(on_request=("offer",), on_accepted=("terminate",)),
    "CN_02_07": NegotiationScript(on_request=("agree",), on_verified=("terminate",)),
    "CN_03_01": NegotiationScript(on_request=("agree",)),
    "CN_03_02": NegotiationScript(on_request=("offer",)),
    "CN_03_03": NegotiationScript(on_request=("offer",)),
    "CN_03_04": NegotiationScript(on_request=("offer",)),
}
"""Provider-role contract negotiation scenarios (the TCK's ``CN:xx-yy``) -> the provider's moves."""

TRANSFER_SCRIPTS: dict[str, tuple[str, ...]] = {
    "TP_01_01": ("start", "terminate"),
    "TP_01_02": ("start", "complete"),
    "TP_01_03": ("start", "suspend", "terminate"),
    "TP_01_04": ("start", "suspend", "start", "complete"),
    "TP_01_05": ("terminate",),
    "TP_02_01": ("start",),
    "TP_02_02": ("start",),
    "TP_02_03": ("start",),
    "TP_02_04": ("start",),
    "TP_02_05": (),
    "TP_03_01": (),
    "TP_03_02": (),
    "TP_03_03": ("start",),
    "TP_03_04": ("start",),
    "TP_03_05": ("start",),
    "TP_03_06": ("start",),
}
"""Provider-role transfer scenarios (``TP:xx-yy``) -> the provider's moves after the transfer request."""

CATALOG_DATASETS: dict[str, str] = {"CAT_01_01": "CAT0101", "CAT_01_02": "CAT0102", "CAT_01_03": "CAT0103"}
"""Catalog scenarios -> dataset id (``CAT0103`` is the one that must not exist)."""


def _digits(scenario: str) -> str:
    return "".join(part for part in scenario.split("_")[1:])


def negotiation_dataset(scenario: str) -> str:
    """The dataset id of a CN scenario (``CN_01_02`` -> ``ACN0102``)."""
    return f"ACN{_digits(scenario)}"


def negotiation_offer(dataset_id: str) -> str:
    """The offer id of a negotiation dataset (``CD123:ACN0102:456``, the TCK sample's form)."""
    return f"CD123:{dataset_id}:456"


def transfer_agreement(scenario: str) -> str:
    """The agreement id of a TP scenario (``TP_01_05`` -> ``ATP0105``)."""
    return f"ATP{_digits(scenario)}"


def _dataset(dataset_id: str, title: str, offer_id: str) -> SandboxDataset:
    health = (
        HealthDatasetBuilder(
            f"urn:d4h:tck:dataset:{dataset_id}", title=title, description=f"DSP TCK test dataset {dataset_id}"
        )
        .set(access_rights=AccessRights.PUBLIC)
        .build()
    )
    offer = Offer.model_validate({"@id": offer_id, "permission": list(_USE)})
    payload = Payload("tck.txt", "text/plain", lambda: iter((f"TCK data {dataset_id}\n".encode(),)))
    return SandboxDataset(
        id=dataset_id,
        title=title,
        description=f"DSP TCK test dataset {dataset_id}",
        access_rights=AccessRights.PUBLIC,
        health=health,
        offers=(offer,),
        payloads=(payload,),
    )


def tck_datasets() -> list[SandboxDataset]:
    """The datasets of the TCK mode: catalog, negotiation and transfer datasets (open ``use`` offers)."""
    found = [_dataset(ds, f"TCK catalog {ds}", f"urn:d4h:tck:offer:{ds}") for ds in ("CAT0101", "CAT0102")]
    for scenario in NEGOTIATION_SCRIPTS:
        dataset_id = negotiation_dataset(scenario)
        found.append(_dataset(dataset_id, f"TCK {scenario}", negotiation_offer(dataset_id)))
    found.append(_dataset(TRANSFER_DATASET, "TCK transfers", f"urn:d4h:tck:offer:{TRANSFER_DATASET}"))
    return found


class TckAuthenticator:
    """TCK mode only: accepts the one ``Authorization`` value configured in the TCK, instead of DCP.

    Args:
        secret: The exact header value the TCK sends (never logged or shown in a repr).
    """

    def __init__(self, secret: str) -> None:
        self._secret = secret.encode()

    def __repr__(self) -> str:
        return "TckAuthenticator(secret=<hidden>)"

    def __call__(self, header: str | None) -> tuple[str, dict[str, Any]]:
        """Return the TCK participant id and no claims, or raise.

        Raises:
            VerificationError: The header is missing or not the configured value.
        """
        if header is None or not hmac.compare_digest(header.encode(), self._secret):
            raise VerificationError("the request does not carry the TCK's configured Authorization header")
        return TCK_PARTICIPANT, {}


class TckEngine(ProviderEngine):
    """The provider engine with the scripted reactions of the TCK scenarios.

    Processes of other datasets and agreements keep the normal sandbox behaviour.

    Args:
        step_delay_s: The pause before each scripted move.
        **kwargs: The :class:`ProviderEngine` arguments.
    """

    def __init__(self, *, step_delay_s: float = 0.3, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.step_delay_s = step_delay_s
        self._stop = threading.Event()
        self._negotiations = {negotiation_dataset(s): script for s, script in NEGOTIATION_SCRIPTS.items()}
        self._transfers = {transfer_agreement(s): steps for s, steps in TRANSFER_SCRIPTS.items()}

    def close(self) -> None:
        """Cut the pending pauses short and stop the workers."""
        self._stop.set()
        super().close()

    # -- negotiation ---------------------------------------------------------------------------------------

    def negotiation_effects(self, effects: Iterable[nsm.Effect], claims: Mapping[str, Any]) -> None:
        """Run the scenario's moves for scripted datasets; the sandbox behaviour for the others."""
        for effect in effects:
            moves = self._scripted_negotiation(effect)
            if moves is None:
                super().negotiation_effects((effect,), claims)
            elif moves[1]:
                self.submit(self._run_negotiation, *moves)

    def _scripted_negotiation(self, effect: nsm.Effect) -> tuple[str, tuple[str, ...]] | None:
        """The negotiation and the scripted moves answering this effect; ``None`` when not scripted."""
        if isinstance(effect, nsm.EvaluatePolicy):
            script = self._negotiations.get(effect.dataset_id or "")
            if script is None:
                return None
            return effect.provider_pid, script.on_request if effect.initial else script.on_counter
        if isinstance(effect, nsm.StateChanged) and effect.state in (
            NegotiationState.ACCEPTED,
            NegotiationState.VERIFIED,
        ):
            record = self._store.get_negotiation(effect.provider_pid)
            script = self._negotiations.get(record.dataset_id or "") if record is not None else None
            if script is None:
                return None
            accepted = effect.state is NegotiationState.ACCEPTED
            return effect.provider_pid, script.on_accepted if accepted else script.on_verified
        return None

    def _run_negotiation(self, provider_pid: str, moves: tuple[str, ...]) -> None:
        for move in moves:
            if self._stop.wait(self.step_delay_s):
                return
            self.negotiation_move(provider_pid, self._negotiation_step(move))

    def _negotiation_step(
        self, move: str
    ) -> Callable[[nsm.NegotiationRecord], nsm.Step[nsm.NegotiationRecord]]:
        if move == "offer":
            return lambda r: nsm.offer(r, self._offer_of(r), provider_address=self.dsp_base(r.dialect))
        if move == "agree":
            return lambda r: nsm.agree(r, self._agreement_for(r), provider_address=self.dsp_base(r.dialect))
        if move == "finalize":
            return nsm.finalize
        return lambda r: nsm.terminate(r, _TCK_CODE, ("terminated by the provider (TCK scenario)",))

    def _offer_of(self, record: nsm.NegotiationRecord) -> Offer:
        dataset = self._registry.get(record.dataset_id)
        assert dataset is not None  # scripted datasets are published by TckProvider
        return dataset.offers[0].model_copy(update={"assigner": self._participant.did})

    def _agreement_for(self, record: nsm.NegotiationRecord) -> Agreement:
        offer = self._offer_of(record)
        return Agreement(
            id=nsm.new_pid(),
            target=record.dataset_id,
            assigner=self._participant.did,
            assignee=record.counterparty or TCK_PARTICIPANT,
            permission=offer.permission,
        )

    # -- transfer ------------------------------------------------------------------------------------------

    def transfer_effects(self, effects: Iterable[nsm.Effect]) -> None:
        """Run the scenario's moves for scripted agreements; the sandbox behaviour for the others."""
        rest: list[nsm.Effect] = []
        for effect in effects:
            if isinstance(effect, nsm.CheckAgreement) and effect.agreement_id in self._transfers:
                moves = self._transfers[effect.agreement_id]
                if moves:
                    self.submit(self._run_transfer, effect.provider_pid, moves)
            else:
                rest.append(effect)
        super().transfer_effects(rest)

    def _run_transfer(self, provider_pid: str, moves: tuple[str, ...]) -> None:
        for move in moves:
            if self._stop.wait(self.step_delay_s):
                return
            self.transfer_move(provider_pid, self._transfer_step(move))
            if move == "start":
                self._revocations.reinstate(provider_pid)

    def _transfer_step(self, move: str) -> Callable[[tsm.TransferRecord], nsm.Step[tsm.TransferRecord]]:
        reasons = (f"{move} by the provider (TCK scenario)",)
        if move == "start":
            return lambda r: tsm.start(r, self._pull_address(r) if r.kind == "pull" else None)
        if move == "suspend":
            return lambda r: tsm.suspend(r, _TCK_CODE, reasons)
        if move == "complete":
            return tsm.complete
        return lambda r: tsm.terminate(r, _TCK_CODE, reasons)


def _seed_agreements(connector: ProviderConnector, assignee: str) -> None:
    """Store a finalized negotiation per TP agreement id (what a real consumer would have negotiated)."""
    for scenario in TRANSFER_SCRIPTS:
        agreement = Agreement(
            id=transfer_agreement(scenario),
            target=TRANSFER_DATASET,
            assigner=connector.participant.did,
            assignee=assignee,
            permission=_USE,
            timestamp="2025-01-01T00:00:00Z",
        )
        record = nsm.NegotiationRecord(
            provider_pid=nsm.new_pid(),
            consumer_pid=nsm.new_pid(),
            callback_address="http://127.0.0.1:9/unused",
            state=NegotiationState.FINALIZED,
            dataset_id=TRANSFER_DATASET,
            agreement=agreement,
            counterparty=assignee,
            dialect="dsp-2025-1",
        )
        connector.store.save_negotiation(record)
        connector.store.save_agreement(agreement, provider_pid=record.provider_pid)


class TckProvider:
    """The sandbox provider in TCK mode, served on loopback (started by the constructor).

    Args:
        secret: The ``Authorization`` value the TCK will send; default a fresh random one.
        step_delay_s: The pause before each scripted provider move.
        port: The provider's port (``0``: a free one).

    Attributes:
        host: The participant host (serves the provider's DID document).
        participant: The provider participant.
        connector: The provider connector.

    Raises:
        ConfigurationError: A server cannot start.
    """

    def __init__(self, *, secret: str | None = None, step_delay_s: float = 0.3, port: int = 0) -> None:
        self._secret = secret if secret is not None else secrets.token_urlsafe(24)
        self.host = ParticipantHost()
        self._connector: ProviderConnector | None = None
        try:
            self.participant: Participant = self.host.add_participant(
                "tck-provider", membership=None, organization=None
            )
            self._connector = ProviderConnector(
                self.participant,
                tck_datasets(),
                page_size=200,
                authenticator=TckAuthenticator(self._secret),
                engine_factory=partial(TckEngine, step_delay_s=step_delay_s),
            )
            _seed_agreements(self._connector, TCK_PARTICIPANT)
            self._connector.serve(port=port)
        except BaseException:
            self.close()
            raise

    def __repr__(self) -> str:
        url = self._connector.url if self._connector is not None else None
        return f"TckProvider(url={url!r})"

    @property
    def connector(self) -> ProviderConnector:
        """The provider connector."""
        assert self._connector is not None  # set by the constructor, which raises otherwise
        return self._connector

    def properties(
        self,
        *,
        callback_port: int,
        callback_host: str = "127.0.0.1",
        wait_s: int = 15,
        debug: bool = False,
    ) -> dict[str, str]:
        """The TCK configuration for this provider (provider-role scenarios).

        Args:
            callback_port: The port of the TCK's callback server.
            callback_host: The interface it listens on (also used in the callback address).
            wait_s: The TCK's wait per step, in seconds.
            debug: The TCK's debug output.

        Returns:
            Keys and values for a ``.properties`` file (they contain the TCK secret: keep the file private).
        """
        root = self.connector.url
        props = {
            "dataspacetck.debug": str(debug).lower(),
            "dataspacetck.dsp.local.connector": "false",
            "dataspacetck.host": callback_host,
            "dataspacetck.port": str(callback_port),
            "dataspacetck.callback.address": f"http://{callback_host}:{callback_port}",
            "dataspacetck.dsp.connector.agent.id": self.participant.did,
            "dataspacetck.dsp.connector.http.url": self.connector.dsp_url("2025-1"),
            "dataspacetck.dsp.connector.http.base.url": root,
            "dataspacetck.dsp.connector.http.headers.authorization": self._secret,
            # Consumer-role webhooks: not served by the provider (required keys of the TCK launcher).
            "dataspacetck.dsp.connector.negotiation.initiate.url": f"{root}/tck/negotiations/requests",
            "dataspacetck.dsp.connector.transfer.initiate.url": f"{root}/tck/transfers/requests",
            "dataspacetck.dsp.default.wait": str(wait_s),
        }
        props.update(dict(_scenario_ids()))
        return props

    def close(self) -> None:
        """Stop the connector and the participant host (idempotent)."""
        if self._connector is not None:
            self._connector.close()
        self.host.stop()

    def __enter__(self) -> TckProvider:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _scenario_ids() -> Iterator[tuple[str, str]]:
    for scenario, dataset_id in CATALOG_DATASETS.items():
        yield f"{scenario}_DATASETID", dataset_id
    for scenario in NEGOTIATION_SCRIPTS:
        dataset_id = negotiation_dataset(scenario)
        yield f"{scenario}_DATASETID", dataset_id
        yield f"{scenario}_OFFERID", negotiation_offer(dataset_id)
    for scenario in TRANSFER_SCRIPTS:
        yield f"{scenario}_AGREEMENTID", transfer_agreement(scenario)
        yield f"{scenario}_FORMAT", "HttpData-PULL"
