"""Discovery: search providers' catalogs (or an EDC Federated Catalog) by health facets and purpose.

```python
from d4h_sdk.catalog import CatalogClient

client = CatalogClient(connector, claims=my_claims)
hits = client.search(
    ["https://hospital.example/api/dsp", clinic],
    health_theme="NONCOMMUNICABLE_DISEASES",
    codes=["E11"],
    purpose=d4h_sdk.purposes.SCIENTIFIC_RESEARCH,
)
for hit in hits:  # offers permitted for the purpose first
    print(hit.provider.address, hit.id, hit.compatible, hit.offers[0].summary())
hits.errors  # providers that failed, by address
hits.graph().query("SELECT ...")  # rdflib, offline
```

Facets are read from the datasets' raw JSON-LD without rdflib, so a catalog of 10,000 datasets is filtered
before any dataset model or ``dataset.health`` view is built.
"""

from __future__ import annotations

from d4h_sdk.catalog._client import CatalogClient
from d4h_sdk.catalog._facets import Facets, read_facets
from d4h_sdk.catalog._federated import FC_QUERY_PATH
from d4h_sdk.catalog._filter import FACETS, DatasetFilter
from d4h_sdk.catalog._results import DatasetHit, OfferFit, SearchResults

__all__ = [
    "FACETS",
    "FC_QUERY_PATH",
    "CatalogClient",
    "DatasetFilter",
    "DatasetHit",
    "Facets",
    "OfferFit",
    "SearchResults",
    "read_facets",
]
