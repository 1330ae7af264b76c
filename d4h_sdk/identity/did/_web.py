r"""did:web <-> HTTPS URL mapping (W3C CCG did:web method, "Read (Resolve)").

``did:web:example.com%3A3000:user:alice`` -> ``https://example.com:3000/user/alice/did.json``. The
method-specific id is split on ``:``; each segment is percent-decoded on its own; the first is the host
(with an optional ``%3A``-encoded port); a DID without path maps to ``/.well-known/did.json``.

SDK rules beyond the plain recipe: the DID must follow the DID Core ``idchar`` syntax (letters, digits, ``.``,
``-``, ``_`` and ``%XX``); a segment that decodes to ``/``, ``?``, ``#``, ``\`` or a control character is
rejected (it would change the URL's structure); IP-address hosts are rejected, as the method requires;
DID URLs (with ``/path``, ``?query`` or ``#fragment``) are not DIDs and are rejected.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

from d4h_sdk.errors import ConfigurationError

__all__ = ["DidWebParts", "did_web_to_url", "parse_did_web", "url_to_did_web"]

_PREFIX = "did:web:"
_SEGMENT = re.compile(r"(?:[A-Za-z0-9._-]|%[0-9A-Fa-f]{2})+")
_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_FORBIDDEN = frozenset("/?#\\")
_PATH_SAFE = "!$&'()*+,;=:@-._~"
_DID_SAFE = "-._"
_WELL_KNOWN = "/.well-known"


@dataclass(frozen=True)
class DidWebParts:
    """The decoded parts of a did:web DID.

    Attributes:
        host: The host name, as written in the DID.
        port: The port, or ``None`` for the scheme's default.
        path: The decoded path segments (empty for a DID without path).
    """

    host: str
    port: int | None
    path: tuple[str, ...]

    @property
    def authority(self) -> str:
        """``host`` or ``host:port``, lower-cased: the key for insecure-host allow-lists."""
        return self.host.lower() if self.port is None else f"{self.host.lower()}:{self.port}"

    def url(self, scheme: str = "https") -> str:
        """The URL of the DID document.

        Args:
            scheme: ``"https"`` (the method's only scheme) or ``"http"`` (loopback tests only).

        Returns:
            The absolute URL of ``did.json``.
        """
        if scheme not in {"https", "http"}:
            raise ConfigurationError(f"scheme must be 'https' or 'http', got {scheme!r}")
        authority = self.host if self.port is None else f"{self.host}:{self.port}"
        path = "".join("/" + quote(segment, safe=_PATH_SAFE) for segment in self.path) or _WELL_KNOWN
        return f"{scheme}://{authority}{path}/did.json"


def _reject(did: str, why: str) -> ConfigurationError:
    shown = did if len(did) <= 200 else did[:200] + "..."
    return ConfigurationError(f"not a valid did:web DID {shown!r}: {why}")


def _check_host(host: str, original: str) -> None:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        raise _reject(original, "the host must be a domain name, not an IP address")
    if len(host) > 253 or not all(_LABEL.fullmatch(label) for label in host.split(".")):
        raise _reject(original, f"{host!r} is not a valid domain name")


def parse_did_web(did: str) -> DidWebParts:
    """Split a did:web DID into host, port and path.

    Args:
        did: The DID, e.g. ``did:web:example.com%3A3000:user:alice``.

    Returns:
        The decoded parts.

    Raises:
        ConfigurationError: ``did`` is not a valid did:web DID (see the module rules).
    """
    if not isinstance(did, str) or not did.startswith(_PREFIX):
        raise _reject(str(did), "it must start with 'did:web:'")
    for char, part in (("#", "fragment"), ("?", "query"), ("/", "path")):
        if char in did:
            raise _reject(did, f"a DID URL with a {part} is not a DID; remove everything from {char!r}")
    raw_segments = did[len(_PREFIX) :].split(":")
    decoded: list[str] = []
    for raw in raw_segments:
        if not raw:
            raise _reject(did, "empty segment (a leading, trailing or doubled ':')")
        if not _SEGMENT.fullmatch(raw):
            raise _reject(did, f"segment {raw!r} has characters outside letters, digits, '.', '-', '_', %XX")
        try:
            segment = unquote(raw, errors="strict")
        except UnicodeDecodeError as exc:
            raise _reject(did, f"segment {raw!r} is not percent-encoded UTF-8") from exc
        if any(c in _FORBIDDEN or ord(c) < 0x20 or ord(c) == 0x7F for c in segment):
            raise _reject(did, f"segment {raw!r} decodes to a '/', '?', '#', '\\' or control character")
        decoded.append(segment)
    host, sep, port_text = decoded[0].partition(":")
    port: int | None = None
    if sep:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise _reject(did, f"port {port_text!r} is not a number from 1 to 65535")
        port = int(port_text)
    _check_host(host, did)
    if any(segment in {".", ".."} for segment in decoded[1:]):
        raise _reject(did, "path segments '.' and '..' are not allowed")
    return DidWebParts(host=host, port=port, path=tuple(decoded[1:]))


def did_web_to_url(did: str) -> str:
    """Map a did:web DID to the HTTPS URL of its DID document.

    Args:
        did: The DID, e.g. ``did:web:w3c-ccg.github.io:user:alice``.

    Returns:
        The document URL, e.g. ``https://w3c-ccg.github.io/user/alice/did.json``.

    Raises:
        ConfigurationError: ``did`` is not a valid did:web DID.
    """
    return parse_did_web(did).url()


def _encode_did_segment(segment: str) -> str:
    """Percent-encode everything outside DID Core ``idchar`` (``quote`` would keep ``~``)."""
    return "".join(
        char
        if char.isascii() and (char.isalnum() or char in _DID_SAFE)
        else quote(char, safe="").replace("~", "%7E")
        for char in segment
    )


def url_to_did_web(url: str) -> str:
    """Map the URL where a DID document is (or will be) served to its did:web DID.

    Accepts the document URL (``.../did.json``, ``.../.well-known/did.json``) or the folder that holds it
    (``https://example.com/user/alice``); ``http`` is accepted for local testing, the DID is the same.

    Args:
        url: An absolute ``https`` (or ``http``) URL without query, fragment or credentials.

    Returns:
        The did:web DID, e.g. ``did:web:example.com%3A3000:user:alice``.

    Raises:
        ConfigurationError: The URL cannot be expressed as a did:web DID.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except (ValueError, TypeError) as exc:
        raise ConfigurationError(f"not a valid URL: {url!r}") from exc
    if parts.scheme.lower() not in {"https", "http"}:
        raise ConfigurationError(f"a did:web document URL must be https (or http for tests), got {url!r}")
    if parts.query or parts.fragment or "?" in url or "#" in url:
        raise ConfigurationError(f"a did:web document URL has no query or fragment: {url!r}")
    if parts.username is not None or parts.password is not None:
        raise ConfigurationError("a did:web document URL must not contain credentials")
    host = parts.hostname or ""
    if not host:
        raise ConfigurationError(f"URL {url!r} has no host")
    path = parts.path
    if path.endswith("/did.json"):
        path = path[: -len("/did.json")]
    path = path.rstrip("/")
    if path == _WELL_KNOWN:
        path = ""
    segments = [unquote(s) for s in path.split("/")[1:]] if path else []
    if any(not s for s in segments):
        raise ConfigurationError(f"URL {url!r} has an empty path segment")
    authority = _encode_did_segment(host) + (f"%3A{port}" if port is not None else "")
    did = _PREFIX + ":".join([authority, *(_encode_did_segment(s) for s in segments)])
    parse_did_web(did)  # same rules both ways (IP literals, '.' segments, forbidden characters)
    return did
