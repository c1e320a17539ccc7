"""The dependency policy of deny.toml, checked offline over `cargo metadata`: no banned crate
(each ban names its advisory), every license expression satisfiable by the allowed licenses,
no git dependency, and one registry for every crate. Exits 1 listing each breach.

cargo-deny reads the same deny.toml where it can reach the RustSec advisory database (the
`dependencies` GitHub workflow); this machine reaches none, so the test command runs this check.

Usage: python scripts/check_dependencies.py [--metadata FILE]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parent.parent


def licence_ok(expression: str, allowed: set[str]) -> bool:
    """Whether an SPDX expression can be satisfied with `allowed` licenses.

    `AND` binds tighter than `OR`; a `WITH` exception is part of its license's name; the old
    crate habit of `/` means `OR`.
    """
    text = expression.replace("/", " OR ")
    tokens = re.findall(r"\(|\)|[^\s()]+", text)
    position = 0

    def peek() -> str | None:
        return tokens[position] if position < len(tokens) else None

    def take() -> str:
        nonlocal position
        if position >= len(tokens):
            raise ValueError("unexpected end")
        position += 1
        return tokens[position - 1]

    def term() -> bool:
        token = take()
        if token == "(":
            value = either()
            if take() != ")":
                raise ValueError("missing )")
            return value
        if token in ("AND", "OR", "WITH", ")"):
            raise ValueError(f"unexpected {token}")
        if peek() == "WITH":
            take()
            token = f"{token} WITH {take()}"
        return token in allowed

    def both() -> bool:
        value = term()
        while peek() == "AND":
            take()
            value = term() and value
        return value

    def either() -> bool:
        value = both()
        while peek() == "OR":
            take()
            value = both() or value
        return value

    try:
        value = either()
    except ValueError:
        return False
    return value and position == len(tokens)


def problems(metadata: dict, policy: dict) -> list[str]:
    found: list[str] = []
    banned = {ban["crate"]: ban.get("reason", "banned") for ban in policy["bans"]["deny"]}
    allowed = set(policy["licenses"]["allow"])
    registries: dict[str, str] = {}
    for package in metadata["packages"]:
        name, version, source = package["name"], package["version"], package.get("source")
        label = f"{name} {version}"
        if name in banned:
            found.append(f"{label}: banned ({banned[name]}); see deny.toml")
        if source is None:
            pass  # a path crate of this workspace
        elif source.startswith("git+"):
            found.append(f"{label}: a git dependency; depend on a registry release")
        else:
            registries.setdefault(source, label)
        expression = package.get("license")
        if not expression:
            found.append(f"{label}: no license expression in its manifest")
        elif source is not None and not licence_ok(expression, allowed):
            found.append(f"{label}: license `{expression}` is not allowed by deny.toml")
    if len(registries) > 1:
        found.append(
            "crates come from more than one registry: "
            + ", ".join(f"{crate} from {source}" for source, crate in registries.items())
        )
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--metadata", type=Path, help="cargo metadata JSON (default: run cargo)")
    args = parser.parse_args()
    if args.metadata:
        metadata = json.loads(args.metadata.read_text())
    else:
        # Every platform's dependencies (no --filter-platform): the shipped set is a subset.
        metadata = json.loads(
            subprocess.run(
                ["cargo", "metadata", "--format-version", "1"],
                cwd=ROOT,
                check=True,
                capture_output=True,
                text=True,
            ).stdout
        )
    policy = tomllib.loads((ROOT / "deny.toml").read_text())
    found = problems(metadata, policy)
    for problem in found:
        print(f"check_dependencies: {problem}", file=sys.stderr)
    if not found:
        print(f"dependencies: {len(metadata['packages'])} crates within deny.toml")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
