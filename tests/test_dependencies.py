"""The lock files pin every package by hash, and installs check them: a tampered package fails."""

import re
import subprocess
import sys

import pytest

from eventhub import ROOT

LOCKS = [ROOT / "requirements" / "app.txt", ROOT / "requirements" / "dev.txt"]
ENTRY = re.compile(r"^(?P<pin>[A-Za-z0-9_.-]+==[^\s\\]+)(?P<rest>(?:\s*\\\n\s+--hash=\S+)+)", re.M)


def locked(lock, name: str) -> tuple[str, list[str]]:
    for match in ENTRY.finditer(lock.read_text()):
        if match["pin"].lower().startswith(f"{name}=="):
            return match["pin"], re.findall(r"--hash=(\S+)", match["rest"])
    raise AssertionError(f"{name} is not in {lock}")


@pytest.mark.parametrize("lock", LOCKS, ids=lambda p: p.name)
def test_every_locked_package_carries_a_hash(lock):
    text = lock.read_text()
    pins = re.findall(r"^[A-Za-z0-9_.-]+==\S+", text, re.M)
    assert len(pins) > 10
    assert len(ENTRY.findall(text)) == len(pins)  # none without --hash
    assert "file://" not in text and "--index-url" not in text  # nothing machine-specific


def test_setup_and_ci_install_with_hash_checking():
    setup = (ROOT / "scripts" / "setup").read_text()
    assert '--require-hashes -r "$LOCK"' in setup
    assert 'LOCK="requirements/${1:-app}.txt"' in setup
    # Only the project itself is installed without hashes, and without its dependencies.
    assert "pip install --quiet --no-deps -e ." in setup
    assert re.search(r"^scripts/setup dev$", (ROOT / "scripts" / "test").read_text(), re.M)
    assert "scripts/test" in (ROOT / ".ci" / "run").read_text()
    assert "scripts/setup" in (ROOT / "scripts" / "run").read_text()


def pip_dry_run(requirements, tmp_path) -> subprocess.CompletedProcess:
    req = tmp_path / "requirements.txt"
    req.write_text(requirements)
    return subprocess.run(
        [
            *(sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed"),
            *("--require-hashes", "--no-deps", "--disable-pip-version-check"),
            *("--timeout", "15", "--retries", "1", "-r", str(req)),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_a_tampered_hash_fails_the_install(tmp_path):
    pin, hashes = locked(LOCKS[0], "blinker")
    good = pip_dry_run(f"{pin} " + " ".join(f"--hash={h}" for h in hashes) + "\n", tmp_path)
    if good.returncode != 0:
        if re.search(
            r"connection|network|resolve|timed out|No matching distribution", good.stderr, re.I
        ):
            pytest.skip(f"PyPI is not reachable: {good.stderr.strip().splitlines()[-1]}")
        pytest.fail(good.stderr)
    assert f"Would install {pin.replace('==', '-')}" in good.stdout

    # Another package's digest stands in for a tampered file: same length, wrong content.
    _, others = locked(LOCKS[0], "itsdangerous")
    bad = pip_dry_run(f"{pin} " + " ".join(f"--hash={h}" for h in others) + "\n", tmp_path)
    assert bad.returncode != 0
    assert "THESE PACKAGES DO NOT MATCH THE HASHES" in bad.stderr
    assert "Would install" not in bad.stdout


def test_an_unpinned_line_is_refused_under_require_hashes(tmp_path):
    result = pip_dry_run("blinker\n", tmp_path)
    assert result.returncode != 0
    assert "In --require-hashes mode" in result.stderr  # unpinned, or pinned without hash
    assert "Would install" not in result.stdout
