"""The EDC launcher itself: configuration checks without Java, process hygiene with Java (marker ``edc``)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from d4h_sdk.errors import ConfigurationError
from d4h_sdk.testing._edc import EdcRuntime, _escape, build_runtime, java_available, runtime_profile
from tests.edc.conftest import runtime_jars


def _alive(pid: int) -> bool:
    """True while ``pid`` exists, zombies included (a zombie still has a /proc entry)."""
    return Path(f"/proc/{pid}").exists()


def test_runtime_profiles() -> None:
    assert runtime_profile("0.14") == "edc-0.14"
    assert runtime_profile("0.14.0") == "edc-0.14"
    assert runtime_profile("newer") == "edc-newer"


def test_java_available_explains_a_missing_jdk(tmp_path: Path) -> None:
    reason = java_available(str(tmp_path / "no-jdk"))
    assert reason is not None
    assert "no-jdk" in reason


def test_build_runtime_needs_a_pom(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="pom.xml"):
        build_runtime("0.14", tmp_path)


def test_a_built_runtime_is_reused_without_maven(tmp_path: Path) -> None:
    (tmp_path / "pom.xml").write_text("<project/>")
    lib = tmp_path / "target" / "edc-newer" / "lib"
    lib.mkdir(parents=True)
    (lib / "boot.jar").write_bytes(b"")
    (lib.parent / ".built").touch()
    assert build_runtime("newer", tmp_path, maven="no-such-maven") == lib
    os.utime(tmp_path / "pom.xml", (time.time() + 10, time.time() + 10))  # the pom changed: rebuild needed
    with pytest.raises(ConfigurationError, match="no-such-maven"):
        build_runtime("newer", tmp_path, maven="no-such-maven")


def test_runtime_needs_jars_and_a_safe_name(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="no EDC jars"):
        EdcRuntime(version="0.14", name="p", classpath_dir=tmp_path, participant_id="p")
    (tmp_path / "x.jar").write_bytes(b"")
    with pytest.raises(ConfigurationError, match="runtime name"):
        EdcRuntime(version="0.14", name="../p", classpath_dir=tmp_path, participant_id="p")
    runtime = EdcRuntime(version="0.14", name="p", classpath_dir=tmp_path, participant_id="p")
    with pytest.raises(ConfigurationError, match="not started"):
        _ = runtime.management_url
    assert runtime.api_key not in repr(runtime)


def test_properties_values_survive_java_properties_escaping(tmp_path: Path) -> None:
    value = "-----BEGIN KEY-----\nAb+/=\n-----END KEY-----\\ é ü"
    escaped = _escape(value)
    assert "\n" not in escaped
    assert escaped.isascii()
    # Read it back the way java.util.Properties does (backslash escapes, \\uXXXX).
    assert escaped.encode("ascii").decode("unicode_escape") == value


@pytest.mark.edc
def test_stop_leaves_no_java_process(edc_classpath: dict[str, Path], tmp_path: Path) -> None:
    jars = runtime_jars("0.14", edc_classpath)
    runtime = EdcRuntime(
        version="0.14", name="solo", classpath_dir=jars, participant_id="solo", log_dir=tmp_path
    )
    runtime.start(timeout=180)
    pid = runtime.pid
    assert pid is not None and _alive(pid)
    assert (tmp_path / "solo.properties").stat().st_mode & 0o077 == 0  # the API key is in there
    runtime.stop()
    runtime.stop()  # idempotent
    assert runtime.pid is None
    assert not _alive(pid)
    assert runtime.log_path is not None and "ready" in runtime.log_path.read_text()


@pytest.mark.edc
def test_a_boot_error_raises_with_the_log_tail_and_no_process(
    edc_classpath: dict[str, Path], tmp_path: Path
) -> None:
    jars = runtime_jars("0.14", edc_classpath)
    # EDC 0.14 refuses the removed setting edc.api.auth.key at boot.
    runtime = EdcRuntime(
        version="0.14",
        name="broken",
        classpath_dir=jars,
        participant_id="broken",
        extra_config={"edc.api.auth.key": "x"},
        log_dir=tmp_path,
    )
    with pytest.raises(ConfigurationError, match="failed to start") as caught:
        runtime.start(timeout=180)
    assert "web.http.management.auth.key" in str(caught.value)
    assert runtime.pid is None


@pytest.mark.edc
def test_a_forgotten_runtime_is_killed_when_python_exits(
    edc_classpath: dict[str, Path], tmp_path: Path
) -> None:
    jars = runtime_jars("0.14", edc_classpath)
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from d4h_sdk.testing._edc import EdcRuntime\n"
        f"r = EdcRuntime(version='0.14', name='orphan', classpath_dir=Path({str(jars)!r}), participant_id='o',"
        f" log_dir=Path({str(tmp_path)!r}))\n"
        "r.launch()\n"
        "print(r.pid, flush=True)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    pid = int(done.stdout.split()[0])
    deadline = time.monotonic() + 20
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _alive(pid)


_READ_PROPERTIES = """
import java.io.FileInputStream;
import java.util.Properties;

public class ReadProperties {
    public static void main(String[] args) throws Exception {
        Properties properties = new Properties();
        try (FileInputStream in = new FileInputStream(args[0])) {
            properties.load(in);
        }
        StringBuilder out = new StringBuilder();
        for (int i = 1; i < args.length; i++) {
            String value = properties.getProperty(args[i]);
            out.append(value == null ? "<missing>" : value).append("\\u0000");
        }
        System.out.write(out.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        System.out.flush();
    }
}
"""


@pytest.mark.edc
def test_java_reads_back_what_the_launcher_writes(tmp_path: Path) -> None:
    reason = java_available()
    if reason is not None:
        pytest.skip(f"EDC runtime unavailable: {reason}")
    entries = {
        "edc.key": "-----BEGIN KEY-----\nAb+/=\n-----END KEY-----",
        "odd key=with:chars#!": " leading space, tab\tand back\\slash",
        "unicode": "é ü 😀",
    }
    path = tmp_path / "x.properties"
    path.write_text("".join(f"{_escape(k, key=True)}={_escape(v)}\n" for k, v in entries.items()))
    source = tmp_path / "ReadProperties.java"
    source.write_text(_READ_PROPERTIES)
    done = subprocess.run(
        ["java", str(source), str(path), *entries], capture_output=True, timeout=120, check=True
    )
    assert done.stdout.decode("utf-8").split("\0")[:-1] == list(entries.values())
