"""Install and start-up benchmark (issue "Installs in seconds"): our wheel vs `looker_sdk`, our npm
tarballs vs `@looker/sdk` + `@looker/sdk-node`, each installed into a fresh environment; then
`import looker_ci` vs `import json` and `require('looker-ci')` vs `node -e 1`. Prints Markdown.

    .venv/bin/python scripts/bench/install_bench.py [--rounds N]   (after scripts/package)

The official SDKs come from the package registries through a warm local cache (one untimed
install first), ours from dist/: both sides skip the download, so the figures compare the
installs themselves. Interpreter start-up is the median of 15 fresh processes.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
DIST = ROOT / "dist"


def timed(command: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - start


def python_install(args: list[str], rounds: int) -> float:
    times = []
    for _ in range(rounds + 1):  # the first round only warms the cache
        with tempfile.TemporaryDirectory() as tmp:
            venv = Path(tmp) / "venv"
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
            pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q"]
            pip += ["--disable-pip-version-check"]
            times.append(timed(pip + args, Path(tmp)))
    return statistics.median(times[1:])


def npm_install(args: list[str], rounds: int) -> float:
    times = []
    for _ in range(rounds + 1):
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run(["npm", "init", "-y"], cwd=tmp, check=True, capture_output=True)
            npm = ["npm", "install", "--no-audit", "--no-fund", "--prefer-offline"]
            times.append(timed(npm + args, Path(tmp)))
    return statistics.median(times[1:])


def startup(command: list[str], cwd: Path) -> float:
    return statistics.median(timed(command, cwd) for _ in range(15))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    rounds = parser.parse_args().rounds
    wheel = next(DIST.glob("*.whl"))
    tarballs = sorted(str(p) for p in (DIST / "npm").glob("*.tgz"))

    rows = [
        ("pip: our wheel (offline)", python_install(["--no-index", str(wheel)], rounds)),
        ("pip: looker_sdk", python_install(["looker_sdk"], rounds)),
        ("npm: our two tarballs", npm_install(tarballs, rounds)),
        (
            "npm: @looker/sdk @looker/sdk-node",
            npm_install(["@looker/sdk", "@looker/sdk-node"], rounds),
        ),
    ]
    print("| install into a fresh environment | median seconds |\n| --- | --- |")
    for name, seconds in rows:
        print(f"| {name} | {seconds:.2f} |")

    sizes = [(p.name, p.stat().st_size) for p in [wheel, *map(Path, tarballs)]]
    print("\n| artefact | size |\n| --- | --- |")
    for name, size in sizes:
        print(f"| `{name}` | {size / 1e6:.1f} MB |")

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        subprocess.run([sys.executable, "-m", "venv", str(work / "venv")], check=True)
        python = str(work / "venv" / "bin" / "python")
        subprocess.run([python, "-m", "pip", "install", "-q", "--no-index", str(wheel)], check=True)
        subprocess.run([python, "-m", "pip", "install", "-q", "looker_sdk"], check=True)
        subprocess.run(["npm", "init", "-y"], cwd=work, check=True, capture_output=True)
        subprocess.run(["npm", "install", "-s", "--offline", *tarballs], cwd=work, check=True)
        bare_py = startup([python, "-c", "import json"], work)
        ours_py = startup([python, "-c", "import looker_ci"], work)
        sdk_py = startup([python, "-c", "import looker_sdk"], work)
        bare_node = startup(["node", "-e", "1"], work)
        ours_node = startup(["node", "-e", "require('looker-ci')"], work)
        shutil.rmtree(work / "node_modules")
    print("\n| start-up (median of 15 processes) | ms | over the bare runtime |")
    print("| --- | --- | --- |")
    for name, value, base in [
        ("python -c 'import json'", bare_py, bare_py),
        ("python -c 'import looker_ci'", ours_py, bare_py),
        ("python -c 'import looker_sdk'", sdk_py, bare_py),
        ("node -e 1", bare_node, bare_node),
        ("node -e \"require('looker-ci')\"", ours_node, bare_node),
    ]:
        print(f"| `{name}` | {value * 1000:.0f} | +{(value - base) * 1000:.0f} ms |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
