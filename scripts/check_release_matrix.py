"""A dry run of the release workflow's matrices (.github/workflows/release.yml), which this
machine cannot run: every platform package in looker-ci-node/npm/ is built by exactly one addon
job whose Rust target matches the package's os/cpu/libc, the wheels cover the same targets, and
every publish job gets an OIDC token and no registry secret.

Usage: python scripts/check_release_matrix.py   (exits 1 naming each problem)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "release.yml"

# Rust target -> (npm os, npm cpu, libc or None)
TARGETS = {
    "x86_64-unknown-linux-gnu": ("linux", "x64", "glibc"),
    "aarch64-unknown-linux-gnu": ("linux", "arm64", "glibc"),
    "x86_64-unknown-linux-musl": ("linux", "x64", "musl"),
    "aarch64-unknown-linux-musl": ("linux", "arm64", "musl"),
    "x86_64-apple-darwin": ("darwin", "x64", None),
    "aarch64-apple-darwin": ("darwin", "arm64", None),
    "x86_64-pc-windows-msvc": ("win32", "x64", None),
}


def check(workflow: dict) -> list[str]:
    problems: list[str] = []
    jobs = workflow["jobs"]
    addons = jobs["addons"]["strategy"]["matrix"]["include"]
    wheels = jobs["wheels"]["strategy"]["matrix"]["include"]

    packages = {
        p.name: json.loads((p / "package.json").read_text())
        for p in (ROOT / "looker-ci-node" / "npm").iterdir()
    }
    built = [entry["platform"] for entry in addons]
    for platform in sorted(set(packages) | set(built)):
        count = built.count(platform)
        if count != 1:
            problems.append(f"platform package {platform} is built by {count} addon jobs")
    for entry in addons:
        manifest = packages.get(entry["platform"])
        wanted = TARGETS.get(entry["target"])
        if manifest is None or wanted is None:
            problems.append(
                f"addon job {entry['platform']}/{entry['target']}: unknown platform or target"
            )
            continue
        os_, cpu, libc = wanted
        actual = (manifest["os"], manifest["cpu"], manifest.get("libc"))
        if actual != ([os_], [cpu], [libc] if libc else None):
            problems.append(
                f"addon job {entry['platform']}: target {entry['target']} does not match {actual}"
            )

    wheel_targets = {entry["target"] for entry in wheels}
    if wheel_targets != set(TARGETS):
        problems.append(f"wheel targets {sorted(wheel_targets)} differ from {sorted(TARGETS)}")
    for entry in wheels:
        linux = "linux" in entry["target"]
        if linux != (entry["manylinux"] != "off"):
            problems.append(f"wheel {entry['target']}: manylinux setting {entry['manylinux']!r}")

    for name, job in jobs.items():
        if not name.startswith("publish-"):
            continue
        if job.get("permissions", {}).get("id-token") != "write":
            problems.append(f"{name}: needs `id-token: write` for trusted publishing")
        if "secrets." in yaml.safe_dump(job):
            problems.append(f"{name}: uses a stored secret; trusted publishing needs none")
        if job.get("if") != "github.ref_type == 'tag'":
            problems.append(f"{name}: must publish only from a tag")
    return problems


def main() -> int:
    workflow = yaml.safe_load(WORKFLOW.read_text())
    problems = check(workflow)
    for problem in problems:
        print(f"{WORKFLOW.relative_to(ROOT)}: {problem}", file=sys.stderr)
    if not problems:
        print(
            "release matrices: 7 platforms, addons and wheels consistent, publishing by OIDC only"
        )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
