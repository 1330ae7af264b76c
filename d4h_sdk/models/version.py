"""Protocol version discovery (``/.well-known/dspace-version``) and DID service entries."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from d4h_sdk.models._base import Many, WireModel

__all__ = ["DidService", "ProtocolVersion", "VersionAuth", "VersionResponse"]


class VersionAuth(WireModel):
    """How a protocol version authenticates requests (e.g. ``DCP`` 1.0 with profiles)."""

    protocol: str
    version: str
    profile: Many[str] = ()


class ProtocolVersion(WireModel):
    """One protocol version a connector serves and the path of its base URL."""

    version: str
    path: str
    binding: str | None = None
    service_id: str | None = Field(default=None, alias="serviceId")
    identifier_type: str | None = Field(default=None, alias="identifierType")
    auth: VersionAuth | None = None

    @property
    def normalized_version(self) -> str:
        """The version with EDC's ``2024/1`` spelling normalised to ``2024-1``."""
        return self.version.replace("/", "-")


class VersionResponse(WireModel):
    """The body of ``/.well-known/dspace-version``: every protocol version the connector serves."""

    MESSAGE_TYPE: ClassVar[str] = "VersionResponse"
    WRITE_TYPE: ClassVar[bool] = False

    protocol_versions: Many[ProtocolVersion] = Field(alias="protocolVersions")

    def find(self, version: str) -> ProtocolVersion | None:
        """Return the first entry for ``version`` (``2024-1`` also matches EDC's ``2024/1``)."""
        wanted = version.replace("/", "-")
        for entry in self.protocol_versions:
            if entry.normalized_version == wanted:
                return entry
        return None


class DidService(WireModel):
    """A DID document service entry announcing a DSP ``CatalogService`` or ``DataService`` (2025-1)."""

    MESSAGE_TYPE: ClassVar[str] = "DidService"
    WRITE_TYPE: ClassVar[bool] = False

    id: str
    type: str
    service_endpoint: str = Field(alias="serviceEndpoint")
