"""An analyst's flow, from "which diabetes datasets exist" to a pandas DataFrame, on the sandbox.

Starts an embedded sandbox data space (a hospital, a research lab, an authority) and, as the research lab:

1. searches the hospital's catalog for diabetes data, with the purpose declared (compatible offers first);
2. negotiates a contract for the public sample (each state printed as it is seen);
3. pulls the data (EDR, streaming, checksum verified) straight into pandas and summarises HbA1c;
4. shows the two ways a request is refused: the local policy check, and the provider's termination.

Needs the ``sandbox`` and ``pandas`` extras (both in ``[dev]``). No arguments:

    python examples/analyst.py
"""

from __future__ import annotations

import d4h_sdk as d4h
from d4h_sdk.negotiation import Contract

DATASET = "diabetes-sample"


def search_and_download(session: d4h.Session) -> Contract:
    """Search, negotiate and load the public diabetes sample; return the contract."""
    research = d4h.purposes.SCIENTIFIC_RESEARCH
    provider = session.default_provider
    assert provider is not None  # Session.sandbox() sets it to the sandbox hospital

    hits = session.catalog.search(provider, text="diabetes", purpose=research)
    print(f"{len(hits)} diabetes dataset(s) at {provider.address}:")
    print(hits.to_pandas()[["id", "records", "access_rights", "compatible", "policy"]].to_string(index=False))

    target = next(hit for hit in hits if hit.id == DATASET)
    print(f"\nNegotiating {target.id} for {research.label}:")
    contract = session.negotiations.negotiate(
        target, purpose=research, on_state=lambda status: print(f"  negotiation {status.state.value}")
    )
    print(f"  agreement {contract.id}")

    with session.transfers.pull(contract) as download:
        frame = download.to_pandas()
        print(f"\nDownloaded {download.size} bytes ({download.media_type}), verified: {download.verified}")
    latest = frame.sort_values("visit_number").groupby("patient_id").tail(1)
    summary = latest.groupby("diabetes_type")["hba1c_percent"].agg(["count", "mean"]).round(1)
    print("HbA1c (%) at the last visit, by diabetes type:")
    print(summary.to_string())
    return contract


def refusals(session: d4h.Session) -> None:
    """A prohibited purpose: refused locally before anything is sent, then by the provider."""
    banned = d4h.purposes.ADVERTISING
    provider = session.default_provider
    assert provider is not None
    hit = session.catalog.get(provider, DATASET, purpose=banned)
    print(f"\nPurpose {banned.label}: {hit.policy_summary()}")
    try:
        session.negotiations.negotiate(hit, purpose=banned)
    except d4h.PolicyMismatchError as exc:
        print("  refused locally, nothing sent:", str(exc).splitlines()[0])
    offer_id = hit.dataset.offers[0].id
    try:  # naming the offer skips the local check: the provider decides
        session.negotiations.negotiate(hit, purpose=banned, offer_id=offer_id, timeout=30)
    except d4h.NegotiationTerminatedError as exc:
        print(f"  terminated by the provider: {exc.code}:", "; ".join(exc.reason))


def main() -> None:
    """Run the flow against a new sandbox."""
    with d4h.Session.sandbox(patients=60) as session:
        print(f"Acting as {session.identity.participant_id} through {session.connector.kind}\n")
        search_and_download(session)
        refusals(session)


if __name__ == "__main__":
    main()
