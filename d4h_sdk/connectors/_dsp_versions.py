"""DSP version discovery: find a provider's versioned base URL through ``/.well-known/dspace-version``.

The version document is looked up, without credentials, at ``<address>/.well-known/dspace-version``, then
(when the address already ends in a version segment such as ``/2025-1`` or EDC's ``/2024/1``) at its parent,
then at the origin. Each entry's ``path`` is relative to the root the document was found at. The version is
chosen by the provider's ``protocol`` when set, else by the address's own version segment, else by the
connector's preference order; ``2024-1`` and EDC's ``2024/1`` are the same version.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from d4h_sdk import wire
from d4h_sdk._http import HttpClient
from d4h_sdk.connectors._types import DSP_2024_1, DSP_2025_1, Provider
from d4h_sdk.errors import APIConnectionError, APIStatusError, ConfigurationError, DecodeError
from d4h_sdk.models.version import VersionResponse

__all__ = ["SUPPORTED_VERSIONS", "Endpoint", "discover", "normalize_version"]

SUPPORTED_VERSIONS = ("2025-1", "2024-1")
"""DSP versions the connector speaks, by their normalised name."""

_PROTOCOL_VERSIONS = {DSP_2025_1: "2025-1", DSP_2024_1: "2024-1"}
_VERSION_SUFFIX = re.compile(r"/(2025-1|2024-1|2024/1)$")
_WELL_KNOWN = "/.well-known/dspace-version"


@dataclass(frozen=True)
class Endpoint:
    """A provider's DSP endpoint for one version.

    Attributes:
        base: The versioned base URL (no trailing slash); every DSP path extends it.
        version: The normalised version (``2025-1`` or ``2024-1``).
    """

    base: str
    version: str

    @property
    def dialect(self) -> str:
        """The wire dialect of this version (``dsp-2025-1`` or ``dsp-2024-1``)."""
        return f"dsp-{self.version}"


def normalize_version(version: str) -> str:
    """``2024/1`` -> ``2024-1`` (EDC's spelling); other strings unchanged."""
    return version.strip().replace("/", "-")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _roots(address: str) -> list[str]:
    roots = [address]
    match = _VERSION_SUFFIX.search(address)
    if match:
        roots.append(address[: match.start()])
    origin = _origin(address)
    if origin not in roots:
        roots.append(origin)
    return roots


def _wanted(provider: Provider, preference: tuple[str, ...]) -> list[str]:
    if provider.protocol is not None:
        version = _PROTOCOL_VERSIONS.get(provider.protocol)
        if version is None:
            raise ConfigurationError(
                f"provider protocol {provider.protocol!r} is not DSP; use {DSP_2025_1!r} or {DSP_2024_1!r}"
            )
        return [version]
    wanted: list[str] = []
    match = _VERSION_SUFFIX.search(provider.address)
    if match:
        wanted.append(normalize_version(match.group(1)))
    wanted += [v for v in preference if v not in wanted]
    return wanted


def _fetch(http: HttpClient, root: str) -> VersionResponse | None:
    try:
        response = http.get(root + _WELL_KNOWN, allow_status=range(400, 500))
    except (APIStatusError, APIConnectionError):
        return None
    if response.status_code != 200:
        return None
    try:
        document = wire.decode(response.content)
    except DecodeError:
        return None
    return document if isinstance(document, VersionResponse) else None


def discover(http: HttpClient, provider: Provider, preference: tuple[str, ...]) -> Endpoint:
    """Find the versioned DSP base URL of ``provider``.

    Args:
        http: The client (the version endpoint is unauthenticated: no credentials are sent).
        provider: The provider; its ``protocol`` (when set) fixes the version.
        preference: Normalised versions in order of preference.

    Returns:
        The endpoint of the chosen version.

    Raises:
        ConfigurationError: No version document was found and the address names no version, or the provider
            serves none of the wanted versions (the message lists what it serves).
    """
    wanted = _wanted(provider, preference)
    for root in _roots(provider.address):
        document = _fetch(http, root)
        if document is None:
            continue
        for version in wanted:
            entry = document.find(version)
            if entry is not None:
                path = entry.path if entry.path.startswith("/") else "/" + entry.path
                return Endpoint(base=(root + path).rstrip("/"), version=version)
        served = ", ".join(sorted({e.version for e in document.protocol_versions})) or "none"
        raise ConfigurationError(
            f"provider {provider.address} serves DSP versions {served}; this connector wants "
            f"{', '.join(wanted)}"
        )
    match = _VERSION_SUFFIX.search(provider.address)
    if match and normalize_version(match.group(1)) in wanted:
        return Endpoint(base=provider.address, version=normalize_version(match.group(1)))
    raise ConfigurationError(
        f"no {_WELL_KNOWN} found for provider {provider.address}; pass its versioned DSP base URL "
        "(e.g. .../2025-1) or set Provider.protocol"
    )
