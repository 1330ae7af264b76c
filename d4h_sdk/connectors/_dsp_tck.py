"""Consumer-under-test mode of :class:`~d4h_sdk.connectors.DspConnector` for the Eclipse DSP TCK.

In its consumer-role scenarios (``CN_C``, ``TP_C``) the DSP TCK (eclipse-dataspacetck/dsp-tck) plays the
provider. It starts each negotiation or transfer through one of two plain-JSON webhooks of the connector
under test, then exchanges DSP messages with it and reads the consumer's state back. It cannot tell the
consumer what to do next: the consumer scripts its own moves, chosen by the dataset id (negotiation) or the
agreement id (transfer) the TCK configuration gives each scenario. :class:`TckConsumer` serves:

* the webhooks ``POST /tck/negotiations/requests`` (``{"providerId", "offerId", "datasetId",
  "connectorAddress"}``: the consumer requests ``offerId`` for ``datasetId`` at ``connectorAddress``) and
  ``POST /tck/transfers/requests`` (``{"providerId", "agreementId", "format", "connectorAddress"}``),
  answered 200 at once while the DSP work runs in a worker;
* :class:`TckDspConnector`, a strict :class:`~d4h_sdk.connectors.DspConnector` (a FINALIZED event before the
  verification is refused, as the DSP state machine says) whose reactions to the provider's offers,
  agreements and transfer starts follow :data:`NEGOTIATION_SCRIPTS` / :data:`TRANSFER_SCRIPTS`, each move
  after a short pause so that the TCK has registered its handler for it; processes of other datasets and
  agreements keep the connector's normal behaviour;
* the agreements ``ATPC0101`` .. ``ATPC0306`` (one per transfer scenario), held as if negotiated earlier;
* **TCK authentication only**: the TCK does not speak DCP; it sends the ``Authorization`` header of its
  configuration, a random secret :class:`TckConsumer` generates, on webhooks and callbacks. Only that value is
  accepted, in place of a DCP check; this never applies outside this module. (The TCK checks no credential on
  the messages it receives, so the connector sends none.)

```python
with TckConsumer() as cut:
    props = cut.properties(callback_port=8083)   # -> tck.properties for TckRuntime
```
"""

from __future__ import annotations

import hmac
import json
import logging
import secrets
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from d4h_sdk.connectors import _dsp_consumer_sm as sm
from d4h_sdk.connectors._dsp import DspConnector
from d4h_sdk.connectors._dsp_core import new_pid
from d4h_sdk.connectors._dsp_versions import Endpoint
from d4h_sdk.connectors._types import DSP_2025_1, Provider
from d4h_sdk.errors import ConfigurationError, D4HError, VerificationError
from d4h_sdk.models.policy import Agreement, Offer

__all__ = [
    "NEGOTIATION_SCRIPTS",
    "NEGOTIATION_WEBHOOK",
    "TCK_PARTICIPANT",
    "TRANSFER_SCRIPTS",
    "TRANSFER_WEBHOOK",
    "NegotiationScript",
    "StaticAuthorization",
    "TckConsumer",
    "TckDspConnector",
    "TransferScript",
    "negotiation_dataset",
    "transfer_agreement",
]

_log = logging.getLogger("d4h_sdk.connectors.dsp.tck")

TCK_PARTICIPANT = "TCK_PARTICIPANT"
"""The participant id the TCK uses for itself (the provider of every consumer-role process)."""

NEGOTIATION_WEBHOOK = "/tck/negotiations/requests"
"""Path of the webhook through which the TCK starts a negotiation."""

TRANSFER_WEBHOOK = "/tck/transfers/requests"
"""Path of the webhook through which the TCK starts a transfer."""

TRANSFER_DATASET = "ATPC-DATA"
"""The dataset the seeded transfer agreements are about."""

_MAX_BODY = 64 * 1024


@dataclass(frozen=True)
class NegotiationScript:
    """The consumer's moves in one consumer-role negotiation scenario (each list runs in order).

    Attributes:
        on_request: After the provider acknowledged the initial request (``terminate``).
        on_offer: After the provider's offer (``accept``, ``counter``, ``terminate``; empty: wait).
        on_agreement: After the provider's agreement (``verify``, ``terminate``; empty: wait).
    """

    on_request: tuple[str, ...] = ()
    on_offer: tuple[str, ...] = ()
    on_agreement: tuple[str, ...] = ("verify",)


NEGOTIATION_SCRIPTS: dict[str, NegotiationScript] = {
    "CN_C_01_01": NegotiationScript(on_offer=("accept",)),
    "CN_C_01_02": NegotiationScript(on_offer=("counter",)),
    "CN_C_01_03": NegotiationScript(on_offer=("terminate",)),
    "CN_C_01_04": NegotiationScript(),
    "CN_C_02_01": NegotiationScript(),
    "CN_C_02_02": NegotiationScript(on_request=("terminate",)),
    "CN_C_02_03": NegotiationScript(on_agreement=("terminate",)),
    "CN_C_02_04": NegotiationScript(),
    "CN_C_02_05": NegotiationScript(on_offer=("accept",)),
    "CN_C_02_06": NegotiationScript(),
    "CN_C_03_01": NegotiationScript(),
    "CN_C_03_02": NegotiationScript(),
    "CN_C_03_03": NegotiationScript(),
    "CN_C_03_04": NegotiationScript(on_offer=("accept",)),
    "CN_C_03_05": NegotiationScript(on_offer=("accept",)),
    "CN_C_03_06": NegotiationScript(on_offer=("accept",), on_agreement=()),
}
"""Consumer-role negotiation scenarios (the TCK's ``CN_C:xx-yy``) -> the consumer's moves."""


@dataclass(frozen=True)
class TransferScript:
    """The consumer's moves in one consumer-role transfer scenario.

    Attributes:
        on_request: After the provider acknowledged the transfer request (``terminate``).
        on_start: After each start message of the provider (``suspend``, ``resume``, ``complete``,
            ``terminate``).
    """

    on_request: tuple[str, ...] = ()
    on_start: tuple[str, ...] = ()


TRANSFER_SCRIPTS: dict[str, TransferScript] = {
    "TP_C_01_01": TransferScript(),
    "TP_C_01_02": TransferScript(),
    "TP_C_01_03": TransferScript(),
    "TP_C_01_04": TransferScript(),
    "TP_C_01_05": TransferScript(),
    "TP_C_02_01": TransferScript(on_start=("terminate",)),
    "TP_C_02_02": TransferScript(on_start=("complete",)),
    "TP_C_02_03": TransferScript(on_start=("suspend", "terminate")),
    "TP_C_02_04": TransferScript(on_start=("suspend", "resume", "complete")),
    "TP_C_02_05": TransferScript(on_request=("terminate",)),
    "TP_C_03_01": TransferScript(),
    "TP_C_03_02": TransferScript(),
    "TP_C_03_03": TransferScript(),
    "TP_C_03_04": TransferScript(),
    "TP_C_03_05": TransferScript(),
    "TP_C_03_06": TransferScript(),
}
"""Consumer-role transfer scenarios (``TP_C:xx-yy``) -> the consumer's moves."""


def _digits(scenario: str) -> str:
    return "".join(scenario.split("_")[2:])


def negotiation_dataset(scenario: str) -> str:
    """The dataset id of a CN_C scenario (``CN_C_01_02`` -> ``ACNC0102``)."""
    return f"ACNC{_digits(scenario)}"


def transfer_agreement(scenario: str) -> str:
    """The agreement id of a TP_C scenario (``TP_C_01_05`` -> ``ATPC0105``)."""
    return f"ATPC{_digits(scenario)}"


class StaticAuthorization:
    """TCK mode only: accepts exactly the one ``Authorization`` value configured in the TCK.

    Args:
        secret: The header value (never logged or shown in a repr).
    """

    def __init__(self, secret: str) -> None:
        self._secret = secret.encode()

    def __repr__(self) -> str:
        return "StaticAuthorization(secret=<hidden>)"

    def __call__(self, header: str | None) -> None:
        """Return when ``header`` is the configured value.

        Raises:
            VerificationError: The header is missing or another value.
        """
        if header is None or not hmac.compare_digest(header.encode(), self._secret):
            raise VerificationError("the request does not carry the TCK's configured Authorization header")


class TckDspConnector(DspConnector):
    """A strict :class:`~d4h_sdk.connectors.DspConnector` with the scripted reactions of the TCK scenarios.

    Args:
        participant_id: The consumer's participant id (the TCK's ``agent.id``).
        secret: The ``Authorization`` value the TCK sends on callbacks.
        step_delay_s: The pause before each scripted move.
        **kwargs: Further :class:`~d4h_sdk.connectors.DspConnector` options (callback host and port).
    """

    def __init__(self, *, participant_id: str, secret: str, step_delay_s: float = 0.3, **kwargs: Any) -> None:
        super().__init__(
            participant_id=participant_id,
            token_source=None,
            callback_verifier=StaticAuthorization(secret),
            strict=True,
            **kwargs,
        )
        self.step_delay_s = step_delay_s
        self._stop = threading.Event()
        self._moves = ThreadPoolExecutor(max_workers=4, thread_name_prefix="d4h-dsp-tck")
        self._negotiation_scripts = {negotiation_dataset(s): v for s, v in NEGOTIATION_SCRIPTS.items()}
        self._transfer_scripts = {transfer_agreement(s): v for s, v in TRANSFER_SCRIPTS.items()}
        with self._lock:
            for agreement_id in self._transfer_scripts:
                self._agreements[agreement_id] = Agreement(
                    id=agreement_id,
                    target=TRANSFER_DATASET,
                    assigner=TCK_PARTICIPANT,
                    assignee=participant_id,
                    permission=({"action": "use"},),
                    timestamp="2025-01-01T00:00:00Z",
                )

    def close(self) -> None:
        """Cut pending pauses short, wait for the scripted moves, then close the connector (idempotent)."""
        self._stop.set()
        self._moves.shutdown(wait=True)
        super().close()

    # -- the webhooks' work --------------------------------------------------------------------------------

    def _tck_provider(self, connector_address: str, provider_id: str) -> Provider:
        """The TCK as a provider: its DSP 2025-1 endpoints live right under ``connectorAddress``."""
        provider = Provider(
            connector_address, participant_id=provider_id or TCK_PARTICIPANT, protocol=DSP_2025_1
        )
        with self._lock:  # the TCK serves no /.well-known/dspace-version: no discovery
            self._endpoints[(provider.address, provider.protocol)] = Endpoint(provider.address, "2025-1")
        return provider

    def initiate_negotiation(
        self, connector_address: str, provider_id: str, offer_id: str, dataset_id: str
    ) -> str:
        """Request ``offer_id`` for ``dataset_id`` from the TCK, then run the scenario's ``on_request`` moves.

        Returns:
            The consumer pid.
        """
        provider = self._tck_provider(connector_address, provider_id)
        offer = Offer.model_validate(
            {
                "@id": offer_id,
                "target": dataset_id,
                "assigner": provider.participant_id,
                "permission": [{"action": "use"}],
            }
        )
        pid = self.start_negotiation(provider, offer)
        script = self._negotiation_scripts.get(dataset_id)
        if script is not None:
            self._schedule(pid, script.on_request)
        return pid

    def initiate_transfer(
        self, connector_address: str, provider_id: str, agreement_id: str, format_: str
    ) -> str:
        """Request a transfer under a held agreement, then run the scenario's ``on_request`` moves.

        Returns:
            The consumer pid.

        Raises:
            ConfigurationError: This consumer holds no agreement ``agreement_id``.
        """
        self.get_agreement(agreement_id)  # raises for an agreement this consumer never concluded
        provider = self._tck_provider(connector_address, provider_id)
        pid = self.start_transfer(provider, agreement_id, transfer_type=format_)
        script = self._transfer_scripts.get(agreement_id)
        if script is not None:
            self._schedule(pid, script.on_request)
        return pid

    def submit(self, job: Callable[[], object], what: str) -> None:
        """Run ``job`` in the scripted-moves worker (failures are logged with ``what``)."""
        if not self._stop.is_set():
            self._moves.submit(self._run_job, job, what)

    @staticmethod
    def _run_job(job: Callable[[], object], what: str) -> None:
        try:
            job()
        except D4HError as exc:
            _log.warning("TCK mode: %s failed: %s", what, exc)
        except Exception:
            _log.exception("TCK mode: %s failed", what)

    # -- scripted reactions --------------------------------------------------------------------------------

    def _react(self, action: str, local_id: str) -> None:
        moves = self._scripted(action, local_id)
        if moves is None:
            super()._react(action, local_id)
        else:
            self._schedule(local_id, moves)

    def _scripted(self, action: str, local_id: str) -> tuple[str, ...] | None:
        """The scripted answer to a verdict's action; ``None`` for processes outside the scenarios."""
        record = self._processes[local_id].record
        if isinstance(record, sm.NegotiationRecord):
            script = self._negotiation_scripts.get(record.offer.target or "")
            if script is None:
                return None
            return script.on_offer if action == "offered" else script.on_agreement
        transfer_script = self._transfer_scripts.get(record.agreement_id)
        if transfer_script is None:
            return None
        return transfer_script.on_start if action == "started" else ()

    def _schedule(self, local_id: str, moves: tuple[str, ...]) -> None:
        if moves:
            self.submit(lambda: self._run_moves(local_id, moves), f"scenario moves {moves} of {local_id}")

    def _run_moves(self, local_id: str, moves: tuple[str, ...]) -> None:
        for move in moves:
            if self._stop.wait(self.step_delay_s):
                return
            self._move(local_id, move)  # a failure ends the script (logged by _run_job)

    def _move(self, local_id: str, move: str) -> None:
        reason = f"{move} by the consumer (TCK scenario)"
        with self._lock:
            record = self._processes[local_id].record
        if isinstance(record, sm.NegotiationRecord):
            negotiation_moves: dict[str, Callable[[], None]] = {
                "accept": lambda: self.accept_offer(local_id),
                "counter": lambda: self.counter_offer(local_id, self._counter_offer(record)),
                "verify": lambda: self._verify(local_id),
                "terminate": lambda: self.terminate_negotiation(local_id, reason=reason),
            }
            negotiation_moves[move]()
            return
        transfer_moves: dict[str, Callable[[], None]] = {
            "suspend": lambda: self.suspend_transfer(local_id, reason=reason),
            "resume": lambda: self.resume_transfer(local_id),
            "complete": lambda: self.complete_transfer(local_id),
            "terminate": lambda: self.terminate_transfer(local_id, reason=reason),
        }
        transfer_moves[move]()

    @staticmethod
    def _counter_offer(record: sm.NegotiationRecord) -> Offer:
        """The provider's offer under a new id (the TCK only checks that a counter-request comes)."""
        base = record.provider_offer or record.offer
        return base.model_copy(update={"id": new_pid()})


class _WebhookHandler(BaseHTTPRequestHandler):
    server: _WebhookServer
    server_version = "d4h-dsp-tck"
    sys_version = ""
    timeout = 10.0

    def log_message(self, format: str, *args: Any) -> None:
        _log.debug("TCK webhook: " + format, *args)

    def do_POST(self) -> None:  # noqa: N802 - http.server naming
        length_text = self.headers.get("Content-Length", "0") or "0"
        length = int(length_text) if length_text.isdigit() else -1
        if length < 0 or length > _MAX_BODY:
            self._answer(400, {"error": "bad or too large Content-Length"})
            return
        body = self.rfile.read(length) if length else b""
        status, answer = self.server.dispatch(
            urlsplit(self.path).path, self.headers.get("Authorization"), body
        )
        self._answer(status, answer)

    def _answer(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class _WebhookServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self,
        address: tuple[str, int],
        dispatch: Callable[[str, str | None, bytes], tuple[int, dict[str, Any]]],
    ) -> None:
        self.dispatch = dispatch
        super().__init__(address, _WebhookHandler)


_FIELDS = {
    NEGOTIATION_WEBHOOK: ("providerId", "offerId", "datasetId", "connectorAddress"),
    TRANSFER_WEBHOOK: ("providerId", "agreementId", "format", "connectorAddress"),
}


class TckConsumer:
    """The SDK's DSP consumer in consumer-under-test mode, served on loopback (started by the constructor).

    Args:
        secret: The ``Authorization`` value the TCK will send; default a fresh random one.
        step_delay_s: The pause before each scripted consumer move.
        participant_id: The consumer's participant id (the TCK's ``agent.id``).
        host: The interface of the webhooks and the callback receiver.

    Attributes:
        connector: The consumer connector.
        webhook_url: The root URL of the two webhooks.

    Raises:
        ConfigurationError: A server cannot start.
    """

    def __init__(
        self,
        *,
        secret: str | None = None,
        step_delay_s: float = 0.3,
        participant_id: str = "did:web:tck-consumer.d4h.invalid",
        host: str = "127.0.0.1",
    ) -> None:
        self._secret = secret if secret is not None else secrets.token_urlsafe(24)
        self._auth = StaticAuthorization(self._secret)
        self.connector = TckDspConnector(
            participant_id=participant_id, secret=self._secret, step_delay_s=step_delay_s, callback_host=host
        )
        try:
            self._server = _WebhookServer((host, 0), self._dispatch)
        except OSError as exc:
            self.connector.close()
            raise ConfigurationError(f"cannot bind the TCK webhooks to {host}: {exc}") from exc
        self.webhook_url = f"http://{host}:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="d4h-dsp-tck-webhooks",
            daemon=True,
        )
        self._thread.start()
        self._closed = False

    def __repr__(self) -> str:
        return f"TckConsumer(webhook_url={self.webhook_url!r}, callback_url={self.connector.callback_url!r})"

    def _dispatch(self, path: str, authorization: str | None, body: bytes) -> tuple[int, dict[str, Any]]:
        fields = _FIELDS.get(path)
        if fields is None:
            return 404, {"error": f"no such webhook: {path}"}
        try:
            self._auth(authorization)
        except VerificationError as exc:
            return 401, {"error": str(exc)}
        try:
            request = json.loads(body)
        except ValueError:
            return 400, {"error": "the body is not JSON"}
        if not isinstance(request, dict) or not all(isinstance(request.get(f), str) for f in fields):
            return 400, {"error": f"expected a JSON object with the strings {', '.join(fields)}"}
        values = [request[f] for f in fields]
        connector = self.connector
        if path == NEGOTIATION_WEBHOOK:
            connector.submit(lambda: connector.initiate_negotiation(values[3], *values[:3]), path)
            return 200, {}
        try:
            connector.get_agreement(values[1])
        except ConfigurationError as exc:
            return 400, {"error": str(exc)}
        connector.submit(lambda: connector.initiate_transfer(values[3], *values[:3]), path)
        return 200, {}

    def properties(
        self, *, callback_port: int, callback_host: str = "127.0.0.1", wait_s: int = 15, debug: bool = False
    ) -> dict[str, str]:
        """The TCK configuration for this consumer (consumer-role scenarios).

        Args:
            callback_port: The port of the TCK's callback server (where its provider endpoints live).
            callback_host: The interface it listens on (also used in the callback address).
            wait_s: The TCK's wait per step, in seconds.
            debug: The TCK's debug output.

        Returns:
            Keys and values for a ``.properties`` file (they contain the TCK secret: keep the file private).
        """
        props = {
            "dataspacetck.debug": str(debug).lower(),
            "dataspacetck.dsp.local.connector": "false",
            "dataspacetck.host": callback_host,
            "dataspacetck.port": str(callback_port),
            "dataspacetck.callback.address": f"http://{callback_host}:{callback_port}",
            "dataspacetck.dsp.connector.agent.id": self.connector.participant_id,
            # Provider-role endpoints: required keys of the TCK launcher, unused by consumer-role scenarios.
            "dataspacetck.dsp.connector.http.url": f"{self.webhook_url}/dsp/2025-1",
            "dataspacetck.dsp.connector.http.base.url": f"{self.webhook_url}/dsp",
            "dataspacetck.dsp.connector.http.headers.authorization": self._secret,
            "dataspacetck.dsp.connector.negotiation.initiate.url": self.webhook_url + NEGOTIATION_WEBHOOK,
            "dataspacetck.dsp.connector.transfer.initiate.url": self.webhook_url + TRANSFER_WEBHOOK,
            "dataspacetck.dsp.default.wait": str(wait_s),
        }
        props.update(dict(_scenario_ids()))
        return props

    def close(self) -> None:
        """Stop the webhooks and the connector (idempotent)."""
        if self._closed:
            return
        self._closed = True
        self._server.shutdown()
        self._thread.join()
        self._server.server_close()
        self.connector.close()

    def __enter__(self) -> TckConsumer:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _scenario_ids() -> Iterator[tuple[str, str]]:
    for scenario in NEGOTIATION_SCRIPTS:
        yield f"{scenario}_DATASETID", negotiation_dataset(scenario)
    for scenario in TRANSFER_SCRIPTS:
        yield f"{scenario}_AGREEMENTID", transfer_agreement(scenario)
        yield f"{scenario}_FORMAT", "HttpData-PULL"
