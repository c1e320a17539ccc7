"""The offline dependency check finds what deny.toml forbids."""

from __future__ import annotations

import sys
from pathlib import Path

import tomllib

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import check_dependencies

POLICY = tomllib.loads((check_dependencies.ROOT / "deny.toml").read_text())
REGISTRY = "registry+file:///registry-index"


def package(name: str, license: str | None = "MIT", source: str | None = REGISTRY) -> dict:
    return {"name": name, "version": "1.0.0", "license": license, "source": source}


def test_a_clean_tree_passes() -> None:
    metadata = {"packages": [package("serde"), package("looker-ci-core", source=None)]}
    assert check_dependencies.problems(metadata, POLICY) == []


def test_the_rsa_crate_is_refused_with_its_advisory() -> None:
    found = check_dependencies.problems({"packages": [package("rsa")]}, POLICY)
    assert len(found) == 1 and "RUSTSEC-2023-0071" in found[0]


def test_git_sources_and_a_second_registry_are_refused() -> None:
    found = check_dependencies.problems(
        {
            "packages": [
                package("a", source="git+https://example.test/a.git#abc"),
                package("b"),
                package("c", source="registry+file:///another-index"),
            ]
        },
        POLICY,
    )
    assert any("git dependency" in p for p in found)
    assert any("more than one registry" in p for p in found)


def test_license_expressions_are_evaluated_not_matched_as_text() -> None:
    allowed = set(POLICY["licenses"]["allow"])
    ok = check_dependencies.licence_ok
    assert ok("MIT OR Apache-2.0", allowed)
    assert ok("MIT/Apache-2.0", allowed)
    assert ok("(MIT OR Apache-2.0) AND Unicode-3.0", allowed)
    assert ok("Apache-2.0 WITH LLVM-exception OR GPL-3.0", allowed)
    assert not ok("GPL-3.0", allowed)
    assert not ok("MIT AND GPL-3.0", allowed)
    assert not ok("GPL-2.0 WITH LLVM-exception", allowed)
    assert not ok("(MIT OR", allowed)
    found = check_dependencies.problems({"packages": [package("x", "AGPL-3.0")]}, POLICY)
    assert found == ["x 1.0.0: license `AGPL-3.0` is not allowed by deny.toml"]
    assert "no license" in check_dependencies.problems({"packages": [package("y", None)]}, POLICY)[0]
