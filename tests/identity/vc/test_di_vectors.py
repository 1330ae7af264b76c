"""Every Data Integrity vector of fixtures/vc: vc-di-eddsa (step by step) and lds-jws2020."""

from __future__ import annotations

import copy
import hashlib
from pathlib import Path
from typing import Any

import pytest

from d4h_sdk.errors import InvalidClaimsError, InvalidSignatureError, UntrustedIssuerError
from d4h_sdk.identity.jose import verify_detached_b64false
from d4h_sdk.identity.vc import (
    DataIntegritySuite,
    canonicalize,
    jcs,
    multibase_decode,
    multibase_encode,
    sign_data_integrity,
    verify_data_integrity,
)
from d4h_sdk.jsonld import DocumentLoader

from ._support import ed25519_signer, example_loader, load, vc_dir

# (folder, suffix, signed file, suite, canonicalisation)
STEP_VECTORS = [
    ("eddsa-rdfc-2022", "DataInt", "signedDataInt.json", "eddsa-rdfc-2022", "rdfc"),
    ("eddsa-rdfc-2022/employ", "DataInt", "signedDataInt.json", "eddsa-rdfc-2022", "rdfc"),
    ("Ed25519Signature2020", "EdSig", "signedEdSig.json", "Ed25519Signature2020", "rdfc"),
    ("eddsa-jcs-2022", "JCS", "signedJCS.json", "eddsa-jcs-2022", "jcs"),
]
SET_CHAIN_VECTORS = [
    "signedProofSet1.json",
    "signedProofSet2.json",
    "signedProofChain1.json",
    "signedProofChain2.json",
]


@pytest.fixture(scope="module")
def loader(shared_fixtures: Path) -> DocumentLoader:
    return example_loader(shared_fixtures)


def _vectors(shared: Path) -> Path:
    return vc_dir(shared) / "vc-di-eddsa" / "TestVectors"


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("folder", "suffix", "signed", "suite", "canon"), STEP_VECTORS, ids=[v[0] for v in STEP_VECTORS]
)
def test_step_by_step(
    shared_fixtures: Path,
    loader: DocumentLoader,
    folder: str,
    suffix: str,
    signed: str,
    suite: DataIntegritySuite,
    canon: str,
) -> None:
    base = _vectors(shared_fixtures) / folder
    document = load(base / signed)
    proof = document.pop("proof")
    config = load(base / f"proofConfig{suffix}.json")
    if canon == "rdfc":
        canonical_doc, canonical_proof = (
            canonicalize(document, loader=loader),
            canonicalize(config, loader=loader),
        )
    else:
        canonical_doc, canonical_proof = jcs(document).decode(), jcs(config).decode()
    assert canonical_doc == _text(base / f"canonDoc{suffix}.txt")
    assert canonical_proof == _text(base / f"proofCanon{suffix}.txt")
    doc_hash = hashlib.sha256(canonical_doc.encode()).hexdigest()
    proof_hash = hashlib.sha256(canonical_proof.encode()).hexdigest()
    assert doc_hash == _text(base / f"docHash{suffix}.txt").strip()
    assert proof_hash == _text(base / f"proofHash{suffix}.txt").strip()
    assert proof_hash + doc_hash == _text(base / f"combinedHash{suffix}.txt").strip()
    signature = multibase_decode(proof["proofValue"])
    assert signature.hex() == _text(base / f"sigHex{suffix}.txt").strip()
    assert multibase_encode(signature) == _text(base / f"sigBTC58{suffix}.txt").strip()
    # the whole pipeline, with the key from keyPair.json (did:key resolved locally)
    verify_data_integrity(load(base / signed), loader=loader, issuer_binding=False)
    # signing with the vector's private key reproduces the proof (Ed25519 is deterministic)
    signer = ed25519_signer(load(_vectors(shared_fixtures) / "keyPair.json"), proof["verificationMethod"])
    unsigned = load(base / signed)
    del unsigned["proof"]
    resigned = sign_data_integrity(
        signer,
        unsigned,
        suite=suite,
        verification_method=proof["verificationMethod"],
        created=proof["created"],
        loader=loader,
    )
    assert resigned["proof"]["proofValue"] == proof["proofValue"]


@pytest.mark.parametrize("name", SET_CHAIN_VECTORS)
def test_proof_sets_and_chains_verify_each_proof(
    shared_fixtures: Path, loader: DocumentLoader, name: str
) -> None:
    document = load(_vectors(shared_fixtures) / "proof-set-chain" / name)
    verify_data_integrity(document, loader=loader, issuer_binding=False)


@pytest.mark.parametrize("name", SET_CHAIN_VECTORS)
def test_proof_sets_and_chains_fail_when_one_proof_is_broken(
    shared_fixtures: Path, loader: DocumentLoader, name: str
) -> None:
    document = load(_vectors(shared_fixtures) / "proof-set-chain" / name)
    proofs = document["proof"] if isinstance(document["proof"], list) else [document["proof"]]
    last = proofs[-1]
    signature = bytearray(multibase_decode(last["proofValue"]))
    signature[5] ^= 1
    last["proofValue"] = multibase_encode(bytes(signature))
    with pytest.raises(InvalidSignatureError):
        verify_data_integrity(document, loader=loader, issuer_binding=False)


def test_proof_chain_with_missing_previous_proof_fails(shared_fixtures: Path, loader: DocumentLoader) -> None:
    document = load(_vectors(shared_fixtures) / "proof-set-chain" / "signedProofChain1.json")
    del document["proof"][0]
    with pytest.raises(InvalidClaimsError, match="previous proof"):
        verify_data_integrity(document, loader=loader, issuer_binding=False)


def test_proof_chain_temp_documents_are_what_the_chain_signs(shared_fixtures: Path) -> None:
    # a chained proof signs the document carrying exactly the proofs its previousProof names
    base = _vectors(shared_fixtures) / "proof-set-chain"
    chain = load(base / "signedProofChain2.json")
    for index in (1, 2):
        temp = load(base / f"proofChainTempDoc{index}.json")
        proof = load(base / f"proofChainConfigSigned{index}.json")
        assert load(base / f"proofChainConfig{index}.json") == {
            k: v for k, v in proof.items() if k != "proofValue"
        }
        assert proof in chain["proof"]
        previous = proof["previousProof"]
        wanted = [previous] if isinstance(previous, str) else previous
        assert temp["proof"] == [p for p in chain["proof"] if p.get("id") in wanted]
        assert {k: v for k, v in temp.items() if k != "proof"} == load(base / "unsigned.json")


def test_proof_set_configs_match_the_signed_set(shared_fixtures: Path, loader: DocumentLoader) -> None:
    base = _vectors(shared_fixtures) / "proof-set-chain"
    signed = load(base / "signedProofSet2.json")
    for index in (1, 2):
        config = load(base / f"proofSetConfig{index}.json")
        proof = load(base / f"proofSetConfigSigned{index}.json")
        assert signed["proof"][index - 1] == proof
        assert config == {k: v for k, v in proof.items() if k != "proofValue"}
    unsigned = load(base / "unsigned.json")
    key_pairs = load(base / "multiKeyPairs.json")
    # re-sign the set with the published private keys: same proof values
    document: dict[str, Any] = copy.deepcopy(unsigned)
    for index, pair in ((1, "keyPair1"), (2, "keyPair2")):
        proof = load(base / f"proofSetConfigSigned{index}.json")
        signer = ed25519_signer(key_pairs[pair], proof["verificationMethod"])
        document = sign_data_integrity(
            signer,
            document,
            suite="eddsa-rdfc-2022",
            verification_method=proof["verificationMethod"],
            created=proof["created"],
            loader=loader,
            proof_id=proof["id"],
        )
    assert [p["proofValue"] for p in document["proof"]] == [p["proofValue"] for p in signed["proof"]]


def test_unsigned_fixtures_equal_the_signed_documents(shared_fixtures: Path) -> None:
    base = _vectors(shared_fixtures)
    signed = load(base / "eddsa-rdfc-2022" / "signedDataInt.json")
    del signed["proof"]
    assert load(base / "unsigned.json") == signed
    assert load(base / "proof-set-chain" / "unsigned.json") == signed
    employ = load(base / "eddsa-rdfc-2022" / "employ" / "signedDataInt.json")
    del employ["proof"]
    assert load(base / "employmentAuth.json") == employ


# --- lds-jws2020 ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def jws2020(shared_fixtures: Path) -> dict[str, Any]:
    data: dict[str, Any] = load(vc_dir(shared_fixtures) / "lds-jws2020" / "test-vectors.json")
    return data


@pytest.mark.parametrize(
    ("signature", "key_pair"), [("signature_0", "keypair_0"), ("signature_1", "keypair_1")]
)
def test_jws2020_detached_signatures(jws2020: dict[str, Any], signature: str, key_pair: str) -> None:
    key = jws2020[key_pair]["publicKeyJwk"]
    header = verify_detached_b64false(
        jws2020[signature], jws2020["message_0"].encode(), key=key, algorithms=None
    )
    assert header["b64"] is False
    with pytest.raises(InvalidSignatureError):
        verify_detached_b64false(jws2020[signature], b"hello world!", key=key, algorithms=None)


def test_jws2020_keypair_2_is_a_usable_p384_key(jws2020: dict[str, Any]) -> None:
    from d4h_sdk.identity.signing import LocalKeySigner

    pair = jws2020["keypair_2"]
    signer = LocalKeySigner(pair["privateKeyJwk"], key_id="https://example.com/issuer/123#k2")
    assert signer.algorithm == "ES384"
    assert {k: signer.public_jwk()[k] for k in ("kty", "crv", "x", "y")} == pair["publicKeyJwk"]


def test_jws2020_vc_0_verifies(jws2020: dict[str, Any], loader: DocumentLoader) -> None:
    verify_data_integrity(jws2020["vc_0"], key=jws2020["keypair_0"]["publicKeyJwk"], loader=loader)


def test_jws2020_vc_0_with_issuer_document(jws2020: dict[str, Any], loader: DocumentLoader) -> None:
    issuer = jws2020["issuer_0"]
    method = issuer["publicKey"][0]
    assert issuer["id"] + method["id"] == jws2020["vc_0"]["proof"]["verificationMethod"]
    assert method["id"] in issuer["assertionMethod"]
    verify_data_integrity(jws2020["vc_0"], key=method["publicKeyJwk"], loader=loader)


def test_jws2020_resign_template_and_verify(jws2020: dict[str, Any], loader: DocumentLoader) -> None:
    from d4h_sdk.identity.signing import LocalKeySigner

    template = copy.deepcopy(jws2020["vc_template_0"])
    template["issuer"] = {"id": "https://example.com/issuer/123"}
    method = jws2020["vc_0"]["proof"]["verificationMethod"]
    signer = LocalKeySigner(jws2020["keypair_0"]["privateKeyJwk"], key_id=method)
    signed = sign_data_integrity(
        signer,
        template,
        suite="JsonWebSignature2020",
        verification_method=method,
        created="2019-12-11T03:50:55Z",
        loader=loader,
    )
    # Ed25519 is deterministic: identical to the published vc_0
    assert signed == jws2020["vc_0"]


def test_jws2020_tampered_vc_0_fails(jws2020: dict[str, Any], loader: DocumentLoader) -> None:
    document = copy.deepcopy(jws2020["vc_0"])
    document["credentialSubject"]["degree"]["name"] = "Doctor of Everything"
    with pytest.raises(InvalidSignatureError):
        verify_data_integrity(document, key=jws2020["keypair_0"]["publicKeyJwk"], loader=loader)


def test_vectors_are_not_bound_to_their_issuer(shared_fixtures: Path, loader: DocumentLoader) -> None:
    # the vectors' issuer (https://vc.example/...) is not the did:key that signed: binding refuses them
    document = load(_vectors(shared_fixtures) / "eddsa-rdfc-2022" / "signedDataInt.json")
    with pytest.raises(UntrustedIssuerError, match="does not belong to the issuer"):
        verify_data_integrity(document, loader=loader)
