from __future__ import annotations

import pytest

from d4h_sdk.errors import ConfigurationError
from d4h_sdk.identity.dcp import (
    DCP_ID_ALIAS,
    DCP_TYPE_ALIAS,
    EDC_LEGACY_TYPE_ALIAS,
    TRACTUSX_TYPE_ALIAS,
    Scope,
    scope_text,
)


@pytest.mark.parametrize(
    ("text", "alias", "discriminator", "operation"),
    [
        ("org.eclipse.dspace.dcp.vc.type:MembershipCredential", DCP_TYPE_ALIAS, "MembershipCredential", None),
        (
            "org.eclipse.dspace.dcp.vc.id:8247b87d-8d72-47e1-8128-9ce47e3d829d",
            DCP_ID_ALIAS,
            "8247b87d-8d72-47e1-8128-9ce47e3d829d",
            None,
        ),
        (
            "org.eclipse.dspace.dcp.vc.type:MembershipCredential:read",
            DCP_TYPE_ALIAS,
            "MembershipCredential",
            "read",
        ),
        (
            "org.eclipse.dspace.dcp.vc.type:MembershipCredential:all",
            DCP_TYPE_ALIAS,
            "MembershipCredential",
            "all",
        ),
        (
            "org.eclipse.dspace.dcp.vc.type:MembershipCredential:*",
            DCP_TYPE_ALIAS,
            "MembershipCredential",
            "*",
        ),
        (
            "org.eclipse.dspace.dcp.vc.type:https://w3id.org/ds4h/credentials/v1#PermitCredential:read",
            DCP_TYPE_ALIAS,
            "https://w3id.org/ds4h/credentials/v1#PermitCredential",
            "read",
        ),
        (
            "org.eclipse.dspace.dcp.vc.type:https://w3id.org/ds4h/credentials/v1#PermitCredential",
            DCP_TYPE_ALIAS,
            "https://w3id.org/ds4h/credentials/v1#PermitCredential",
            None,
        ),
        ("org.eclipse.tractusx.vc.type:BpnCredential:read", TRACTUSX_TYPE_ALIAS, "BpnCredential", "read"),
        (
            "org.eclipse.edc.vc.type:MembershipCredential:read",
            EDC_LEGACY_TYPE_ALIAS,
            "MembershipCredential",
            "read",
        ),
        ("custom.alias:Thing:write", "custom.alias", "Thing", "write"),
    ],
)
def test_parse_and_print_round_trip(text: str, alias: str, discriminator: str, operation: str | None) -> None:
    scope = Scope.parse(text)
    assert (scope.alias, scope.discriminator, scope.operation) == (alias, discriminator, operation)
    assert str(scope) == text
    assert Scope.parse(str(scope)) == scope


def test_credential_type_and_kind() -> None:
    assert (
        Scope.parse(
            "org.eclipse.dspace.dcp.vc.type:https://w3id.org/ds4h/v1#PermitCredential:read"
        ).credential_type
        == "PermitCredential"
    )
    assert Scope.parse("org.eclipse.tractusx.vc.type:BpnCredential:read").credential_type == "BpnCredential"
    id_scope = Scope.parse("org.eclipse.dspace.dcp.vc.id:abc")
    assert id_scope.is_id_scope and not id_scope.is_type_scope and id_scope.credential_type is None


def test_for_type() -> None:
    assert (
        str(Scope.for_type("MembershipCredential"))
        == "org.eclipse.dspace.dcp.vc.type:MembershipCredential:read"
    )
    assert str(Scope.for_type("MembershipCredential", operation=None)) == (
        "org.eclipse.dspace.dcp.vc.type:MembershipCredential"
    )
    assert str(Scope.for_type("BpnCredential", alias=TRACTUSX_TYPE_ALIAS)) == (
        "org.eclipse.tractusx.vc.type:BpnCredential:read"
    )


@pytest.mark.parametrize(
    "text",
    [
        "",
        "nocolon",
        ":MembershipCredential",
        "org.eclipse.dspace.dcp.vc.type:",
        "a:b c",
        "a b:c",
        "org.eclipse.dspace.dcp.vc.type::read",
    ],
)
def test_malformed_scopes(text: str) -> None:
    with pytest.raises(ConfigurationError):
        Scope.parse(text)


def test_constructor_checks() -> None:
    with pytest.raises(ConfigurationError, match="operation"):
        Scope(DCP_TYPE_ALIAS, "X", "delete")
    with pytest.raises(ConfigurationError, match="alias"):
        Scope("a:b", "X")


def test_matching_and_covering() -> None:
    member = Scope.for_type("MembershipCredential")
    assert member.matches_credential({"VerifiableCredential", "MembershipCredential"})
    assert not member.matches_credential({"VerifiableCredential", "PermitCredential"})
    by_id = Scope(DCP_ID_ALIAS, "urn:uuid:1")
    assert by_id.matches_credential(set(), "urn:uuid:1") and not by_id.matches_credential(set(), "urn:uuid:2")
    bare = Scope.for_type("MembershipCredential", operation=None)
    assert member.covers(bare) and bare.covers(member)  # no operation counts as read
    assert Scope.for_type("MembershipCredential", operation="*").covers(
        Scope.for_type("MembershipCredential", operation="write")
    )
    assert not member.covers(Scope.for_type("MembershipCredential", operation="write"))
    assert not member.covers(Scope.for_type("PermitCredential"))


def test_scope_text() -> None:
    assert scope_text([Scope.for_type("A"), "org.eclipse.tractusx.vc.type:B:read"]) == (
        "org.eclipse.dspace.dcp.vc.type:A:read org.eclipse.tractusx.vc.type:B:read"
    )
    with pytest.raises(ConfigurationError):
        scope_text(["bad"])
