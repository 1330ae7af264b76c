"""Disclosure control before sharing.

Keyed pseudonyms, generalisation, k-anonymity and l-diversity checks, small-cell suppression for aggregate
tables.
"""

from __future__ import annotations

from d4h_sdk.health._disclosure import (
    DEFAULT_K,
    DEFAULT_L,
    DEFAULT_SMALL_CELL_THRESHOLD,
    DEFAULT_SUPPRESSION_BUDGET,
    MIN_KEY_BYTES,
    DateLevel,
    EquivalenceClass,
    KAnonymityReport,
    LDiversityReport,
    SuppressedTable,
    age_band,
    age_bands,
    age_on,
    check_k_anonymity,
    check_l_diversity,
    generalise_date,
    generalise_dates,
    generalise_postal_code,
    pseudonymise,
    suppress_small_cells,
)

__all__ = [
    "DEFAULT_K",
    "DEFAULT_L",
    "DEFAULT_SMALL_CELL_THRESHOLD",
    "DEFAULT_SUPPRESSION_BUDGET",
    "DateLevel",
    "EquivalenceClass",
    "KAnonymityReport",
    "LDiversityReport",
    "MIN_KEY_BYTES",
    "SuppressedTable",
    "age_band",
    "age_bands",
    "age_on",
    "check_k_anonymity",
    "check_l_diversity",
    "generalise_date",
    "generalise_dates",
    "generalise_postal_code",
    "pseudonymise",
    "suppress_small_cells",
]
