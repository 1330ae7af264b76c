"""Clients of a Gaia-X Digital Clearing House (GXDCH): the compliance service and the registration notary.

Base URLs are a deployment's versioned root, for example ``https://compliance.lab.gaia-x.eu/v1`` (Tagus) or
``.../v2`` (Loire) and ``https://registrationnumber.notary.lab.gaia-x.eu/v1``; each GXDCH operator publishes
its own.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any
from urllib.parse import quote

from d4h_sdk._http import HttpClient, HttpResponse
from d4h_sdk.errors import (
    APIStatusError,
    ConfigurationError,
    ResponseValidationError,
    VerificationError,
)
from d4h_sdk.identity.gaiax._credentials import RegistrationNumberKind, registration_number_request
from d4h_sdk.identity.gaiax._integrity import gx_integrity
from d4h_sdk.identity.gaiax._release import GaiaXRelease

__all__ = ["ComplianceClient", "NotaryClient", "check_integrity"]

_COMPACT_JWS = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+$")
_DEFAULT_TIMEOUT = (5.0, 120.0)  # the compliance service checks every credential remotely: answers are slow
_LOIRE_NUMBER_PATHS = {
    "vatID": "vat-id",
    "leiCode": "lei-code",
    "taxID": "tax-id",
    "EORI": "eori",
    "EUID": "euid",
}
_MAX_DETAIL = 1000


class _Client:
    def __init__(self, base_url: str, release: GaiaXRelease | str, http: HttpClient | None) -> None:
        if not isinstance(base_url, str) or not base_url.startswith(("https://", "http://")):
            raise ConfigurationError(f"base_url must be an http(s) URL, got {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self.release = GaiaXRelease(release)
        self._owns_http = http is None
        self._http = http if http is not None else HttpClient(timeout=_DEFAULT_TIMEOUT)

    def close(self) -> None:
        """Close the HTTP client if this object created it."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Any:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.base_url!r}, {self.release.value!r})"

    def _send(self, method: str, url: str, what: str, **kwargs: Any) -> HttpResponse:
        try:
            return self._http.request(method, url, **kwargs)
        except APIStatusError as exc:
            detail = _service_message(exc.body)
            if detail is None:
                raise
            raise type(exc)(
                f"{method} {exc.url}: the {what} refused the request: {detail}",
                status_code=exc.status_code,
                correlation_id=exc.correlation_id,
                request_method=exc.request_method,
                url=exc.url,
                body=exc.body,
            ) from exc


class ComplianceClient(_Client):
    """Submits a participant's presentation to a GXDCH compliance service; returns the compliance credential.

    * Tagus: ``POST {base_url}/api/credential-offers?vcid=...`` with the JSON-LD presentation (unsigned VP of
      JsonWebSignature2020-signed credentials, see :func:`~d4h_sdk.identity.gaiax.tagus_presentation`);
      ``201`` returns the ``gx:compliance`` credential as JSON-LD.
    * Loire: ``POST {base_url}/api/credential-offers/<level>?vcid=...`` with the VC-JOSE presentation
      (``Content-Type: application/vp+jwt``, see :func:`~d4h_sdk.identity.gaiax.loire_presentation`);
      ``201`` returns the compliance credential as a compact JWS.

    HTTP errors raise the :mod:`d4h_sdk.errors` class of their status (``409`` :class:`ConflictError` when the
    credentials do not conform, ``400`` :class:`BadRequestError` for a malformed presentation), with the
    service's findings in the message. A submission is never retried.

    Args:
        base_url: The compliance service's versioned root, for example ``https://compliance.lab.gaia-x.eu/v1``.
        release: The trust-framework release the service implements.
        http: The HTTP client to use (default: a new one with a 120 s read timeout, closed by :meth:`close`).
        level: Loire: the credential offer to request (``standard-compliance``, ``label-level-1``, ...).

    Raises:
        ConfigurationError: ``base_url`` is not an http(s) URL or ``release`` is unknown.
    """

    def __init__(
        self,
        base_url: str,
        release: GaiaXRelease | str,
        *,
        http: HttpClient | None = None,
        level: str = "standard-compliance",
    ) -> None:
        super().__init__(base_url, release, http)
        if not re.fullmatch(r"[a-z0-9-]+", level):
            raise ConfigurationError(
                f"level must be a path segment like 'standard-compliance', got {level!r}"
            )
        self.level = level

    @property
    def endpoint(self) -> str:
        """The URL presentations are posted to (without query)."""
        return self.base_url + self.release.compliance_path(self.level)

    def submit(self, vp: Mapping[str, Any] | str, *, vcid: str | None = None) -> dict[str, Any] | str:
        """Submit a presentation and return the compliance credential.

        Args:
            vp: Tagus: the JSON-LD presentation (a mapping). Loire: the presentation as a compact JWS.
            vcid: The id the compliance credential should get (sent URL-encoded as ``vcid``).

        Returns:
            Tagus: the compliance credential (a dict). Loire: the compliance credential as a compact JWS (or a
            dict if the service answers with JSON).

        Raises:
            ConfigurationError: The presentation's form does not match the release.
            ConflictError: The credentials do not conform (the message lists the service's findings).
            BadRequestError: The service could not read the presentation.
            APIError: Any other HTTP or connection failure.
            ResponseValidationError: The answer is neither JSON nor a compact JWS.
        """
        params = {"vcid": vcid} if vcid else None
        if self.release is GaiaXRelease.TAGUS:
            if not isinstance(vp, Mapping):
                raise ConfigurationError(
                    "a Tagus compliance service takes the JSON-LD presentation as a mapping"
                )
            response = self._send("POST", self.endpoint, "compliance service", json=dict(vp), params=params)
            return _json_object(response)
        if not isinstance(vp, str) or not _COMPACT_JWS.match(vp.strip()):
            raise ConfigurationError(
                "a Loire compliance service takes the presentation as a compact JWS string"
            )
        response = self._send(
            "POST",
            self.endpoint,
            "compliance service",
            data=vp.strip().encode("ascii"),
            headers={"Content-Type": self.release.compliance_media_type},
            params=params,
        )
        return _jws_or_json(response)


class NotaryClient(_Client):
    """Asks a GXDCH notary for a registration-number credential.

    * Tagus: ``POST {base_url}/registrationNumberVC?vcid=...`` with
      ``{"@context", "type": "gx:legalRegistrationNumber", "id", "gx:<kind>": number}``; returns JSON-LD.
    * Loire: ``GET {base_url}/registration-numbers/<kind>/<number>?vcId=...&subjectId=...`` with ``<kind>``
      one of ``vat-id``, ``lei-code``, ``tax-id``, ``eori``, ``euid``; returns a compact JWS.

    Args:
        base_url: The notary's versioned root, for example ``https://registrationnumber.notary.lab.gaia-x.eu/v1``.
        release: The trust-framework release the notary implements.
        http: The HTTP client to use (default: a new one, closed by :meth:`close`).

    Raises:
        ConfigurationError: ``base_url`` is not an http(s) URL or ``release`` is unknown.
    """

    def __init__(self, base_url: str, release: GaiaXRelease | str, *, http: HttpClient | None = None) -> None:
        super().__init__(base_url, release, http)

    def registration_number(
        self, kind: RegistrationNumberKind, number: str, *, vc_id: str, subject_id: str | None = None
    ) -> dict[str, Any] | str:
        """Request the credential attesting a registration number.

        Args:
            kind: ``vatID``, ``leiCode``, ``EORI``, ``EUID`` or ``taxID``.
            number: The registration number (the notary checks it against the official registry).
            vc_id: The id the credential should get.
            subject_id: The id of its subject (default ``<vc_id>#cs``), which the participant refers to.

        Returns:
            Tagus: the credential (a dict). Loire: the credential as a compact JWS (a dict for JSON).

        Raises:
            ConfigurationError: Unknown kind or a malformed number.
            APIStatusError: The notary refused (for example an unknown number), with its message.
            ResponseValidationError: The answer is neither JSON nor a compact JWS.
        """
        subject = subject_id or f"{vc_id}#cs"
        body = registration_number_request(subject, kind, number)  # validates kind and number
        if self.release is GaiaXRelease.TAGUS:
            response = self._send(
                "POST", f"{self.base_url}/registrationNumberVC", "notary", json=body, params={"vcid": vc_id}
            )
            return _json_object(response)
        segment = _LOIRE_NUMBER_PATHS[kind]
        url = f"{self.base_url}/registration-numbers/{segment}/{quote(number.strip(), safe='')}"
        response = self._send("GET", url, "notary", params={"vcId": vc_id, "subjectId": subject})
        return _jws_or_json(response)


def check_integrity(
    compliance_credential: Mapping[str, Any], credentials: Sequence[Mapping[str, Any]]
) -> None:
    """Check a Tagus compliance credential against the credentials it certifies.

    Every ``gx:compliance`` subject names a credential (``id``) and its ``gx:integrity`` hash; each named
    credential must be among ``credentials`` and hash (JCS, SHA-256) to that value.

    Args:
        compliance_credential: The credential the compliance service returned.
        credentials: The credentials submitted (as submitted, proofs included).

    Raises:
        VerificationError: A subject names no given credential, or a hash differs (the credential changed).
    """
    subjects = compliance_credential.get("credentialSubject")
    raw: list[Any] = subjects if isinstance(subjects, list) else [subjects]
    entries = [e for e in raw if isinstance(e, Mapping)]
    if not entries or len(entries) != len(raw):
        raise VerificationError("the compliance credential has no credential subjects to check")
    by_id = {c.get("id"): c for c in credentials}
    for entry in entries:
        target = by_id.get(entry.get("id"))
        if target is None:
            raise VerificationError(
                f"the compliance credential covers {entry.get('id')!r}, which was not given"
            )
        if entry.get("gx:integrity") != gx_integrity(target):
            raise VerificationError(
                f"credential {entry.get('id')!r} changed since compliance: its gx:integrity does not match"
            )


def _service_message(body: object) -> str | None:
    """Pull the findings out of a NestJS-style error body: ``{"message": {"conforms", "results"}}``."""
    if not isinstance(body, Mapping):
        return None
    message = body.get("message")
    if isinstance(message, Mapping):
        results = message.get("results")
        if isinstance(results, list) and results:
            text = "; ".join(str(r) for r in results[:20])
        elif "conforms" in message:
            text = f"conforms={message['conforms']}"
        else:
            text = json.dumps(message)[:_MAX_DETAIL]
    elif isinstance(message, list) and message:
        text = "; ".join(str(m) for m in message[:20])
    elif isinstance(message, str) and message:
        text = message
    else:
        return None
    return text if len(text) <= _MAX_DETAIL else text[: _MAX_DETAIL - 3] + "..."


def _json_object(response: HttpResponse) -> dict[str, Any]:
    value = response.json()
    if not isinstance(value, dict):
        url = response.url.split("?")[0]
        raise ResponseValidationError(
            f"{response.method} {url}: expected a JSON object, got {type(value).__name__}",
            request_method=response.method,
            url=url,
            body=value,
        )
    return value


def _jws_or_json(response: HttpResponse) -> dict[str, Any] | str:
    text = response.text.strip()
    if _COMPACT_JWS.match(text):
        return text
    if text.startswith("{"):
        return _json_object(response)
    url = response.url.split("?")[0]
    raise ResponseValidationError(
        f"{response.method} {url}: expected a compact JWS credential, got {text[:60]!r}",
        request_method=response.method,
        url=url,
        body=text[:_MAX_DETAIL],
    )
