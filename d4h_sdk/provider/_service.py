"""``session.provider``: publish typed health datasets as asset + policy definition + contract definition."""

from __future__ import annotations

import builtins
import re
from collections.abc import Mapping
from typing import Any

from d4h_sdk.connectors import Connector, Publication, PublishedAsset, PublishingConnector
from d4h_sdk.errors import ConfigurationError, UnsupportedOperationError
from d4h_sdk.health.healthdcat import HealthDataset
from d4h_sdk.models import Offer
from d4h_sdk.policy import PolicyBuilder

__all__ = ["ProviderClient"]

_ID = re.compile(r"^[A-Za-z0-9._:~\-]+$")


def _data_address(data_address: str | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(data_address, str):
        if not data_address.startswith(("http://", "https://")):
            raise ConfigurationError(
                f"data_address must be an http(s) URL or an EDC DataAddress mapping, got {data_address!r}"
            )
        return {"type": "HttpData", "baseUrl": data_address}
    if isinstance(data_address, Mapping):
        return dict(data_address)
    raise ConfigurationError(f"data_address must be a URL or a mapping, got {type(data_address).__name__}")


def _policy(policy: Offer | PolicyBuilder, policy_id: str) -> Offer:
    if isinstance(policy, Offer):
        return policy
    if isinstance(policy, PolicyBuilder):
        return policy.offer(policy_id)
    raise ConfigurationError(
        "policy must be an Offer or a policy template from d4h_sdk.policy (e.g. policy.research()), "
        f"got {type(policy).__name__}"
    )


class ProviderClient:
    """Publishing as a provider. Not constructed directly: use ``session.provider``.

    Works with a connector that can publish (the EDC backend, and the sandbox through its EDC facade); a plain
    DSP connector cannot (DSP has no publishing): :class:`~d4h_sdk.errors.UnsupportedOperationError`.
    """

    def __init__(self, connector: Connector) -> None:
        self._connector = connector

    def __repr__(self) -> str:
        return f"ProviderClient(connector={self._connector.kind!r})"

    def _publisher(self) -> PublishingConnector:
        if not isinstance(self._connector, PublishingConnector):
            raise UnsupportedOperationError(
                f"the {self._connector.kind} backend cannot publish: use Session.edc(...) with your provider "
                "connector's management API"
            )
        return self._connector

    def publish(
        self,
        dataset: HealthDataset | Mapping[str, Any],
        *,
        data_address: str | Mapping[str, Any],
        policy: Offer | PolicyBuilder,
        asset_id: str | None = None,
        access_policy: Offer | PolicyBuilder | None = None,
        media_type: str | None = None,
    ) -> PublishedAsset:
        """Publish a dataset: create its asset, policy definition(s) and contract definition.

        Args:
            dataset: A typed HealthDCAT-AP description (its HealthDCAT properties become asset properties), or
                plain asset properties.
            data_address: Where the data plane reads the data: a URL (an ``HttpData`` address) or an EDC
                DataAddress mapping.
            policy: The contract policy: an :class:`~d4h_sdk.models.Offer` or a template such as
                ``d4h_sdk.policy.research()``.
            asset_id: The asset id (default: the dataset's id / identifier).
            access_policy: A separate access (catalog visibility) policy; default the contract policy.
            media_type: The media type of the data (e.g. ``text/csv``), written as the data address's
                ``contentType`` so consumers can parse it (``Download.to_pandas``).

        Returns:
            The ids created.

        Raises:
            ConfigurationError: A missing or malformed id, data address or policy.
            UnsupportedOperationError: The backend cannot publish.
            APIError: The connector refused a step.
        """
        publisher = self._publisher()
        if isinstance(dataset, HealthDataset):
            from d4h_sdk.health import to_asset_properties

            properties = to_asset_properties(dataset)
            default_id = next(iter(dataset.identifier), None) or dataset.id
        elif isinstance(dataset, Mapping):
            properties = dict(dataset)
            found = properties.get("@id", properties.get("id"))
            default_id = found if isinstance(found, str) else None
        else:
            raise ConfigurationError(
                f"dataset must be a HealthDataset or a mapping of properties, not {type(dataset).__name__}"
            )
        chosen_id = asset_id or default_id
        if not chosen_id or not _ID.match(chosen_id):
            raise ConfigurationError(
                f"asset id {chosen_id!r} is missing or has characters a management API path cannot carry; "
                "pass asset_id='my-dataset-1'"
            )
        contract_policy = _policy(policy, f"{chosen_id}-policy")
        access = _policy(access_policy, f"{chosen_id}-access") if access_policy is not None else None
        address = _data_address(data_address)
        if media_type is not None:
            if not isinstance(media_type, str) or "/" not in media_type:
                raise ConfigurationError(f"media_type must look like 'text/csv', got {media_type!r}")
            address.setdefault("contentType", media_type)
        publication = Publication(
            asset_id=chosen_id,
            properties=properties,
            data_address=address,
            contract_policy=contract_policy,
            access_policy=access,
        )
        return publisher.publish(publication)

    def unpublish(self, asset_id: str) -> None:
        """Remove what :meth:`publish` created for ``asset_id``."""
        if not isinstance(asset_id, str) or not asset_id:
            raise ConfigurationError("asset_id must be a non-empty string")
        self._publisher().unpublish(asset_id)

    def list(self) -> builtins.list[PublishedAsset]:
        """Every asset published through the connector."""
        return self._publisher().list_published()
