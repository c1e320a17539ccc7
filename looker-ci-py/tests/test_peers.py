"""A test that needs a peer is marked with it, skipped with the reason when run alone without
the peer, and fails inside the test command: it never passes silently by not running there."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def run_alone(test_command: bool) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("LOOKER_CI_TEST_MOTO",)}
    env.pop("LOOKER_CI_TEST_COMMAND", None)
    if test_command:
        env["LOOKER_CI_TEST_COMMAND"] = "1"
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-rs",
            "-p",
            "no:cacheprovider",
            str(TESTS / "test_credentials.py"),
            "-m",
            "peer",
            "-k",
            "role_without_access",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_alone_a_missing_peer_skips_naming_it() -> None:
    run = run_alone(test_command=False)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "skipped" in run.stdout
    assert "needs the moto peer (LOOKER_CI_TEST_MOTO)" in run.stdout


def test_inside_the_test_command_a_missing_peer_fails() -> None:
    run = run_alone(test_command=True)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "needs the moto peer (LOOKER_CI_TEST_MOTO)" in run.stdout


def test_peer_tests_carry_the_marker() -> None:
    # The marker is what `pytest -m "not peer"` selects on.
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "--collect-only",
            "-p",
            "no:cacheprovider",
            str(TESTS / "test_credentials.py"),
            "-m",
            "peer",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "test_credentials.py::" in run.stdout
    assert "deselected" in run.stdout  # the callable-provider tests need no peer
