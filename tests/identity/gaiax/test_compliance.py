"""ComplianceClient and NotaryClient against a local fake GXDCH speaking the documented shapes."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from d4h_sdk._http import HttpClient
from d4h_sdk.errors import (
    BadRequestError,
    ConfigurationError,
    ConflictError,
    NotFoundError,
    ResponseValidationError,
    VerificationError,
)
from d4h_sdk.identity import gaiax, vc
from d4h_sdk.identity.did import StaticDidResolver, build_did_document
from d4h_sdk.identity.jose import peek, sign_compact
from d4h_sdk.testing import FakeSigner

from .conftest import PARTICIPANT, build_set

KID = f"{PARTICIPANT}#key-1"
COMPLIANCE_DID = "did:web:compliance.example"
COMPLIANCE_KID = f"{COMPLIANCE_DID}#X509-JWK2020"
TAGUS_REQUIRED = {"gx:LegalParticipant", "gx:legalRegistrationNumber", "gx:GaiaXTermsAndConditions"}
LOIRE_REQUIRED = {"gx:LegalPerson", "gx:VatID", "gx:Issuer"}


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes


@dataclass
class FakeClearingHouse:
    """Compliance service and notary on 127.0.0.1, checking what they receive like a GXDCH would."""

    participant_key: dict[str, Any]
    other_keys: dict[str, dict[str, Any]] = field(default_factory=dict)  # DID -> key-1 JWK
    signer: FakeSigner = field(default_factory=lambda: FakeSigner("Ed25519", key_id=COMPLIANCE_KID))
    requests: list[Request] = field(default_factory=list)
    override: Callable[[Request], tuple[int, str, bytes]] | None = None
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def handle(self, req: Request) -> tuple[int, str, bytes]:
        self.requests.append(req)
        if self.override is not None:
            return self.override(req)
        if req.method == "POST" and req.path == "/v1/api/credential-offers":
            return self._tagus_compliance(req)
        if req.method == "POST" and req.path == "/v2/api/credential-offers/standard-compliance":
            return self._loire_compliance(req)
        if req.method == "POST" and req.path == "/v1/registrationNumberVC":
            body = json.loads(req.body)
            assert body["type"] == "gx:legalRegistrationNumber"
            vcid = req.query["vcid"][0]
            cred = gaiax.legal_registration_number(
                gaiax.GaiaXRelease.TAGUS,
                issuer="did:web:notary.example",
                vc_id=vcid,
                kind="vatID",
                number=body["gx:vatID"],
                subject_id=body["id"],
            )
            return 200, "application/json", json.dumps(cred).encode()
        if req.method == "GET" and req.path.startswith("/v2/registration-numbers/vat-id/"):
            number = req.path.rsplit("/", 1)[1]
            if number == "XX000":
                return (
                    404,
                    "application/json",
                    b'{"statusCode":404,"message":"Registration number not found","error":"Not Found"}',
                )
            cred = gaiax.legal_registration_number(
                gaiax.GaiaXRelease.LOIRE,
                issuer="did:web:compliance.example",
                vc_id=req.query["vcId"][0],
                kind="vatID",
                number=number,
                subject_id=req.query["subjectId"][0],
            )
            return 200, "application/vc+jwt", gaiax.sign_loire(cred, self.signer).encode()
        return 404, "application/json", b'{"statusCode":404,"message":"Cannot route","error":"Not Found"}'

    def _tagus_compliance(self, req: Request) -> tuple[int, str, bytes]:
        assert req.headers["content-type"].startswith("application/json")
        vp = json.loads(req.body)
        creds = vp["verifiableCredential"]
        types = {c["credentialSubject"]["type"] for c in creds}
        if not TAGUS_REQUIRED <= types:
            body = {
                "statusCode": 409,
                "message": {"conforms": False, "results": [f"missing: {sorted(TAGUS_REQUIRED - types)}"]},
                "error": "Conflict",
            }
            return 409, "application/json", json.dumps(body).encode()
        loader = gaiax.gaiax_document_loader()
        for cred in creds:
            if cred["issuer"] == PARTICIPANT:
                vc.verify_data_integrity(cred, key=self.participant_key, loader=loader)
        subjects = [
            {
                "type": "gx:compliance",
                "id": c["id"],
                # independent of the SDK's JCS: for this data, sorted compact JSON is the JCS form
                "gx:integrity": "sha256-"
                + __import__("hashlib")
                .sha256(json.dumps(c, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode())
                .hexdigest(),
                "gx:integrityNormalization": "RFC8785:JCS",
                "gx:version": "22.10",
                "gx:type": c["credentialSubject"]["type"],
            }
            for c in creds
        ]
        out = {
            "@context": ["https://www.w3.org/2018/credentials/v1"],
            "type": ["VerifiableCredential"],
            "id": req.query.get("vcid", ["urn:compliance"])[0],
            "issuer": "did:web:compliance.example",
            "credentialSubject": subjects,
        }
        return 201, "application/json", json.dumps(out).encode()

    def _loire_compliance(self, req: Request) -> tuple[int, str, bytes]:
        assert req.headers["content-type"] == "application/vp+jwt"
        token = req.body.decode()
        keys = {PARTICIPANT: self.participant_key, **self.other_keys}
        resolver = StaticDidResolver(
            {did: build_did_document(did, keys=[("key-1", jwk)]) for did, jwk in keys.items()}
        )
        presentation = vc.verify_vp_jwt(
            token, resolver=resolver, audience=COMPLIANCE_DID, relationship_policy="lax"
        )
        types = {t for c in presentation.credentials for t in c.types}
        if not LOIRE_REQUIRED <= types:
            body = {
                "statusCode": 409,
                "message": {"conforms": False, "results": [f"missing: {sorted(LOIRE_REQUIRED - types)}"]},
                "error": "Conflict",
            }
            return 409, "application/json", json.dumps(body).encode()
        label = {
            "@context": ["https://www.w3.org/ns/credentials/v2", "https://w3id.org/gaia-x/2406#"],
            "type": ["VerifiableCredential", "gx:LabelCredential"],
            "id": req.query["vcid"][0],
            "issuer": "did:web:compliance.example",
            "validFrom": "2025-01-01T00:00:00Z",
            "credentialSubject": {"id": req.query["vcid"][0] + "#cs", "gx:labelLevel": "SC"},
        }
        return 201, "application/vc+jwt", sign_compact(self.signer, label, typ="vc+jwt").encode()


def _handler(house: FakeClearingHouse) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            split = urlsplit(self.path)
            req = Request(
                self.command,
                split.path,
                parse_qs(split.query),
                {k.lower(): v for k, v in self.headers.items()},
                self.rfile.read(length),
            )
            try:
                status, ctype, body = house.handle(req)
            except Exception as exc:  # a failed check in the fake becomes a 500 the test sees
                status, ctype, body = 500, "text/plain", f"fake rejected the request: {exc!r}".encode()
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def signer() -> FakeSigner:
    return FakeSigner("P-256", key_id=KID)


@pytest.fixture
def house(signer: FakeSigner) -> Iterator[FakeClearingHouse]:
    fake = FakeClearingHouse(participant_key=dict(signer.public_jwk()))
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    fake.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield fake
    server.shutdown()
    server.server_close()


@pytest.fixture
def http() -> Iterator[HttpClient]:
    client = HttpClient(max_retries=0)
    yield client
    client.close()


def _tagus_vp(signer: FakeSigner, names: tuple[str, ...] = ("participant", "lrn", "terms")) -> dict[str, Any]:
    creds = build_set(gaiax.GaiaXRelease.TAGUS)
    signed = [
        creds[n] if n == "lrn" else gaiax.sign_tagus(creds[n], signer, verification_method=KID) for n in names
    ]
    return gaiax.tagus_presentation(signed)


def test_tagus_submit_returns_the_compliance_credential(
    house: FakeClearingHouse, signer: FakeSigner, http: HttpClient
) -> None:
    vp = _tagus_vp(signer)
    client = gaiax.ComplianceClient(f"{house.url}/v1/", "tagus", http=http)
    result = client.submit(vp, vcid="https://hospital.example/compliance.json")
    assert isinstance(result, dict)
    assert result["id"] == "https://hospital.example/compliance.json"
    request = house.requests[-1]
    assert request.path == "/v1/api/credential-offers"
    assert request.query["vcid"] == ["https://hospital.example/compliance.json"]
    assert json.loads(request.body) == vp
    assert {s["gx:type"] for s in result["credentialSubject"]} == TAGUS_REQUIRED
    # the service's hashes are the SDK's gx:integrity of what was sent
    for subject in result["credentialSubject"]:
        sent = next(c for c in vp["verifiableCredential"] if c["id"] == subject["id"])
        assert subject["gx:integrity"] == gaiax.gx_integrity(sent)
    gaiax.check_integrity(result, vp["verifiableCredential"])


def test_check_integrity_detects_a_changed_credential(
    house: FakeClearingHouse, signer: FakeSigner, http: HttpClient
) -> None:
    vp = _tagus_vp(signer)
    result = gaiax.ComplianceClient(f"{house.url}/v1", gaiax.GaiaXRelease.TAGUS, http=http).submit(vp)
    assert isinstance(result, dict)
    changed = [dict(c) for c in vp["verifiableCredential"]]
    changed[0]["issuanceDate"] = "2030-01-01T00:00:00Z"
    with pytest.raises(VerificationError, match="changed since compliance"):
        gaiax.check_integrity(result, changed)
    with pytest.raises(VerificationError, match="not given"):
        gaiax.check_integrity(result, changed[1:])
    with pytest.raises(VerificationError, match="no credential subjects"):
        gaiax.check_integrity({"credentialSubject": []}, changed)


def test_tagus_non_conformity_raises_conflict_with_the_findings(
    house: FakeClearingHouse, signer: FakeSigner, http: HttpClient
) -> None:
    vp = _tagus_vp(signer, ("participant", "lrn"))
    client = gaiax.ComplianceClient(f"{house.url}/v1", "tagus", http=http)
    with pytest.raises(ConflictError, match=r"missing: \['gx:GaiaXTermsAndConditions'\]") as info:
        client.submit(vp)
    assert info.value.status_code == 409
    assert info.value.body["error"] == "Conflict"  # type: ignore[index]


def test_a_400_carries_the_service_message(house: FakeClearingHouse, http: HttpClient) -> None:
    house.override = lambda req: (
        400,
        "application/json",
        b'{"statusCode":400,"message":["verifiableCredential must be an array"],"error":"Bad Request"}',
    )
    client = gaiax.ComplianceClient(f"{house.url}/v1", "tagus", http=http)
    with pytest.raises(BadRequestError, match="verifiableCredential must be an array"):
        client.submit({"type": "VerifiablePresentation"})
    assert len(house.requests) == 1  # a POST is never retried


def test_loire_submit_posts_a_vp_jwt_and_returns_a_jws(
    house: FakeClearingHouse, signer: FakeSigner, http: HttpClient
) -> None:
    creds = build_set(gaiax.GaiaXRelease.LOIRE)
    notary = FakeSigner("Ed25519", key_id="did:web:notary.example#key-1")
    tokens = [
        gaiax.sign_loire(creds["participant"], signer),
        gaiax.sign_loire(creds["lrn"], notary),
        gaiax.sign_loire(creds["terms"], signer),
    ]
    vp = gaiax.loire_presentation(signer, tokens, audience=COMPLIANCE_DID)
    client = gaiax.ComplianceClient(house.url + "/v2", "loire", http=http)
    assert client.endpoint == f"{house.url}/v2/api/credential-offers/standard-compliance"
    house.other_keys["did:web:notary.example"] = dict(notary.public_jwk())
    result = client.submit(vp, vcid="https://hospital.example/label.json")
    assert isinstance(result, str)
    header, payload = peek(result)
    assert payload["type"] == ["VerifiableCredential", "gx:LabelCredential"]
    request = house.requests[-1]
    assert request.headers["content-type"] == "application/vp+jwt"
    assert request.body.decode() == vp
    assert request.query["vcid"] == ["https://hospital.example/label.json"]


def test_loire_non_conformity(house: FakeClearingHouse, signer: FakeSigner, http: HttpClient) -> None:
    creds = build_set(gaiax.GaiaXRelease.LOIRE)
    vp = gaiax.loire_presentation(
        signer, [gaiax.sign_loire(creds["participant"], signer)], audience=COMPLIANCE_DID
    )
    client = gaiax.ComplianceClient(house.url + "/v2", "loire", http=http)
    with pytest.raises(ConflictError, match="gx:Issuer"):
        client.submit(vp)


def test_submit_refuses_the_wrong_form_for_the_release(http: HttpClient) -> None:
    with pytest.raises(ConfigurationError, match="mapping"):
        gaiax.ComplianceClient("https://c.example/v1", "tagus", http=http).submit("a.b.c")
    with pytest.raises(ConfigurationError, match="compact JWS"):
        gaiax.ComplianceClient("https://c.example/v2", "loire", http=http).submit(
            {"type": "VerifiablePresentation"}
        )
    with pytest.raises(ConfigurationError, match="http"):
        gaiax.ComplianceClient("ftp://c.example", "tagus")
    with pytest.raises(ConfigurationError, match="level"):
        gaiax.ComplianceClient("https://c.example/v2", "loire", level="../admin")


def test_unexpected_answers_raise_response_validation_error(
    house: FakeClearingHouse, http: HttpClient
) -> None:
    house.override = lambda req: (201, "text/html", b"<html>ok</html>")
    with pytest.raises(ResponseValidationError, match="compact JWS"):
        gaiax.ComplianceClient(house.url + "/v2", "loire", http=http).submit("a.b.c")
    house.override = lambda req: (201, "application/json", b"[1, 2]")
    with pytest.raises(ResponseValidationError, match="JSON object"):
        gaiax.ComplianceClient(house.url + "/v1", "tagus", http=http).submit(
            {"type": "VerifiablePresentation"}
        )


def test_tagus_notary(house: FakeClearingHouse, http: HttpClient) -> None:
    with gaiax.NotaryClient(house.url + "/v1", "tagus", http=http) as notary:
        cred = notary.registration_number("vatID", "LU12345678", vc_id="https://hospital.example/lrn.json")
    assert isinstance(cred, dict)
    assert cred["credentialSubject"]["gx:vatID"] == "LU12345678"
    assert cred["credentialSubject"]["id"] == "https://hospital.example/lrn.json#cs"
    request = house.requests[-1]
    assert request.query == {"vcid": ["https://hospital.example/lrn.json"]}
    assert json.loads(request.body) == gaiax.registration_number_request(
        "https://hospital.example/lrn.json#cs", "vatID", "LU12345678"
    )


def test_loire_notary(house: FakeClearingHouse, http: HttpClient) -> None:
    notary = gaiax.NotaryClient(house.url + "/v2", gaiax.GaiaXRelease.LOIRE, http=http)
    token = notary.registration_number(
        "vatID", "LU12345678", vc_id="https://hospital.example/lrn.json", subject_id="urn:s"
    )
    assert isinstance(token, str)
    payload = peek(token)[1]
    assert payload["credentialSubject"] == {"id": "urn:s", "type": "gx:VatID", "gx:vatID": "LU12345678"}
    request = house.requests[-1]
    assert request.method == "GET"
    assert request.path == "/v2/registration-numbers/vat-id/LU12345678"
    assert request.query == {"vcId": ["https://hospital.example/lrn.json"], "subjectId": ["urn:s"]}
    with pytest.raises(NotFoundError, match="Registration number not found"):
        notary.registration_number("vatID", "XX000", vc_id="urn:v")
    with pytest.raises(ConfigurationError, match="kind"):
        notary.registration_number("iban", "LU123", vc_id="urn:v")  # type: ignore[arg-type]


def test_client_owns_its_http_client_by_default() -> None:
    client = gaiax.ComplianceClient("https://compliance.example/v1", "tagus")
    assert repr(client) == "ComplianceClient('https://compliance.example/v1', 'tagus')"
    client.close()
