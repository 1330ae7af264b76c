"""Both connector backends pass the shipped ConnectorContract against the sandbox (issue 6 item 1)."""

from __future__ import annotations

from d4h_sdk.connectors import Connector, DspConnector, EdcConnector
from d4h_sdk.sandbox import Sandbox
from d4h_sdk.sandbox._authority import DS4H_SCOPES
from d4h_sdk.testing import ConnectorContract


class TestDspConnectorContract(ConnectorContract):
    """DSP straight to the sandbox provider, with the research lab's own STS for DCP tokens."""

    def make_connector(self, sandbox: Sandbox) -> Connector:
        lab = sandbox.participants[self.consumer]
        return DspConnector(participant_id=lab.did, token_source=lab.sts, scopes=DS4H_SCOPES)


class TestEdcConnectorContract(ConnectorContract):
    """The EDC Management API client against the sandbox's EDC facade of the research lab (v4 detected)."""

    def make_connector(self, sandbox: Sandbox) -> Connector:
        return EdcConnector(
            sandbox.management_url(self.consumer), api_key=sandbox.management_api_key(self.consumer)
        )


class TestEdcV3ConnectorContract(ConnectorContract):
    """The same, pinned to Management API v3 (EDC 0.14, what DS4H runs)."""

    def make_connector(self, sandbox: Sandbox) -> Connector:
        return EdcConnector(
            sandbox.management_url(self.consumer),
            api_key=sandbox.management_api_key(self.consumer),
            api_version="v3",
        )
