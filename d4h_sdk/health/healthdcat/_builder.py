"""A builder for HealthDCAT-AP R8 datasets that fills the R8 defaults a health data holder always needs."""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from enum import Enum
from typing import Any

from d4h_sdk.errors import ConfigurationError
from d4h_sdk.health.healthdcat._model import (
    Agent,
    Column,
    ContactPoint,
    Distribution,
    HealthDataset,
    Kind,
    Table,
    TableGroup,
)
from d4h_sdk.health.healthdcat._vocab import EHDS_ELI, AccessRights, DataTheme

__all__ = ["PLACEHOLDER_HDAB_ID", "HealthDatasetBuilder", "agent", "column", "placeholder_hdab"]

PLACEHOLDER_HDAB_ID = "urn:d4h:hdab:not-yet-designated"
"""The ``@id`` of the placeholder HDAB agent (the checker warns when it is used)."""


def agent(
    name: str,
    *,
    email: str | None = None,
    contact_page: str | None = None,
    telephone: str | None = None,
    id: str | None = None,
    type: str | Enum | None = None,
    description: str | None = None,
) -> Agent:
    """Build a :class:`Agent` with its single ``cv:ContactPoint`` (give ``email`` and/or ``contact_page``).

    Raises:
        ConfigurationError: Neither an email nor a contact page is given.
    """
    if not email and not contact_page:
        raise ConfigurationError(f"the agent {name!r} needs a contact: give email= or contact_page=")
    return Agent.model_validate(
        {
            "id": id,
            "name": name,
            "type": type,
            "description": description,
            "contact_point": ContactPoint(email=email, contact_page=contact_page, telephone=telephone),
        }
    )


def placeholder_hdab(*, email: str, name: str = "Health Data Access Body (not yet designated)") -> Agent:
    """A placeholder HDAB for Member States that have not designated one yet (R8 still requires ``hdab``).

    The property is never dropped; :func:`~d4h_sdk.health.healthdcat.validate` reports a warning while the
    placeholder is in use.

    Args:
        email: Where applicants can ask in the meantime (e.g. the data holder's data-access desk).
        name: The agent name to publish.
    """
    return agent(name, email=email, id=PLACEHOLDER_HDAB_ID)


class HealthDatasetBuilder:
    """Collects the properties of a health dataset and builds an immutable :class:`HealthDataset`.

    Defaults applied by :meth:`build` when not set: ``access_rights`` NON_PUBLIC, ``themes`` ``HEAL``,
    ``applicable_legislation`` the EHDS ELI on the dataset *and* on every distribution (including analytics
    and samples), and ``has_structured_data`` true exactly when variables are given.

    Example:
        >>> ds = (
        ...     HealthDatasetBuilder("https://hospital.example/ds/1", title="Diabetes", description="...")
        ...     .set(identifier="HRS-DIAB-1", health_categories=[HealthCategory.EHRS])
        ...     .hdab("HDAB-LU", email="hdab@example.lu")
        ...     .distribution(access_url="https://hospital.example/dsp")
        ...     .build()
        ... )
    """

    def __init__(
        self, id: str | None = None, *, title: str | None = None, description: str | None = None
    ) -> None:
        self._fields: dict[str, Any] = {"id": id}
        self._lists: dict[str, list[Any]] = {}
        if title is not None:
            self.add("title", title)
        if description is not None:
            self.add("description", description)

    def set(self, **fields: Any) -> HealthDatasetBuilder:
        """Set fields of :class:`HealthDataset` by name, replacing earlier values."""
        unknown = sorted(set(fields) - set(HealthDataset.model_fields))
        if unknown:
            raise ConfigurationError(f"unknown HealthDataset field(s): {', '.join(unknown)}")
        for name, value in fields.items():
            self._lists.pop(name, None)
            self._fields[name] = value
        return self

    def add(self, field: str, *values: Any) -> HealthDatasetBuilder:
        """Append values to a multi-valued field (``keywords``, ``health_themes``, ``code_values``...)."""
        if field not in HealthDataset.model_fields:
            raise ConfigurationError(f"unknown HealthDataset field: {field}")
        bucket = self._lists.setdefault(field, _as_list(self._fields.pop(field, None)))
        bucket.extend(values)
        return self

    def hdab(
        self, name: str, *, email: str | None = None, contact_page: str | None = None, **kw: Any
    ) -> HealthDatasetBuilder:
        """Set the Health Data Access Body (``healthdcatap:hdab``) with its contact point."""
        return self.set(hdab=agent(name, email=email, contact_page=contact_page, **kw))

    def placeholder_hdab(self, *, email: str) -> HealthDatasetBuilder:
        """Use :func:`placeholder_hdab` (warns: the HDAB is not designated yet)."""
        warnings.warn(
            "no Health Data Access Body is designated yet: a placeholder HDAB is published",
            UserWarning,
            stacklevel=2,
        )
        return self.set(hdab=placeholder_hdab(email=email))

    def publisher(
        self, name: str, *, email: str | None = None, contact_page: str | None = None, **kw: Any
    ) -> HealthDatasetBuilder:
        """Set the publisher (``dct:publisher``) with its contact point."""
        return self.set(publisher=agent(name, email=email, contact_page=contact_page, **kw))

    def contact(
        self, *, email: str | None = None, url: str | None = None, name: str | None = None
    ) -> HealthDatasetBuilder:
        """Add a dataset contact point (``dcat:contactPoint``, a ``vcard:Kind``)."""
        if not email and not url:
            raise ConfigurationError("a dataset contact point needs email= or url=")
        return self.add("contact_points", Kind(email=email, url=url, name=name))

    def distribution(
        self, *, access_url: str, kind: str = "distributions", **fields: Any
    ) -> HealthDatasetBuilder:
        """Add a distribution; ``kind`` is ``"distributions"``, ``"analytics"`` or ``"samples"``."""
        if kind not in ("distributions", "analytics", "samples"):
            raise ConfigurationError(f"kind must be distributions, analytics or samples, not {kind!r}")
        return self.add(kind, Distribution.model_validate({"access_url": access_url, **fields}))

    def variables(
        self, title: str, columns: Iterable[Column], *, table_title: str | None = None, url: str | None = None
    ) -> HealthDatasetBuilder:
        """Add a CSVW table group with one table of ``columns`` (``healthdcatap:hasVariables``)."""
        table = Table(title=table_title or title, url=url, columns=tuple(columns))
        return self.add("variables", TableGroup(title=title, tables=(table,)))

    def build(self) -> HealthDataset:
        """Build the dataset with the R8 defaults.

        Raises:
            ConfigurationError: A value does not fit the model (the message names the field).
        """
        from pydantic import ValidationError

        data = {**self._fields, **self._lists}
        data.setdefault("access_rights", AccessRights.NON_PUBLIC)
        if not data.get("themes"):
            data["themes"] = (DataTheme.HEAL,)
        if not data.get("applicable_legislation"):
            data["applicable_legislation"] = (EHDS_ELI,)
        for kind in ("distributions", "analytics", "samples"):
            data[kind] = tuple(_with_legislation(item) for item in _as_list(data.get(kind)))
        if data.get("has_structured_data") is None:
            data["has_structured_data"] = bool(data.get("variables"))
        try:
            return HealthDataset.model_validate(data)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}"
                for error in exc.errors(include_url=False, include_input=False)[:5]
            )
            raise ConfigurationError(f"invalid health dataset: {problems}") from exc


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def _with_legislation(dist: Any) -> Any:
    if isinstance(dist, Distribution) and not dist.applicable_legislation:
        return dist.model_copy(update={"applicable_legislation": (EHDS_ELI,)})
    if isinstance(dist, dict) and not dist.get("applicable_legislation"):
        return {**dist, "applicable_legislation": (EHDS_ELI,)}
    return dist


def column(
    name: str, datatype: str, *, title: str | None = None, description: str, property_url: str | None = None
) -> Column:
    """Build a CSVW :class:`Column` (``datatype`` is a CSVW built-in name such as ``"integer"``)."""
    return Column(
        name=name, datatype=datatype, title=title or name, description=description, property_url=property_url
    )
