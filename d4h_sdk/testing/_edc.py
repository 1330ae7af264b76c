"""Launch real Eclipse EDC connectors on loopback for integration tests.

:class:`EdcRuntime` runs one EDC process (control plane and data plane together) from a directory of jars,
built with Maven from published ``org.eclipse.edc`` artifacts (see ``tests/edc/runtime/pom.xml`` in the
repository): it picks a free loopback port for every web context, writes the properties file, starts
``java ... org.eclipse.edc.boot.system.runtime.BaseRuntime`` and waits until the runtime reports ready and its
Management API accepts connections. :class:`EdcPair` runs a provider and a consumer side by side;
:func:`build_runtime` runs Maven when the jar directory is missing or older than the ``pom.xml``.

The runtimes use EDC's mock identity service (``iam-mock``): every participant accepts every other, no DCP.
Nothing here imports ``requests`` or the sandbox; the module only needs the standard library and, when a
runtime starts, ``cryptography`` (to make the key pair that signs the data plane's access tokens).
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
import weakref
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType, TracebackType
from typing import IO, Literal

from d4h_sdk.errors import ConfigurationError

__all__ = ["EdcPair", "EdcRuntime", "EdcVersion", "build_runtime", "java_available", "runtime_profile"]

EdcVersion = Literal["0.14", "newer"]
"""The runtimes of ``tests/edc/runtime``: EDC 0.14 (Management API v3) and the newest EDC that resolves."""

MAIN_CLASS = "org.eclipse.edc.boot.system.runtime.BaseRuntime"
_CONTEXTS = ("default", "management", "protocol", "control", "public", "version")
_PATHS = {
    "default": "/api",
    "management": "/management",
    "protocol": "/protocol",
    "control": "/control",
    "public": "/public",
    "version": "/version",
}
_READY = re.compile(r"Runtime \S+ ready")
_FAILED = re.compile(r"Error booting runtime")
_LOG_TAIL_LINES = 40
_NO_ARGS: Mapping[str, str] = MappingProxyType({})


def java_available(java_home: str | None = None) -> str | None:
    """Tell why no Java runtime can be used, or ``None`` when one can.

    Args:
        java_home: A JDK directory; when ``None``, ``$JAVA_HOME`` and then ``java`` on ``PATH`` are used.

    Returns:
        ``None`` when ``java -version`` runs, otherwise a reason suitable for ``pytest.skip``.
    """
    try:
        java = _java_executable(java_home)
    except ConfigurationError as exc:
        return str(exc)
    try:
        proc = subprocess.run([java, "-version"], capture_output=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{java} -version failed: {exc}"
    if proc.returncode != 0:
        return f"{java} -version exited with status {proc.returncode}"
    return None


def _java_executable(java_home: str | None) -> str:
    home = java_home or os.environ.get("JAVA_HOME")
    if home:
        candidate = Path(home) / "bin" / "java"
        if not candidate.is_file():
            raise ConfigurationError(
                f"no Java runtime: {candidate} does not exist (check java_home / JAVA_HOME)"
            )
        return str(candidate)
    found = shutil.which("java")
    if found is None:
        raise ConfigurationError("no Java runtime: 'java' is not on PATH and JAVA_HOME is not set")
    return found


def runtime_profile(version: str) -> str:
    """The Maven profile (and ``target/`` folder) of a runtime version: ``edc-0.14`` or ``edc-newer``."""
    return "edc-0.14" if version == "0.14" or version.startswith("0.14.") else "edc-newer"


def build_runtime(
    version: str,
    project_dir: Path,
    *,
    java_home: str | None = None,
    maven: str = "mvn",
    maven_args: tuple[str, ...] = (),
    timeout: float = 1800,
) -> Path:
    """Build (or reuse) the jar directory of one runtime of a Maven project like ``tests/edc/runtime``.

    Maven runs when ``target/<profile>/lib`` is missing or older than ``pom.xml``; the local repository
    (``~/.m2`` unless ``maven_args`` say otherwise) caches the downloads.

    Args:
        version: ``"0.14"`` or ``"newer"`` (see :func:`runtime_profile`).
        project_dir: The directory holding ``pom.xml``.
        java_home: The JDK Maven runs with; default: the environment's.
        maven: The Maven executable.
        maven_args: Extra arguments, e.g. ``("-Dmaven.repo.local=/tmp/m2",)``.
        timeout: Seconds Maven may take.

    Returns:
        The directory of jars to pass as ``classpath_dir``.

    Raises:
        ConfigurationError: Maven is missing or the build failed (the message ends with Maven's output).
    """
    profile = runtime_profile(version)
    pom = project_dir / "pom.xml"
    if not pom.is_file():
        raise ConfigurationError(f"no Maven project: {pom} does not exist")
    lib = project_dir / "target" / profile / "lib"
    stamp = lib.parent / ".built"
    if stamp.is_file() and stamp.stat().st_mtime >= pom.stat().st_mtime and any(lib.glob("*.jar")):
        return lib
    executable = shutil.which(maven)
    if executable is None:
        raise ConfigurationError(f"cannot build the EDC runtime: {maven!r} is not on PATH (install Maven)")
    env = dict(os.environ)
    if java_home:
        env["JAVA_HOME"] = java_home
    shutil.rmtree(lib, ignore_errors=True)
    command = [executable, "-B", "-q", "-P", profile, *maven_args, "package"]
    try:
        proc = subprocess.run(
            command, cwd=project_dir, env=env, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise ConfigurationError(f"Maven did not finish within {timeout:.0f} s: {' '.join(command)}") from exc
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-_LOG_TAIL_LINES:])
        raise ConfigurationError(f"Maven build failed ({' '.join(command)}):\n{tail}")
    stamp.touch()
    return lib


def _free_ports(count: int) -> list[int]:
    sockets: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _escape(text: str, *, key: bool = False) -> str:
    """Escape a key or value for ``java.util.Properties.load`` (ISO-8859-1, backslash escapes)."""
    out = []
    for position, char in enumerate(text):
        if char == "\\":
            out.append("\\\\")
        elif char == "\n":
            out.append("\\n")
        elif char == "\r":
            out.append("\\r")
        elif char == "\t":
            out.append("\\t")
        elif ord(char) < 0x20 or ord(char) > 0x7E:
            # Java reads \\uXXXX as UTF-16 code units: characters beyond the BMP become surrogate pairs.
            units = char.encode("utf-16-be")
            out.extend(f"\\u{int.from_bytes(units[i : i + 2], 'big'):04x}" for i in range(0, len(units), 2))
        elif (key and char in " =:#!") or (char == " " and position == 0):
            out.append("\\" + char)
        else:
            out.append(char)
    return "".join(out)


def _signing_keys() -> tuple[str, str]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )
    return private.strip(), public.strip()


def _stop_process(proc: subprocess.Popen[bytes], grace: float = 10.0) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(grace)


class EdcRuntime:
    """One EDC connector process on loopback.

    Attributes:
        version: ``"0.14"``, ``"newer"`` or an explicit EDC version string (informational).
        name: A short name used for the log and properties files.
        participant_id: The ``edc.participant.id``.
    """

    def __init__(
        self,
        *,
        version: EdcVersion | str,
        name: str,
        classpath_dir: Path,
        participant_id: str,
        java_home: str | None = None,
        extra_config: Mapping[str, str] = _NO_ARGS,
        log_dir: Path | None = None,
    ) -> None:
        """Prepare a runtime; nothing starts before :meth:`start`.

        Args:
            version: Which runtime the jars are (``"0.14"`` or ``"newer"``), for the caller's bookkeeping.
            name: A file-name-safe name (``provider``, ``consumer``…).
            classpath_dir: The directory of jars (see :func:`build_runtime`).
            participant_id: The participant id the connector presents (and expects as counter-party id).
            java_home: The JDK to run with; default ``$JAVA_HOME`` or ``java`` on ``PATH``.
            extra_config: Settings added to (or overriding) the generated properties.
            log_dir: Where the log and properties files go; default: a fresh temporary directory.

        Raises:
            ConfigurationError: ``name`` is not file-name safe or ``classpath_dir`` has no jars.
        """
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
            raise ConfigurationError(f"runtime name {name!r} must use only letters, digits, '.', '_' and '-'")
        if not classpath_dir.is_dir() or not any(classpath_dir.glob("*.jar")):
            raise ConfigurationError(
                f"no EDC jars in {classpath_dir}; build the runtime first (build_runtime)"
            )
        self.version = version
        self.name = name
        self.participant_id = participant_id
        self._classpath_dir = classpath_dir
        self._java_home = java_home
        self._extra = dict(extra_config)
        self._log_dir = log_dir
        self._api_key = secrets.token_urlsafe(24)
        self._ports: dict[str, int] = {}
        self._proc: subprocess.Popen[bytes] | None = None
        self._log_file: IO[bytes] | None = None
        self._log_path: Path | None = None
        self._finalizer: weakref.finalize[..., EdcRuntime] | None = None

    # -- addresses ---------------------------------------------------------------------------------------

    def _url(self, context: str) -> str:
        if context not in self._ports:
            raise ConfigurationError(f"EDC runtime {self.name!r} is not started: no {context} address yet")
        return f"http://127.0.0.1:{self._ports[context]}{_PATHS[context]}"

    @property
    def management_url(self) -> str:
        """The Management API base (append ``/v3/...`` or ``/v4beta/...``)."""
        return self._url("management")

    @property
    def dsp_url(self) -> str:
        """The DSP root (``/.well-known/dspace-version`` below it; versions at ``/2025-1``, ``/2024/1``)."""
        return self._url("protocol")

    @property
    def public_url(self) -> str:
        """The data plane's public API (the EDR endpoints point below it)."""
        return self._url("public")

    @property
    def ports(self) -> Mapping[str, int]:
        """The port of every web context (``default``, ``management``, ``protocol``, ``control``, …)."""
        return MappingProxyType(self._ports)

    @property
    def api_key(self) -> str:
        """The Management API key (header ``X-Api-Key``)."""
        return self._api_key

    @property
    def log_path(self) -> Path | None:
        """The runtime's combined stdout/stderr log, once started."""
        return self._log_path

    @property
    def pid(self) -> int | None:
        """The Java process id while running."""
        return self._proc.pid if self._proc is not None and self._proc.poll() is None else None

    # -- lifecycle ---------------------------------------------------------------------------------------

    def properties(self) -> dict[str, str]:
        """The configuration the runtime starts with (ports must be assigned: call after :meth:`launch`)."""
        props = {
            "edc.participant.id": self.participant_id,
            "edc.hostname": "127.0.0.1",
            "edc.dsp.callback.address": self.dsp_url,
            "web.http.management.auth.type": "tokenbased",
            "web.http.management.auth.key": self._api_key,
            "edc.dataplane.api.public.baseurl": self.public_url,
            "edc.transfer.proxy.token.signer.privatekey.alias": "d4h-edr-signer",
            "edc.transfer.proxy.token.verifier.publickey.alias": "d4h-edr-verifier",
        }
        for context in _CONTEXTS:
            prefix = "web.http" if context == "default" else f"web.http.{context}"
            props[f"{prefix}.port"] = str(self._ports[context])
            props[f"{prefix}.path"] = _PATHS[context]
        props.update(self._extra)
        return props

    def launch(self) -> None:
        """Assign ports, write the properties file and start Java without waiting (see :meth:`wait_ready`).

        Raises:
            ConfigurationError: Already running, or Java cannot be started.
        """
        if self._proc is not None and self._proc.poll() is None:
            raise ConfigurationError(f"EDC runtime {self.name!r} is already running (pid {self._proc.pid})")
        java = _java_executable(self._java_home)
        log_dir = self._log_dir or Path(tempfile.mkdtemp(prefix=f"edc-{self.name}-"))
        log_dir.mkdir(parents=True, exist_ok=True)
        self._ports = dict(zip(_CONTEXTS, _free_ports(len(_CONTEXTS)), strict=True))
        props = self.properties()
        private, public = _signing_keys()
        # The data plane signs EDR tokens with the private key (EDC looks the alias up in the vault, then in
        # the configuration under the same name) and verifies them with a public key registered by id.
        props.setdefault(props["edc.transfer.proxy.token.signer.privatekey.alias"], private)
        props.setdefault(
            "edc.iam.publickeys.d4h-edr.id", props["edc.transfer.proxy.token.verifier.publickey.alias"]
        )
        props.setdefault("edc.iam.publickeys.d4h-edr.value", public)
        config = log_dir / f"{self.name}.properties"
        text = "".join(f"{_escape(k, key=True)}={_escape(v)}\n" for k, v in props.items())
        config.unlink(missing_ok=True)
        # Readable by the owner only from the start: it holds the API key and the token signing key.
        with os.fdopen(
            os.open(config, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w", encoding="ascii"
        ) as out:
            out.write(text)
        self._log_path = log_dir / f"{self.name}.log"
        self._log_file = self._log_path.open("wb")
        command = [java, f"-Dedc.fs.config={config}", "-cp", f"{self._classpath_dir}/*", MAIN_CLASS]
        try:
            self._proc = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=self._log_file, stderr=subprocess.STDOUT
            )
        except OSError as exc:
            self._close_log()
            raise ConfigurationError(f"cannot start {java}: {exc}") from exc
        self._finalizer = weakref.finalize(self, _stop_process, self._proc)

    def wait_ready(self, timeout: float = 90) -> None:
        """Wait until the runtime logged that it is ready and its Management API port accepts connections.

        Raises:
            ConfigurationError: The process exited, logged a boot error or was not ready in time; the message
                ends with the log tail. The process is stopped.
        """
        proc = self._proc
        if proc is None or self._log_path is None:
            raise ConfigurationError(f"EDC runtime {self.name!r} was not launched")
        deadline = time.monotonic() + timeout
        while True:
            text = self._log_path.read_text(encoding="utf-8", errors="replace")
            if _FAILED.search(text) or proc.poll() is not None:
                self.stop()
                raise ConfigurationError(f"EDC runtime {self.name!r} failed to start:\n{self.log_tail()}")
            if _READY.search(text) and _port_open(self._ports["management"]):
                return
            if time.monotonic() > deadline:
                self.stop()
                raise ConfigurationError(
                    f"EDC runtime {self.name!r} was not ready within {timeout:.0f} s:\n{self.log_tail()}"
                )
            time.sleep(0.2)

    def start(self, timeout: float = 90) -> None:
        """Launch the runtime and wait until it is ready (see :meth:`launch` and :meth:`wait_ready`)."""
        self.launch()
        self.wait_ready(timeout)

    def stop(self) -> None:
        """Stop the process by PID: terminate, wait up to 10 s, then kill. Safe to call twice."""
        if self._proc is not None:
            _stop_process(self._proc)
        if self._finalizer is not None:
            self._finalizer.detach()
            self._finalizer = None
        self._close_log()

    def log_tail(self, lines: int = _LOG_TAIL_LINES) -> str:
        """The last lines of the log (the API key never appears in EDC's log)."""
        if self._log_path is None or not self._log_path.is_file():
            return "(no log)"
        text = self._log_path.read_text(encoding="utf-8", errors="replace").replace(self._api_key, "***")
        return "\n".join(text.splitlines()[-lines:])

    def _close_log(self) -> None:
        if self._log_file is not None:
            with contextlib.suppress(OSError):
                self._log_file.close()
            self._log_file = None

    def __enter__(self) -> EdcRuntime:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = f"pid {self.pid}" if self.pid is not None else "stopped"
        return f"EdcRuntime(name={self.name!r}, version={self.version!r}, {state})"


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


class EdcPair:
    """A provider and a consumer EDC, started together; a context manager.

    Attributes:
        provider: The provider runtime (participant id ``provider_id``).
        consumer: The consumer runtime (participant id ``consumer_id``).
    """

    def __init__(
        self,
        *,
        version: EdcVersion | str,
        classpath_dir: Path,
        java_home: str | None = None,
        log_dir: Path | None = None,
        provider_id: str = "provider",
        consumer_id: str = "consumer",
        extra_config: Mapping[str, str] = _NO_ARGS,
    ) -> None:
        """Prepare both runtimes (same jars, same Java, logs side by side in ``log_dir``)."""
        self.provider = EdcRuntime(
            version=version,
            name="provider",
            classpath_dir=classpath_dir,
            participant_id=provider_id,
            java_home=java_home,
            extra_config=extra_config,
            log_dir=log_dir,
        )
        self.consumer = EdcRuntime(
            version=version,
            name="consumer",
            classpath_dir=classpath_dir,
            participant_id=consumer_id,
            java_home=java_home,
            extra_config=extra_config,
            log_dir=log_dir,
        )

    def start(self, timeout: float = 120) -> None:
        """Launch both processes, then wait for both; on failure both are stopped."""
        try:
            self.provider.launch()
            self.consumer.launch()
            self.provider.wait_ready(timeout)
            self.consumer.wait_ready(timeout)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop both processes (logs are kept)."""
        self.consumer.stop()
        self.provider.stop()

    def __enter__(self) -> EdcPair:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"EdcPair(provider={self.provider!r}, consumer={self.consumer!r})"
