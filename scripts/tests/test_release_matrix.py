"""The release-matrix dry run finds what it is there to find."""

from __future__ import annotations

import copy
import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import check_release_matrix

WORKFLOW = yaml.safe_load(check_release_matrix.WORKFLOW.read_text())


def test_the_committed_workflow_passes() -> None:
    assert check_release_matrix.check(WORKFLOW) == []


def test_a_platform_without_an_addon_job_is_reported() -> None:
    broken = copy.deepcopy(WORKFLOW)
    include = broken["jobs"]["addons"]["strategy"]["matrix"]["include"]
    include[:] = [e for e in include if e["platform"] != "darwin-arm64"]
    assert any("darwin-arm64" in p for p in check_release_matrix.check(broken))


def test_a_target_that_does_not_match_its_package_is_reported() -> None:
    broken = copy.deepcopy(WORKFLOW)
    broken["jobs"]["addons"]["strategy"]["matrix"]["include"][0]["target"] = "aarch64-apple-darwin"
    assert any("does not match" in p for p in check_release_matrix.check(broken))


def test_a_publish_job_with_a_stored_token_is_reported() -> None:
    broken = copy.deepcopy(WORKFLOW)
    broken["jobs"]["publish-npm"]["env"] = {"NODE_AUTH_TOKEN": "${{ secrets.NPM_TOKEN }}"}
    del broken["jobs"]["publish-pypi"]["permissions"]
    problems = check_release_matrix.check(broken)
    assert any("publish-npm" in p and "secret" in p for p in problems)
    assert any("publish-pypi" in p and "id-token" in p for p in problems)
