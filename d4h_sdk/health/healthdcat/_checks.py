"""The fast built-in checker: HealthDCAT-AP R8 mandatory and recommended rules per access level.

It mirrors the official R8 shapes (``non-public-shapes.ttl`` and the cardinality rules) without RDF or
SHACL, so it runs in microseconds and explains each problem in a data steward's words. Use
:func:`~d4h_sdk.health.healthdcat.validate_shacl` for the authoritative check against the official shapes.
"""

from __future__ import annotations

from d4h_sdk.errors import ConfigurationError
from d4h_sdk.health.healthdcat._builder import PLACEHOLDER_HDAB_ID
from d4h_sdk.health.healthdcat._model import Agent, Distribution, HealthDataset, TableGroup
from d4h_sdk.health.healthdcat._report import Finding, Severity, ValidationReport
from d4h_sdk.health.healthdcat._vocab import (
    ACCESS_RIGHT_BASE,
    EHDS_ELI,
    AccessRights,
    CodingSystem,
    HealthCategory,
    HealthTheme,
)

__all__ = ["CSVW_DATATYPES", "validate"]

CSVW_DATATYPES: frozenset[str] = frozenset(
    "anyAtomicType anyURI base64Binary boolean date dateTime dateTimeStamp decimal integer long int short "
    "byte nonNegativeInteger positiveInteger unsignedLong unsignedInt unsignedShort unsignedByte "
    "nonPositiveInteger negativeInteger double number duration dayTimeDuration yearMonthDuration float "
    "gDay gMonth gMonthDay gYear gYearMonth hexBinary QName string normalizedString token language Name "
    "NMTOKEN xml html json time any binary datetime".split()
)
"""The CSVW built-in datatype names (case-sensitive) accepted for ``csvw:datatype``."""

_KNOWN = {
    "health_categories": frozenset(item.value for item in HealthCategory),
    "health_themes": frozenset(item.value for item in HealthTheme),
    "coding_systems": frozenset(item.value for item in CodingSystem),
}


class _Collector:
    def __init__(self) -> None:
        self.findings: list[Finding] = []

    def error(self, path: str, prop: str, message: str) -> None:
        self.findings.append(Finding(severity=Severity.ERROR, path=path, property=prop, message=message))

    def warn(self, path: str, prop: str, message: str) -> None:
        self.findings.append(Finding(severity=Severity.WARNING, path=path, property=prop, message=message))

    def need(self, ok: bool, path: str, prop: str, message: str, *, mandatory: bool) -> None:
        if not ok:
            (self.error if mandatory else self.warn)(path, prop, message)


def _level(value: AccessRights | str | None, dataset: HealthDataset) -> AccessRights:
    if value is None:
        value = dataset.access_rights or AccessRights.NON_PUBLIC
    if isinstance(value, AccessRights):
        return value
    text = value.removeprefix(ACCESS_RIGHT_BASE).upper().replace("-", "_")
    try:
        return AccessRights[text]
    except KeyError:
        raise ConfigurationError(
            f"unknown access level {value!r}: use AccessRights.PUBLIC, RESTRICTED or NON_PUBLIC"
        ) from None


def validate(dataset: HealthDataset, *, access_level: AccessRights | str | None = None) -> ValidationReport:
    """Check ``dataset`` against the HealthDCAT-AP R8 rules for an access level.

    Mandatory rules (all levels): title, description, identifier, data theme, applicable legislation,
    access rights, at least one distribution (each with applicable legislation and an access URL), health
    category, exactly one HDAB with a contact point, ``hasStructuredData`` (and variables when it is true),
    well-formed CSVW variables, contact points of the publisher / HDAB coordinator / custodian. NON_PUBLIC
    additionally requires a contact point, keywords, a dataset type and a provenance statement (these are
    recommendations for PUBLIC and RESTRICTED). Recommended properties (health theme, coding systems,
    counts, ages, population coverage, retention period, purposes, legal basis, personal data, custodian,
    quality annotations, analytics, samples) produce warnings.

    Args:
        dataset: The dataset to check.
        access_level: ``AccessRights.PUBLIC`` / ``RESTRICTED`` / ``NON_PUBLIC`` (or the name); by default
            the dataset's own access rights, else NON_PUBLIC.

    Returns:
        The report; ``report.conforms`` is false when a mandatory rule is broken.

    Raises:
        ConfigurationError: ``access_level`` is not one of the three levels.
    """
    level = _level(access_level, dataset)
    c = _Collector()
    d = dataset
    c.need(
        bool(d.title), "title", "dct:title", "The dataset has no title. Add a short title.", mandatory=True
    )
    c.need(
        bool(d.description),
        "description",
        "dct:description",
        "The dataset has no description. Describe its content, population and origin in a few sentences.",
        mandatory=True,
    )
    c.need(
        bool(d.identifier),
        "identifier",
        "dct:identifier",
        "The dataset has no identifier. Add the holder's stable identifier for it.",
        mandatory=True,
    )
    c.need(
        bool(d.themes),
        "themes",
        "dcat:theme",
        "No data theme is given. Add DataTheme.HEAL (health).",
        mandatory=True,
    )
    _check_access(c, d, level)
    _check_legislation(c, d.applicable_legislation, "applicable_legislation")
    c.need(
        bool(d.health_categories),
        "health_categories",
        "healthdcatap:healthCategory",
        "No health category is given. Pick at least one EHDS Art 51 category, e.g. HealthCategory.EHRS "
        "for electronic health records.",
        mandatory=True,
    )
    _check_vocab(c, d)
    _check_hdab(c, d)
    for path, who in (("publisher", d.publisher), ("hdab_coordinator", d.hdab_coordinator)):
        _check_agent(c, who, path)
    _check_agent(c, d.custodian, "custodian")
    if d.publisher is not None and len(d.publisher.description) > 1:
        c.error("publisher.description", "dct:description", "The publisher may have only one publisher note.")
    _check_distributions(c, d)
    _check_structure(c, d)
    _check_numbers(c, d)
    strict = level is AccessRights.NON_PUBLIC
    extra = "required for NON_PUBLIC datasets" if strict else "recommended"
    c.need(
        bool(d.contact_points),
        "contact_points",
        "dcat:contactPoint",
        f"No contact point for questions about the dataset ({extra}). Add an email or a web page.",
        mandatory=strict,
    )
    for index, kind in enumerate(d.contact_points):
        c.need(
            bool(kind.email or kind.url),
            f"contact_points[{index}]",
            "vcard:hasEmail",
            "A dataset contact point needs an email address or a URL.",
            mandatory=True,
        )
    c.need(bool(d.keywords), "keywords", "dcat:keyword", f"No keywords ({extra}).", mandatory=strict)
    c.need(
        bool(d.types),
        "types",
        "dct:type",
        f"No dataset type ({extra}), e.g. DatasetType.PERSONAL_DATA or SYNTHETIC_DATA.",
        mandatory=strict,
    )
    c.need(
        bool(d.provenance),
        "provenance",
        "dct:provenance",
        f"No provenance statement ({extra}). Say where the data come from and how they were processed.",
        mandatory=strict,
    )
    _recommended(c, d)
    return ValidationReport(access_level=level, findings=tuple(c.findings))


def _check_access(c: _Collector, d: HealthDataset, level: AccessRights) -> None:
    if d.access_rights is None:
        c.error("access_rights", "dct:accessRights", f"No access rights. Set AccessRights.{level.name}.")
    elif d.access_rights != level.value:
        c.error(
            "access_rights",
            "dct:accessRights",
            f"The access rights are {d.access_rights.rsplit('/', 1)[-1]!s}, but the dataset is checked as "
            f"{level.name}. Set AccessRights.{level.name} or check against the right level.",
        )


def _check_legislation(c: _Collector, values: tuple[str, ...], path: str) -> None:
    if not values:
        c.error(
            path,
            "dcatap:applicableLegislation",
            "No applicable legislation. Add the EHDS regulation (EHDS_ELI).",
        )
    elif EHDS_ELI not in values:
        c.warn(
            path,
            "dcatap:applicableLegislation",
            "The EHDS regulation (EU) 2025/327 is not cited as applicable legislation; R8 recommends it "
            "(EHDS_ELI).",
        )


def _check_vocab(c: _Collector, d: HealthDataset) -> None:
    names = {
        "health_categories": "health category",
        "health_themes": "health theme",
        "coding_systems": "coding system",
    }
    for field, label in names.items():
        for value in getattr(d, field):
            if value not in _KNOWN[field]:
                c.warn(field, "", f"{value} is not a {label} of the HealthDCAT-AP R8 vocabulary.")


def _check_agent(c: _Collector, agent: Agent | None, path: str) -> None:
    if agent is None:
        return
    if not agent.name:
        c.warn(path, "foaf:name", f"The {path.replace('_', ' ')} has no name.")
    cp = agent.contact_point
    if cp is None:
        c.error(
            f"{path}.contact_point", "cv:contactPoint", f"The {path.replace('_', ' ')} needs a contact point."
        )
    elif not (cp.email or cp.contact_page):
        c.error(
            f"{path}.contact_point",
            "cv:email",
            f"The contact point of the {path.replace('_', ' ')} needs an email address or a contact page.",
        )


def _check_hdab(c: _Collector, d: HealthDataset) -> None:
    if d.hdab is None:
        c.error(
            "hdab",
            "healthdcatap:hdab",
            "No Health Data Access Body (HDAB). R8 requires one; if none is designated in your country yet, "
            "use placeholder_hdab(email=...).",
        )
        return
    _check_agent(c, d.hdab, "hdab")
    if d.hdab.id == PLACEHOLDER_HDAB_ID:
        c.warn(
            "hdab", "healthdcatap:hdab", "The HDAB is a placeholder: replace it once the HDAB is designated."
        )


def _check_distributions(c: _Collector, d: HealthDataset) -> None:
    c.need(
        bool(d.distributions),
        "distributions",
        "dcat:distribution",
        "The dataset has no distribution. Add at least one, with the URL where access is requested.",
        mandatory=True,
    )
    groups: tuple[tuple[str, tuple[Distribution, ...]], ...] = (
        ("distributions", d.distributions),
        ("analytics", d.analytics),
        ("samples", d.samples),
    )
    for field, dists in groups:
        for index, dist in enumerate(dists):
            path = f"{field}[{index}]"
            _check_legislation(c, dist.applicable_legislation, f"{path}.applicable_legislation")
            if not dist.access_url:
                c.error(f"{path}.access_url", "dcat:accessURL", "The distribution needs an access URL.")


def _check_structure(c: _Collector, d: HealthDataset) -> None:
    if d.has_structured_data is None:
        c.error(
            "has_structured_data",
            "healthdcatap:hasStructuredData",
            "Say whether the data are structured (has_structured_data=True/False).",
        )
    elif d.has_structured_data and not d.variables:
        c.error(
            "variables",
            "healthdcatap:hasVariables",
            "The data are structured, so describe the variables (a CSVW table group with its columns).",
        )
    for index, group in enumerate(d.variables):
        _check_group(c, group, f"variables[{index}]")


def _check_group(c: _Collector, group: TableGroup, path: str) -> None:
    c.need(
        bool(group.title), f"{path}.title", "dct:title", "The variable group needs a title.", mandatory=True
    )
    c.need(
        bool(group.tables), f"{path}.tables", "csvw:table", "The variable group has no table.", mandatory=True
    )
    for t_index, table in enumerate(group.tables):
        t_path = f"{path}.tables[{t_index}]"
        c.need(bool(table.title), f"{t_path}.title", "dct:title", "The table needs a title.", mandatory=True)
        c.need(
            bool(table.columns),
            f"{t_path}.columns",
            "csvw:column",
            "The table has no column.",
            mandatory=True,
        )
        for k, col in enumerate(table.columns):
            col_path = f"{t_path}.columns[{k}]"
            label = f"column {col.name!r}" if col.name else "a column"
            c.need(bool(col.name), f"{col_path}.name", "csvw:name", "A column has no name.", mandatory=True)
            c.need(
                bool(col.title),
                f"{col_path}.title",
                "csvw:title",
                f"The {label} has no title.",
                mandatory=True,
            )
            c.need(
                bool(col.description),
                f"{col_path}.description",
                "dct:description",
                f"The {label} has no description.",
                mandatory=True,
            )
            if not col.datatype:
                c.error(
                    f"{col_path}.datatype", "csvw:datatype", f"The {label} has no datatype (e.g. 'string')."
                )
            elif col.datatype not in CSVW_DATATYPES:
                c.error(
                    f"{col_path}.datatype",
                    "csvw:datatype",
                    f"The {label} has datatype {col.datatype!r}, which is not a CSVW built-in name "
                    "(names are case-sensitive: 'dateTime', 'integer', 'string'...).",
                )


def _check_numbers(c: _Collector, d: HealthDataset) -> None:
    low, high = d.min_typical_age, d.max_typical_age
    if low is not None and high is not None and low > high:
        c.error(
            "min_typical_age",
            "healthdcatap:minTypicalAge",
            f"The minimum age {low} is above the maximum {high}.",
        )
    records, people = d.number_of_records, d.number_of_unique_individuals
    if records is not None and people is not None and people > records:
        c.warn(
            "number_of_unique_individuals",
            "healthdcatap:numberOfUniqueIndividuals",
            f"There are more individuals ({people}) than records ({records}); check both counts.",
        )
    if d.retention_period is not None:
        start, end = d.retention_period.start, d.retention_period.end
        if start is not None and end is not None and str(start) > str(end):
            c.error(
                "retention_period",
                "healthdcatap:retentionPeriod",
                "The retention period ends before it starts.",
            )


_RECOMMENDED: tuple[tuple[str, str, str], ...] = (
    (
        "health_themes",
        "healthdcatap:healthTheme",
        "No health theme (e.g. HealthTheme.NONCOMMUNICABLE_DISEASES).",
    ),
    ("coding_systems", "healthdcatap:hasCodingSystem", "No coding system (e.g. CodingSystem.ICD_10, LOINC)."),
    ("code_values", "healthdcatap:hasCodeValues", "No code values (e.g. the ICD-10 codes 'E10', 'E11')."),
    ("population_coverage", "healthdcatap:populationCoverage", "No population coverage: who is in the data?"),
    ("number_of_records", "healthdcatap:numberOfRecords", "The number of records is not given."),
    (
        "number_of_unique_individuals",
        "healthdcatap:numberOfUniqueIndividuals",
        "The number of individuals is missing.",
    ),
    ("min_typical_age", "healthdcatap:minTypicalAge", "The minimum typical age is not given (round it)."),
    ("max_typical_age", "healthdcatap:maxTypicalAge", "The maximum typical age is not given (round it)."),
    ("retention_period", "healthdcatap:retentionPeriod", "No retention period: how long are the data kept?"),
    ("purposes", "dpv:hasPurpose", "No purpose of the data collection."),
    ("legal_bases", "dpv:hasLegalBasis", "No legal basis for processing."),
    (
        "personal_data",
        "dpv:hasPersonalData",
        "The personal data categories are not listed (e.g. PersonalData.AGE).",
    ),
    ("custodian", "geodcatap:custodian", "No custodian (the health data holder)."),
    ("publisher", "dct:publisher", "No publisher."),
    ("quality_annotations", "dqv:hasQualityAnnotation", "No quality annotation (e.g. a quality label)."),
    ("analytics", "healthdcatap:analytics", "No analytics distribution (aggregate statistics)."),
    ("samples", "adms:sample", "No sample distribution (a synthetic or anonymised sample)."),
)


def _recommended(c: _Collector, d: HealthDataset) -> None:
    for field, prop, message in _RECOMMENDED:
        value = getattr(d, field)
        if value is None or value == ():
            c.warn(field, prop, f"{message} (recommended)")
