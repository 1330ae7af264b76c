from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from d4h_sdk.errors import ConfigurationError, SignerNotFoundError
from d4h_sdk.identity.signing import (
    LocalKeySigner,
    Signer,
    available_signers,
    generate_key,
    load_signer,
    register_signer,
    resolve_signer,
    unregister_signer,
)
from d4h_sdk.testing import FakeSigner

KID = "did:web:hospital.example#key-1"


@pytest.fixture
def registered() -> Iterator[list[str]]:
    """Names registered by a test; unregistered afterwards."""
    names: list[str] = []
    yield names
    for name in names:
        try:
            unregister_signer(name)
        except SignerNotFoundError:
            pass


def test_register_load_unregister(registered: list[str]) -> None:
    seen: dict[str, object] = {}

    def factory(**options: object) -> Signer:
        seen.update(options)
        return FakeSigner(key_id=str(options.get("key_id", KID)))

    register_signer("test-fake", factory)
    registered.append("test-fake")
    signer = load_signer("test-fake", key_id="did:web:x#1", extra=1)
    assert signer.key_id == "did:web:x#1"
    assert seen == {"key_id": "did:web:x#1", "extra": 1}
    assert "test-fake" in available_signers()
    unregister_signer("test-fake")
    registered.clear()
    assert "test-fake" not in available_signers()
    with pytest.raises(SignerNotFoundError):
        load_signer("test-fake")
    with pytest.raises(SignerNotFoundError, match="registered in-process"):
        unregister_signer("test-fake")


def test_duplicates_are_rejected_unless_replace(registered: list[str]) -> None:
    register_signer("test-dup", lambda **o: FakeSigner())
    registered.append("test-dup")
    with pytest.raises(ConfigurationError, match="already registered"):
        register_signer("test-dup", lambda **o: FakeSigner("P-256"))
    assert load_signer("test-dup").algorithm == "EdDSA"
    register_signer("test-dup", lambda **o: FakeSigner("P-256"), replace=True)
    assert load_signer("test-dup").algorithm == "ES256"


def test_entry_point_names_are_protected(registered: list[str]) -> None:
    with pytest.raises(ConfigurationError, match="already registered"):
        register_signer("local", lambda **o: FakeSigner())
    register_signer("local", lambda **o: FakeSigner(key_id="did:web:override#1"), replace=True)
    registered.append("local")
    assert load_signer("local").key_id == "did:web:override#1"  # in-process first
    unregister_signer("local")
    registered.clear()
    with pytest.raises(ConfigurationError, match="exactly one of"):
        load_signer("local")  # back to the entry point


@pytest.mark.parametrize("name", ["", "Upper", "with space", "-lead", 3])
def test_invalid_names(name: object) -> None:
    with pytest.raises(ConfigurationError, match="invalid signer name"):
        register_signer(name, lambda **o: FakeSigner())  # type: ignore[arg-type]


def test_factory_must_be_callable() -> None:
    with pytest.raises(ConfigurationError, match="not callable"):
        register_signer("test-nc", "nope")  # type: ignore[arg-type]


def test_unknown_name_lists_available() -> None:
    with pytest.raises(SignerNotFoundError) as info:
        load_signer("no-such-backend")
    assert "local" in str(info.value) and "vault-transit" in str(info.value)
    assert isinstance(info.value, LookupError)


def test_factory_returning_non_signer(registered: list[str]) -> None:
    register_signer("test-bad", lambda **o: object())  # type: ignore[arg-type]
    registered.append("test-bad")
    with pytest.raises(ConfigurationError, match="returned object, which is not a Signer"):
        load_signer("test-bad")


def test_builtin_backends_are_listed_sorted() -> None:
    names = available_signers()
    assert {"local", "vault-transit"} <= set(names)
    assert names == sorted(names)


def test_listing_imports_no_backend() -> None:
    code = (
        "import sys; from d4h_sdk.identity.signing import available_signers; names = available_signers(); "
        "mods = [m for m in sys.modules if m.startswith('d4h_sdk.identity.signing._') and "
        "m.rsplit('.', 1)[1] not in ('_protocol', '_registry', '_der', '_local', '_vault')]; "
        "heavy = [m for m in ('cryptography', 'jwcrypto', 'requests', 'boto3', 'pkcs11') if m in sys.modules]; "
        "print('local' in names, mods, heavy)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout.strip()
    assert out == "True [] []"


@pytest.fixture
def plugins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An installed distribution (a .dist-info on sys.path) declaring good and broken signer plugins."""
    module = tmp_path / "d4h_test_plugin_mod"
    module.mkdir()
    (module / "__init__.py").write_text(
        textwrap.dedent(
            """
            from d4h_sdk.testing import FakeSigner

            def make(**options):
                return FakeSigner(key_id=options.get("key_id", "did:web:plugin.example#1"))

            def make_not_signer(**options):
                return "not a signer"

            NOT_CALLABLE = 42
            """
        )
    )
    (module / "broken.py").write_text("raise ImportError('plugin dependency missing')\n")
    dist = tmp_path / "d4h_test_plugin-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: d4h-test-plugin\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        textwrap.dedent(
            """
            [d4h_sdk.signers]
            test-good = d4h_test_plugin_mod:make
            test-not-signer = d4h_test_plugin_mod:make_not_signer
            test-not-callable = d4h_test_plugin_mod:NOT_CALLABLE
            test-import-fails = d4h_test_plugin_mod.broken:make
            test-missing-attr = d4h_test_plugin_mod:nothing_here
            test-not-installed = d4h_no_such_module_anywhere:make
            test-malformed = not a valid value!
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def test_plugins_from_entry_points(plugins: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="d4h_sdk.identity.signing"):
        names = available_signers()
    assert {"test-good", "test-import-fails", "test-missing-attr", "test-not-signer"} <= set(names)
    assert "test-not-installed" not in names and "test-malformed" not in names
    assert (
        "'test-not-installed' skipped: module 'd4h_no_such_module_anywhere' is not installed" in caplog.text
    )
    assert "'test-malformed' skipped" in caplog.text
    assert "d4h_test_plugin_mod.broken" not in sys.modules  # listing imported nothing
    assert load_signer("test-good", key_id="did:web:p#2").key_id == "did:web:p#2"
    with pytest.raises(
        SignerNotFoundError, match="could not be loaded: ImportError: plugin dependency missing"
    ):
        load_signer("test-import-fails")
    with pytest.raises(SignerNotFoundError, match="could not be loaded: AttributeError"):
        load_signer("test-missing-attr")
    with pytest.raises(SignerNotFoundError, match="could not be loaded"):
        load_signer("test-not-installed")
    with pytest.raises(SignerNotFoundError, match="not a callable factory"):
        load_signer("test-not-callable")
    with pytest.raises(ConfigurationError, match="not a Signer"):
        load_signer("test-not-signer")


def test_concurrent_registration(registered: list[str]) -> None:
    names = [f"test-thread-{i}" for i in range(20)]
    registered.extend(names)
    errors: list[BaseException] = []

    def work(name: str) -> None:
        try:
            register_signer(name, lambda **o: FakeSigner())
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert set(names) <= set(available_signers())


# -- explicit selection -----------------------------------------------------------------------------------------


def test_resolve_object_wins() -> None:
    fake = FakeSigner()
    assert resolve_signer(fake, environ={"D4H_SIGNER": "local"}) is fake
    with pytest.raises(ConfigurationError, match="not to a signer object"):
        resolve_signer(fake, options={"path": "x"})
    with pytest.raises(ConfigurationError, match="is not a Signer"):
        resolve_signer(42, environ={})  # type: ignore[arg-type]


def test_resolve_name_and_options_before_environment(tmp_path: Path) -> None:
    key = generate_key("P-256", key_id=KID)
    signer = resolve_signer(
        "local", options={"jwk": key.private_jwk()}, environ={"D4H_SIGNER": "nonexistent"}
    )
    assert isinstance(signer, LocalKeySigner) and signer.public_jwk() == key.public_jwk()


def test_resolve_from_environment(tmp_path: Path) -> None:
    key = generate_key("Ed25519", key_id=KID)
    path = tmp_path / "key.pem"
    path.write_bytes(key.private_pem(password="pw"))
    os.chmod(path, 0o600)
    env = {
        "D4H_SIGNER": "local",
        "D4H_SIGNER_PATH": str(path),
        "D4H_SIGNER_KEY_ID": "did:web:env.example#k",
        "D4H_SIGNER_PASSWORD": "pw",
        "OTHER": "ignored",
    }
    signer = resolve_signer(environ=env)
    assert signer.key_id == "did:web:env.example#k"
    assert signer.public_jwk()["x"] == key.public_jwk()["x"]


def test_resolve_uses_os_environ_by_default(monkeypatch: pytest.MonkeyPatch, registered: list[str]) -> None:
    register_signer("test-env", lambda **o: FakeSigner(key_id=o["key_id"]))
    registered.append("test-env")
    monkeypatch.setenv("D4H_SIGNER", "test-env")
    monkeypatch.setenv("D4H_SIGNER_KEY_ID", "did:web:os.example#1")
    assert resolve_signer().key_id == "did:web:os.example#1"


def test_resolve_nothing_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("D4H_SIGNER", raising=False)
    with pytest.raises(
        ConfigurationError, match=r"no signer configured: pass signer=\.\.\. or set D4H_SIGNER"
    ):
        resolve_signer()
    with pytest.raises(ConfigurationError, match="no signer configured"):
        resolve_signer(environ={"D4H_SIGNER": "  ", "D4H_SIGNER_PATH": "x"})
    with pytest.raises(ConfigurationError, match="without a signer name"):
        resolve_signer(options={"path": "x"}, environ={"D4H_SIGNER": "local"})


def test_resolve_unknown_env_backend() -> None:
    with pytest.raises(SignerNotFoundError, match="no signer named 'hsm-typo'"):
        resolve_signer(environ={"D4H_SIGNER": "hsm-typo"})
