"""Tests of d4h_sdk.catalog: facets, filters, ranking, pagination, concurrency, graph, federated catalog."""
