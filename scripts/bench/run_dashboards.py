"""The dashboard-list benchmark (issue: "Speed"), side by side in one run: our Python
`all_dashboards()` and generic `request("GET", "/dashboards")` vs `requests` + `json` vs
`looker_sdk`, and our Node `allDashboards()` and `request()` vs `fetch` + `JSON.parse` vs
`@looker/sdk`, on 1, 10 and 50 MB lists served from loopback. Each
measurement runs in its own process, so its peak RSS is its own. Prints Markdown tables.

    .venv/bin/python scripts/bench/run_dashboards.py [--rounds N] [--skip-install]

Installs what it compares with (requests, looker_sdk; @looker/sdk, @looker/sdk-node) and builds
both bindings in release mode, as users get them.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SPEC = ROOT / "spec" / "Looker.4.0.oas.json"
PYTHON_CLIENTS = ("ours", "request", "requests", "looker_sdk")
NODE_CLIENTS = ("ours", "request", "fetch", "looker_sdk")


def install() -> None:
    pip = [sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    subprocess.run([*pip, "requests", "looker_sdk"], check=True)
    subprocess.run(
        [*pip, "--force-reinstall", "--no-deps", str(ROOT / "looker-ci-py")], check=True
    )
    subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--silent"], cwd=HERE, check=True
    )
    node_env = {**os.environ, "LOOKER_CI_CARGO_PROFILE": "release"}
    subprocess.run(
        ["npm", "run", "-s", "build"],
        cwd=ROOT / "looker-ci-node",
        env=node_env,
        check=True,
    )


def run(command: list[str]) -> dict[str, float]:
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def compare(
    commands: dict[str, list[str]], processes: int
) -> list[tuple[str, dict[str, float]]]:
    """Run each client in `processes` fresh processes, interleaved (so drift in the machine's
    load hits every client alike); per client, the median of the processes' medians, the best
    call, and the median peak RSS."""
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in commands}
    for _ in range(processes):
        for name, command in commands.items():
            runs[name].append(run(command))
    return [
        (
            name,
            {
                "median_s": statistics.median(r["median_s"] for r in results),
                "best_s": min(r["best_s"] for r in results),
                "peak_rss_mib": statistics.median(r["peak_rss_mib"] for r in results),
                "dashboards": results[0]["dashboards"],
            },
        )
        for name, results in runs.items()
    ]


def table(title: str, rows: list[tuple[str, dict[str, float]]], baseline: str) -> str:
    base = dict(rows)[baseline]
    lines = [
        f"### {title}",
        "",
        "| client | median per call | best call | vs "
        + baseline
        + " (median) | peak RSS (median) |",
        "|---|---|---|---|---|",
    ]
    for name, r in rows:
        ratio = r["median_s"] / base["median_s"]
        lines.append(
            f"| {name} | {r['median_s'] * 1000:.1f} ms | {r['best_s'] * 1000:.1f} ms "
            f"| {ratio:.2f}x | {r['peak_rss_mib']:.0f} MiB |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--rounds", type=int, default=0, help="calls per process (default by size)"
    )
    parser.add_argument("--processes", type=int, default=3, help="processes per client")
    parser.add_argument("--skip-install", action="store_true")
    args = parser.parse_args()
    if not args.skip_install:
        install()
    with tempfile.TemporaryDirectory() as tmp:
        port_file = Path(tmp) / "server.json"
        server = subprocess.Popen(
            [
                sys.executable,
                str(HERE / "dashboards_server.py"),
                str(SPEC),
                str(port_file),
            ]
        )
        try:
            for _ in range(600):
                if port_file.exists() and port_file.stat().st_size:
                    break
                time.sleep(0.1)
            info = json.loads(port_file.read_text())
            out = []
            for name, server_info in info.items():
                base_url = f"http://127.0.0.1:{server_info['port']}"
                rounds = args.rounds or {"1 MB": 15, "10 MB": 5, "50 MB": 3}[name]
                label = f"{server_info['bytes'] / 1e6:.1f} MB"
                py_script, node_script = (
                    str(HERE / "dashboards.py"),
                    str(HERE / "dashboards.mjs"),
                )
                py = compare(
                    {
                        c: [sys.executable, py_script, c, base_url, str(rounds)]
                        for c in PYTHON_CLIENTS
                    },
                    args.processes,
                )
                node = compare(
                    {
                        c: ["node", node_script, c, base_url, str(rounds)]
                        for c in NODE_CLIENTS
                    },
                    args.processes,
                )
                count = int(py[0][1]["dashboards"])
                runs = (
                    f"{count} dashboards; {args.processes} processes x {rounds} calls"
                )
                out.append(table(f"Python, {label} ({runs})", py, "requests"))
                out.append(table(f"Node, {label} ({runs})", node, "fetch"))
            print("\n\n".join(out))
        finally:
            server.terminate()
            server.wait()


if __name__ == "__main__":
    main()
