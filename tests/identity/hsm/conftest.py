"""A private SoftHSM2 token for the PKCS#11 signer tests (one per test session)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import pytest

TOKEN_LABEL = "d4h-test"
PIN = "2468"
SO_PIN = "13579"
_LIBRARY_CANDIDATES = (
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/local/lib/softhsm/libsofthsm2.so",
    "/opt/homebrew/lib/softhsm/libsofthsm2.so",
)


@dataclass(frozen=True)
class SoftHsm:
    library: str
    token_label: str
    pin: str


def _in_ci() -> bool:
    return os.environ.get("CI", "") not in ("", "0", "false")


def _unavailable(reason: str) -> NoReturn:
    # In CI the install step of .ci/run provides SoftHSM2: a missing one is a failure, not a skip.
    if _in_ci():
        pytest.fail(f"{reason} (CI is set: .ci/run should have installed softhsm2)")
    pytest.skip(reason)


def _find_library() -> str | None:
    env = os.environ.get("D4H_SOFTHSM2_LIB")
    for candidate in ((env,) if env else ()) + _LIBRARY_CANDIDATES:
        if Path(candidate).is_file():
            return candidate
    return None


def _generate_keys(library: str) -> None:
    import pkcs11
    from pkcs11 import Attribute, KeyType, Mechanism
    from pkcs11.util.ec import encode_named_curve_parameters

    token = pkcs11.lib(library).get_token(token_label=TOKEN_LABEL)
    with token.open(rw=True, user_pin=PIN) as session:
        for label, curve in (("ec-p256", "secp256r1"), ("ec-p384", "secp384r1")):
            params = session.create_domain_parameters(
                KeyType.EC, {Attribute.EC_PARAMS: encode_named_curve_parameters(curve)}, local=True
            )
            params.generate_keypair(store=True, label=label)
        ed = session.create_domain_parameters(
            KeyType.EC_EDWARDS,
            {Attribute.EC_PARAMS: encode_named_curve_parameters("1.3.101.112")},
            local=True,
        )
        ed.generate_keypair(mechanism=Mechanism.EC_EDWARDS_KEY_PAIR_GEN, store=True, label="ed25519")
        session.generate_keypair(KeyType.RSA, 2048, store=True, label="rsa-2048")


@pytest.fixture(scope="session")
def softhsm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SoftHsm]:
    """A SoftHSM2 token in a private directory, holding P-256, P-384, Ed25519 and RSA-2048 key pairs."""
    util = shutil.which("softhsm2-util")
    if util is None:
        _unavailable("softhsm2-util not found: apt-get install softhsm2 to run the PKCS#11 tests")
    library = _find_library()
    if library is None:
        _unavailable("libsofthsm2.so not found: apt-get install softhsm2 or set D4H_SOFTHSM2_LIB")
    try:
        import pkcs11  # noqa: F401
    except ImportError:
        _unavailable("python-pkcs11 is not installed: pip install 'd4h-sdk[pkcs11]'")
    root = tmp_path_factory.mktemp("softhsm")
    (root / "tokens").mkdir()
    conf = root / "softhsm2.conf"
    conf.write_text(
        f"directories.tokendir = {root / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n"
    )
    with pytest.MonkeyPatch.context() as mp:
        # SoftHSM2 reads the configuration when the library is initialised (once per process).
        mp.setenv("SOFTHSM2_CONF", str(conf))
        subprocess.run(
            [util, "--init-token", "--free", "--label", TOKEN_LABEL, "--pin", PIN, "--so-pin", SO_PIN],
            check=True,
            capture_output=True,
        )
        _generate_keys(library)
        yield SoftHsm(library=library, token_label=TOKEN_LABEL, pin=PIN)
