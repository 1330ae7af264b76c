"""A hospital publishes a HealthDCAT-AP dataset under a policy template; a research lab finds and uses it.

Runs on the embedded sandbox data space:

1. the hospital's internal export (a CSV served by a small HTTP server on loopback) is what the data plane
   reads — in production, your FHIR server or export service;
2. as the hospital, through its EDC Management API (``Session.edc`` on the sandbox's facade), the dataset is
   described with ``HealthDatasetBuilder`` and published with ``session.provider.publish(...)`` under the
   DS4H baseline policy template, restricted to scientific research, with the EHDS Art 54 prohibitions;
3. as the research lab, the dataset is found by its health facets, negotiated and downloaded;
4. the hospital unpublishes it, and it disappears from the lab's catalog.

Needs the ``sandbox`` and ``pandas`` extras (both in ``[dev]``). No arguments:

    python examples/hospital_publish.py
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import d4h_sdk as d4h
from d4h_sdk.health import AccessRights, CodingSystem, HealthCategory, HealthDatasetBuilder, HealthTheme
from d4h_sdk.policy import ds4h_baseline
from d4h_sdk.sandbox import Sandbox

ASSET_ID = "hba1c-registry-2024"
EXPORT = b"patient_id,visit_date,hba1c_percent\np1,2024-01-10,7.2\np1,2024-06-12,6.8\np2,2024-03-02,8.1\n"


class _ExportHandler(BaseHTTPRequestHandler):
    """The hospital's internal export service: one CSV file."""

    def do_GET(self) -> None:  # noqa: N802 - the http.server hook name
        self.send_response(200)
        self.send_header("Content-Type", "text/csv")
        self.send_header("Content-Length", str(len(EXPORT)))
        self.end_headers()
        self.wfile.write(EXPORT)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the http.server signature
        """Keep the example's output quiet."""


@contextmanager
def export_service() -> Iterator[str]:
    """Serve the export on 127.0.0.1 (a free port); yield its URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ExportHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/exports/{ASSET_ID}.csv"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def publish(sandbox: Sandbox, export_url: str) -> None:
    """As the hospital: describe the dataset and publish it with a policy template."""
    dataset = (
        HealthDatasetBuilder(
            f"https://hospital.example/datasets/{ASSET_ID}",
            title="HbA1c registry 2024",
            description="HbA1c measurements of the diabetes clinic, 2024 (pseudonymised).",
        )
        .set(
            identifier=ASSET_ID,
            keywords=["diabetes", "HbA1c"],
            access_rights=AccessRights.NON_PUBLIC,
            health_categories=[HealthCategory.EHRS],
            health_themes=[HealthTheme.NONCOMMUNICABLE_DISEASES],
            coding_systems=[CodingSystem.LOINC],
            code_values=["E11"],
            number_of_records=3,
            number_of_unique_individuals=2,
        )
        .hdab("HDAB-LU", email="hdab@example.lu")
        .build()
    )
    policy = ds4h_baseline(jurisdiction="LU").purposes(d4h.purposes.SCIENTIFIC_RESEARCH).prohibit_art54()
    with d4h.Session.edc(
        sandbox.management_url("hospital"), api_key=sandbox.management_api_key("hospital")
    ) as hospital:
        published = hospital.provider.publish(
            dataset,
            # an EDC HttpData address; contentType tells consumers the media type of what it serves
            data_address={"type": "HttpData", "baseUrl": export_url, "contentType": "text/csv"},
            policy=policy,
        )
        print(
            f"Published {published.asset_id} "
            f"(policy {published.policy_id}, contract {published.contract_definition_id})"
        )
        print("The hospital's published assets:", [asset.asset_id for asset in hospital.provider.list()])


def discover_and_use(sandbox: Sandbox) -> None:
    """As the research lab: find the dataset by its facets, negotiate and download it."""
    research = d4h.purposes.SCIENTIFIC_RESEARCH
    with d4h.Session.sandbox(sandbox, participant="research-lab") as lab:
        assert lab.default_provider is not None
        hits = lab.catalog.search(
            lab.default_provider,
            health_theme="NONCOMMUNICABLE_DISEASES",
            coding_system="LOINC",
            text="HbA1c registry",
            purpose=research,
        )
        hit = next(hit for hit in hits if hit.id == ASSET_ID)
        print(f"The lab finds {hit.id!r}: {hit.facets.title[0]}; {hit.policy_summary()}")
        contract = lab.negotiations.negotiate(hit, purpose=research)
        with lab.transfers.pull(contract) as download:
            frame = download.to_pandas()
        print(f"Agreement {contract.id}; {len(frame)} rows, mean HbA1c {frame['hba1c_percent'].mean():.2f} %")


def unpublish(sandbox: Sandbox) -> None:
    """As the hospital: withdraw the dataset; the lab no longer sees it."""
    with d4h.Session.edc(
        sandbox.management_url("hospital"), api_key=sandbox.management_api_key("hospital")
    ) as hospital:
        hospital.provider.unpublish(ASSET_ID)
    with d4h.Session.sandbox(sandbox) as lab:
        assert lab.default_provider is not None
        ids = [dataset.id for _, dataset in lab.catalog.datasets(lab.default_provider)]
        print(f"Unpublished; still in the lab's catalog: {ASSET_ID in ids}")


def main() -> None:
    """Publish, discover, use and withdraw a dataset on a new sandbox."""
    with Sandbox(patients=20) as sandbox, export_service() as export_url:
        publish(sandbox, export_url)
        discover_and_use(sandbox)
        unpublish(sandbox)


if __name__ == "__main__":
    main()
