"""Named signing backends: an in-process registry, entry points, and explicit selection.

A backend is a *factory*: a callable taking keyword options and returning a :class:`Signer`. Factories come
from two places, checked in this order:

1. the in-process registry, filled with :func:`register_signer` (the documented extension point, like
   pyjwt's ``register_algorithm``; one module-level table guarded by a lock);
2. the entry-point group ``d4h_sdk.signers`` of installed distributions, loaded lazily when a name is
   requested. The SDK's own backends (``local``, ``vault-transit``, ...) are declared there too.

:func:`resolve_signer` picks a signer deliberately, never by auto-detection: a signer object, else a backend
name with options, else the ``D4H_SIGNER`` environment variable with ``D4H_SIGNER_<OPTION>`` options.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import re
import threading
from collections.abc import Callable, Mapping
from importlib import metadata
from typing import Any

from d4h_sdk.errors import ConfigurationError, SignerNotFoundError
from d4h_sdk.identity.signing._protocol import Signer

__all__ = [
    "ENTRY_POINT_GROUP",
    "SIGNER_ENV",
    "available_signers",
    "load_signer",
    "register_signer",
    "resolve_signer",
    "unregister_signer",
]

logger = logging.getLogger("d4h_sdk.identity.signing")

ENTRY_POINT_GROUP = "d4h_sdk.signers"
"""The entry-point group third-party signing backends register under."""

SIGNER_ENV = "D4H_SIGNER"
"""Environment variable naming the signing backend; ``D4H_SIGNER_<OPTION>`` variables give its options."""

SignerFactory = Callable[..., Signer]

_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_lock = threading.Lock()
_factories: dict[str, SignerFactory] = {}


def _check_name(name: object) -> str:
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise ConfigurationError(
            f"invalid signer name {name!r}: use lower-case letters, digits, '.', '_' and '-'"
        )
    return name


def _entry_points() -> dict[str, metadata.EntryPoint]:
    """The group's entry points by name (first one wins), without importing anything."""
    found: dict[str, metadata.EntryPoint] = {}
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        found.setdefault(ep.name, ep)
    return found


def _entry_point_problem(ep: metadata.EntryPoint) -> str | None:
    """Tell why an entry point cannot work, without importing its module (``None`` if it looks fine)."""
    match = ep.pattern.match(ep.value)
    if match is None or not match.group("attr"):
        return f"value {ep.value!r} is not of the form 'module:factory'"
    top = match.group("module").split(".")[0]
    try:
        spec = importlib.util.find_spec(top)
    except (ImportError, ValueError) as exc:
        return f"module {top!r} cannot be located ({type(exc).__name__})"
    if spec is None:
        return f"module {top!r} is not installed"
    return None


def register_signer(name: str, factory: Callable[..., Signer], *, replace: bool = False) -> None:
    """Register a signing backend under a name, for :func:`load_signer` and ``D4H_SIGNER``.

    Args:
        name: The backend name (lower case: ``my-hsm``).
        factory: A callable taking keyword options and returning a :class:`Signer`.
        replace: Allow replacing a backend already registered in-process or declared as an entry point.

    Raises:
        ConfigurationError: The name is invalid or taken (and ``replace`` is false), or ``factory`` is not
            callable.
    """
    _check_name(name)
    if not callable(factory):
        raise ConfigurationError(f"the factory for signer {name!r} is not callable")
    with _lock:
        if not replace and (name in _factories or name in _entry_points()):
            raise ConfigurationError(
                f"a signer named {name!r} is already registered; pass replace=True to override it"
            )
        _factories[name] = factory


def unregister_signer(name: str) -> None:
    """Remove a backend registered in-process with :func:`register_signer` (entry points stay).

    Args:
        name: The backend name.

    Raises:
        SignerNotFoundError: No backend of that name was registered in-process.
    """
    with _lock:
        if _factories.pop(name, None) is None:
            raise SignerNotFoundError(f"no signer named {name!r} is registered in-process")


def available_signers() -> list[str]:
    """List the backend names that can be loaded, without importing any backend.

    An entry point that cannot work (malformed value, module not installed) is logged at WARNING and left
    out; requesting it by name with :func:`load_signer` raises :class:`SignerNotFoundError`.

    Returns:
        The sorted names, in-process registrations and entry points together.
    """
    with _lock:
        names = set(_factories)
    for name, ep in _entry_points().items():
        if name in names:
            continue
        problem = _entry_point_problem(ep)
        if problem is None:
            names.add(name)
        else:
            logger.warning("signer plugin %r skipped: %s", name, problem)
    return sorted(names)


def _factory_for(name: str) -> SignerFactory:
    with _lock:
        factory = _factories.get(name)
    if factory is not None:
        return factory
    ep = _entry_points().get(name)
    if ep is None:
        raise SignerNotFoundError(
            f"no signer named {name!r}; available: {', '.join(available_signers()) or 'none'}"
        )
    try:
        loaded = ep.load()
    except Exception as exc:
        raise SignerNotFoundError(
            f"signer plugin {name!r} ({ep.value}) could not be loaded: {type(exc).__name__}: {exc}"
        ) from exc
    if not callable(loaded):
        raise SignerNotFoundError(f"signer plugin {name!r} ({ep.value}) is not a callable factory")
    factory_: SignerFactory = loaded
    return factory_


def load_signer(name: str, **options: Any) -> Signer:
    """Create a signer with a named backend.

    Args:
        name: The backend name (``local``, ``vault-transit``, ``pkcs11``, or a registered one).
        **options: Keyword options for the backend's factory.

    Returns:
        The signer.

    Raises:
        SignerNotFoundError: No backend has that name, or its plugin cannot be imported.
        ConfigurationError: The options are invalid, or the factory returned something that is not a
            :class:`Signer`.
        SigningError: The backend failed while setting up (for instance a remote key could not be read).
    """
    factory = _factory_for(name)
    signer = factory(**options)
    if not isinstance(signer, Signer):
        raise ConfigurationError(
            f"the factory of signer {name!r} returned {type(signer).__name__}, which is not a Signer "
            "(it needs key_id, algorithm, public_jwk() and sign())"
        )
    return signer


def _env_options(environ: Mapping[str, str]) -> dict[str, str]:
    prefix = SIGNER_ENV + "_"
    return {
        key[len(prefix) :].lower(): value
        for key, value in environ.items()
        if key.startswith(prefix) and len(key) > len(prefix)
    }


def resolve_signer(
    signer: Signer | str | None = None,
    *,
    options: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Signer:
    """Pick the signer to use, explicitly: an object, else a backend name and options, else the environment.

    Precedence: a :class:`Signer` object > a backend name with ``options`` > ``D4H_SIGNER`` with options from
    ``D4H_SIGNER_<OPTION>`` variables (``D4H_SIGNER_PATH`` -> ``path``, ``D4H_SIGNER_KEY_ID`` -> ``key_id``;
    values are strings). Nothing is ever auto-detected.

    Args:
        signer: A signer, a backend name, or ``None`` to read the environment.
        options: Options for the named backend (only with a name).
        environ: The environment to read (default ``os.environ``).

    Returns:
        The signer.

    Raises:
        ConfigurationError: Nothing is configured, options come without a backend name, or the backend
            rejected its options.
        SignerNotFoundError: The named backend does not exist.
    """
    if signer is not None and not isinstance(signer, str):
        if options:
            raise ConfigurationError("options apply to a signer name, not to a signer object")
        if not isinstance(signer, Signer):
            raise ConfigurationError(f"{type(signer).__name__} is not a Signer and not a backend name")
        return signer
    if isinstance(signer, str):
        return load_signer(signer, **dict(options or {}))
    if options:
        raise ConfigurationError("signer options were given without a signer name")
    env = os.environ if environ is None else environ
    name = env.get(SIGNER_ENV, "").strip()
    if not name:
        raise ConfigurationError(f"no signer configured: pass signer=... or set {SIGNER_ENV}")
    return load_signer(name, **_env_options(env))
