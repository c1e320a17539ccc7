"""One version everywhere: the workspace's (Cargo.toml), which the crates and the Python package
(maturin reads it from Cargo) inherit, and which package.json, every platform package and the
newest CHANGELOG.md entry must repeat. Exits 1 naming each file that differs.

Usage: python scripts/check_versions.py
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    workspace = tomllib.loads((ROOT / "Cargo.toml").read_text())
    version = workspace["workspace"]["package"]["version"]
    problems: list[str] = []

    for crate in ("looker-ci-core", "looker-ci-api", "looker-ci-cli", "looker-ci-py", "looker-ci-node"):
        manifest = tomllib.loads((ROOT / crate / "Cargo.toml").read_text())
        if manifest["package"].get("version") != {"workspace": True}:
            problems.append(f"{crate}/Cargo.toml: version must be `version.workspace = true`")
    for name, dep in workspace["workspace"]["dependencies"].items():
        if name.startswith("looker-ci") and dep.get("version") != version:
            problems.append(f"Cargo.toml: [workspace.dependencies] {name} is {dep.get('version')}")

    pyproject = tomllib.loads((ROOT / "looker-ci-py" / "pyproject.toml").read_text())
    if "version" not in pyproject["project"].get("dynamic", []):
        problems.append("looker-ci-py/pyproject.toml: the version must be dynamic (from Cargo)")

    package = json.loads((ROOT / "looker-ci-node" / "package.json").read_text())
    if package["version"] != version:
        problems.append(f"looker-ci-node/package.json: {package['version']}")
    for platform in sorted((ROOT / "looker-ci-node" / "npm").iterdir()):
        manifest = json.loads((platform / "package.json").read_text())
        if manifest["version"] != version:
            problems.append(
                f"looker-ci-node/npm/{platform.name}/package.json: {manifest['version']}"
            )
        if manifest["name"] != f"looker-ci-{platform.name}":
            problems.append(f"looker-ci-node/npm/{platform.name}: named {manifest['name']}")
    for name, wanted in package.get("optionalDependencies", {}).items():
        if wanted != version:
            problems.append(f"looker-ci-node/package.json: optionalDependencies {name} {wanted}")

    changelog = (ROOT / "CHANGELOG.md").read_text()
    newest = re.search(r"^## \[?(\d+\.\d+\.\d+[^\]\s]*)", changelog, re.MULTILINE)
    if not newest or newest.group(1) != version:
        found = newest.group(1) if newest else "none"
        problems.append(f"CHANGELOG.md: the newest entry is {found}")

    for problem in problems:
        print(f"version {version} expected; {problem}", file=sys.stderr)
    if not problems:
        print(f"one version everywhere: {version}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
