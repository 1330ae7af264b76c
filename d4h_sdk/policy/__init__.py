"""Purposes and policies: EHDS / DUO / DS4H vocabularies, offer templates, a local evaluator and a linter.

```python
from d4h_sdk import policy

offer = policy.research().offer("urn:offer:1", target="urn:dataset:1")
decision = policy.evaluate(
    offer,
    claims={"membershipStatus": "active", "euEeaStatus": "eu-member-state", "permitIssued": True},
    purpose=policy.purposes.AI_TRAINING,
)
print(decision.outcome, decision.explain())
```
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from d4h_sdk.policy._vocab import (
    D4H_EHDS,
    D4H_ODRL,
    DUO,
    EDC,
    EHDS,
    ODRL,
    DataFormat,
    DataProtectionRole,
    DuoCode,
    DuoCodes,
    EhdsPurposes,
    EuEeaStatus,
    MembershipStatus,
    Operand,
    Operands,
    OrganizationOwnershipType,
    OrganizationType,
    Purpose,
    duo,
    expand_iri,
    operands,
    purposes,
)

if TYPE_CHECKING:
    from d4h_sdk.policy._evaluate import Evaluator, evaluate
    from d4h_sdk.policy._explain import Decision, Explanation, Outcome
    from d4h_sdk.policy._lint import LintIssue, lint
    from d4h_sdk.policy._templates import (
        PolicyBuilder,
        ai_training,
        all_of,
        any_of,
        constraint,
        ds4h_baseline,
        public_sector,
        research,
        statistics_request,
    )

_LAZY = {
    "Evaluator": "_evaluate",
    "evaluate": "_evaluate",
    "Decision": "_explain",
    "Explanation": "_explain",
    "Outcome": "_explain",
    "LintIssue": "_lint",
    "lint": "_lint",
    "PolicyBuilder": "_templates",
    "ai_training": "_templates",
    "all_of": "_templates",
    "any_of": "_templates",
    "constraint": "_templates",
    "ds4h_baseline": "_templates",
    "public_sector": "_templates",
    "research": "_templates",
    "statistics_request": "_templates",
}
"""Names loaded on first use: they need the pydantic models; the vocabularies above do not."""


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'd4h_sdk.policy' has no attribute {name!r}")
    return getattr(importlib.import_module(f"d4h_sdk.policy.{module}"), name)


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "D4H_EHDS",
    "D4H_ODRL",
    "DUO",
    "EDC",
    "EHDS",
    "ODRL",
    "DataFormat",
    "DataProtectionRole",
    "Decision",
    "DuoCode",
    "DuoCodes",
    "EhdsPurposes",
    "EuEeaStatus",
    "Evaluator",
    "Explanation",
    "LintIssue",
    "MembershipStatus",
    "Operand",
    "Operands",
    "OrganizationOwnershipType",
    "OrganizationType",
    "Outcome",
    "PolicyBuilder",
    "Purpose",
    "ai_training",
    "all_of",
    "any_of",
    "constraint",
    "ds4h_baseline",
    "duo",
    "evaluate",
    "expand_iri",
    "lint",
    "operands",
    "public_sector",
    "purposes",
    "research",
    "statistics_request",
]
