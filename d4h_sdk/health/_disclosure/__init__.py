"""Disclosure control before sharing health data: pseudonyms, generalisation, k/l checks, cell suppression.

* :func:`pseudonymise` — keyed HMAC-SHA256 pseudonyms under a caller-held key, per context;
* :func:`generalise_date` / :func:`generalise_dates`, :func:`age_band` / :func:`age_bands`,
  :func:`generalise_postal_code` — generalisation of quasi-identifiers;
* :func:`check_k_anonymity`, :func:`check_l_diversity` — checks with a suppression budget;
* :func:`suppress_small_cells` — small-cell and secondary suppression of aggregate tables.

Every threshold is a parameter: there is no EU-wide rule (see docs/guides/health-data.md).
"""

from __future__ import annotations

from d4h_sdk.health._disclosure._cells import (
    DEFAULT_SMALL_CELL_THRESHOLD,
    SuppressedTable,
    suppress_small_cells,
)
from d4h_sdk.health._disclosure._generalise import (
    DateLevel,
    age_band,
    age_bands,
    age_on,
    generalise_date,
    generalise_dates,
    generalise_postal_code,
)
from d4h_sdk.health._disclosure._kanon import (
    DEFAULT_K,
    DEFAULT_L,
    DEFAULT_SUPPRESSION_BUDGET,
    EquivalenceClass,
    KAnonymityReport,
    LDiversityReport,
    check_k_anonymity,
    check_l_diversity,
)
from d4h_sdk.health._disclosure._pseudonym import MIN_KEY_BYTES, pseudonymise

__all__ = [
    "DEFAULT_K",
    "DEFAULT_L",
    "DEFAULT_SMALL_CELL_THRESHOLD",
    "DEFAULT_SUPPRESSION_BUDGET",
    "MIN_KEY_BYTES",
    "DateLevel",
    "EquivalenceClass",
    "KAnonymityReport",
    "LDiversityReport",
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
