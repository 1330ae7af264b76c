"""Fixtures for the ``edc`` suite: Maven-built EDC runtimes, a started provider/consumer pair per version.

The runtimes come from ``tests/edc/runtime`` (Maven, cached in ``~/.m2``; rebuilt when ``pom.xml`` changes).
Without Java or Maven the tests skip with a reason starting "EDC runtime unavailable"; with
``D4H_EDC_REQUIRED=1`` (CI) they fail instead. Logs of the runtimes stay in pytest's temporary directory and
their tails are attached to failing tests' reports.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Generator, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from d4h_sdk._http import HttpClient
from d4h_sdk.errors import ConfigurationError
from d4h_sdk.sandbox._http_server import LoopbackServer, Request, Response, Router, json_response
from d4h_sdk.testing._edc import EdcPair, build_runtime, java_available
from tests.edc._flows import Api, seed_provider

RUNTIME_PROJECT = Path(__file__).resolve().parent / "runtime"
VERSIONS = ("0.14", "newer")
SEEDED_ASSETS = 60
MANAGEMENT_PATH = {"0.14": "v3", "newer": "v4beta"}
"""The consumer-side Management API each runtime is driven through (0.15.1 serves v3 and v4beta)."""


def _unavailable(reason: str) -> None:
    message = f"EDC runtime unavailable: {reason}"
    if os.environ.get("D4H_EDC_REQUIRED", "") not in ("", "0", "false"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def _java_home(version: str) -> str | None:
    return os.environ.get(f"D4H_EDC_JAVA_HOME_{'0_14' if version == '0.14' else 'NEWER'}")


@pytest.fixture(scope="session")
def edc_classpath() -> dict[str, Path]:
    """The jar directory of each runtime version built so far in this session (see :func:`runtime_jars`)."""
    return {}


def runtime_jars(version: str, cache: dict[str, Path]) -> Path:
    if version not in cache:
        reason = java_available(_java_home(version))
        if reason is not None:
            _unavailable(reason)
        if shutil.which("mvn") is None:
            _unavailable("Maven ('mvn') is not on PATH")
        try:
            cache[version] = build_runtime(version, RUNTIME_PROJECT, java_home=_java_home(version))
        except ConfigurationError as exc:
            _unavailable(str(exc))
    return cache[version]


@dataclass
class DataServer:
    """The provider's backend: ``GET /data/{n}`` answers a small JSON document; requests are recorded."""

    server: LoopbackServer
    hits: list[tuple[str, str | None]]

    def url(self, index: int) -> str:
        return f"{self.server.url}/data/{index}"


@pytest.fixture(scope="session")
def data_server() -> Iterator[DataServer]:
    hits: list[tuple[str, str | None]] = []

    def serve(request: Request, params: Mapping[str, str]) -> Response:
        hits.append((request.path, request.headers.get("Authorization")))
        return json_response({"asset": int(params["n"]), "rows": [1, 2, 3]})

    router = Router()
    router.add("GET", "/data/{n}", serve)
    with LoopbackServer(router, name="edc-data") as server:
        yield DataServer(server, hits)


@pytest.fixture(scope="session")
def http() -> Iterator[HttpClient]:
    with HttpClient(timeout=(5, 60), max_retries=0) as client:
        yield client


@dataclass
class EdcSetup:
    """A started pair and the Management API handles the tests use."""

    version: str
    pair: EdcPair
    provider: Api  # always v3 (provider-side CRUD has no SDK model yet)
    consumer: Api  # v3 on 0.14, v4beta on the newer runtime


@pytest.fixture(scope="session", params=VERSIONS, ids=[f"edc-{v}" for v in VERSIONS])
def edc(
    request: pytest.FixtureRequest,
    edc_classpath: dict[str, Path],
    tmp_path_factory: pytest.TempPathFactory,
    data_server: DataServer,
    http: HttpClient,
) -> Iterator[EdcSetup]:
    """A provider and a consumer EDC of one version, the provider seeded with 60 open offers."""
    version: str = request.param
    jars = runtime_jars(version, edc_classpath)
    log_dir = tmp_path_factory.mktemp(f"edc-{version}")
    pair = EdcPair(version=version, classpath_dir=jars, java_home=_java_home(version), log_dir=log_dir)
    pair.start(timeout=180)
    try:
        setup = EdcSetup(
            version,
            pair,
            Api(pair.provider, http, "v3"),
            Api(pair.consumer, http, MANAGEMENT_PATH[version]),
        )
        seed_provider(setup.provider, SEEDED_ASSETS, data_server.url)
        yield setup
    finally:
        pair.stop()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, None]:
    outcome = yield
    report = outcome.get_result()
    setup = getattr(item, "funcargs", {}).get("edc")
    if report.failed and isinstance(setup, EdcSetup):
        for runtime in (setup.pair.provider, setup.pair.consumer):
            report.sections.append((f"EDC {runtime.name} log ({runtime.log_path})", runtime.log_tail(60)))
