"""Every Python and JavaScript snippet users copy from README.md and docs/getting-started-*.md
works on the oldest runtimes the packages declare and does what it shows: each is parsed by
Python 3.10 / Node 20, type-checked (mypy against the installed `looker_ci`, tsc against
`looker-ci-node`'s types), then run against a FakeLooker started for it (`looker_ci.testing`),
with `LOOKERSDK_BASE_URL`/`_CLIENT_ID`/`_CLIENT_SECRET` pointing at it and nothing else of the
caller's environment, in a directory of its own; its output must not hold the fake's secret or a
token it issued. A snippet that needs a peer FakeLooker cannot stand in for says so in an HTML
comment on the line before its fence, `<!-- snippet: no-run (the reason) -->`, and is only
parsed and type-checked. The Rust snippets are doctests of looker-ci-api (compiled there) and
the `guide_snippets` program of the examples crate (its build script extracts them), which runs
each here against a FakeLooker the same way.

Usage: python scripts/check_snippets.py PYTHON310   (after the packages are built)
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import NamedTuple

from looker_ci.testing import FakeLooker

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("getting-started-*.md"))]
FENCE = re.compile(r"^```(\w+)[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
NO_RUN = re.compile(r"<!--\s*snippet:\s*no-run\s*\((?P<why>[^)]+)\)\s*-->")
#: Seconds one snippet may run.
RUN_TIMEOUT = 120
#: What a snippet's process inherits from the caller: enough to start Python and Node.
KEPT_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")


class Snippet(NamedTuple):
    where: str
    code: str
    #: Why it is not run, from its `<!-- snippet: no-run (...) -->` comment; None: it runs.
    no_run: str | None


def snippets(language: str) -> list[Snippet]:
    found = []
    for doc in DOCS:
        text = doc.read_text()
        for match in FENCE.finditer(text):
            if match.group(1) == language:
                line = text[: match.start()].count("\n") + 1
                before = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
                marker = NO_RUN.search(before)
                why = marker.group("why") if marker else None
                found.append(Snippet(f"{doc.relative_to(ROOT)}:{line}", match.group(2), why))
    return found


def snippet_env(fake_env: dict[str, str]) -> dict[str, str]:
    """The caller's PATH and locale plus the FakeLooker's `LOOKERSDK_*`; nothing else (a CI job's
    own `CI_*` or `LOOKER_CI_*` variables would change what `from_env()` does)."""
    env = {name: os.environ[name] for name in KEPT_ENV if name in os.environ}
    env.update(fake_env)
    return env


def run_against_fake(what: str, command: list[str], cwd: Path) -> bool:
    """Run `command` in `cwd` with a FakeLooker of its own; it must exit 0 and print no secret."""
    with FakeLooker() as fake:
        try:
            result = subprocess.run(
                command,
                check=False,
                cwd=cwd,
                env=snippet_env(fake.env()),
                capture_output=True,
                text=True,
                timeout=RUN_TIMEOUT,
            )
        except subprocess.TimeoutExpired:
            print(f"FAILED: {what}: still running after {RUN_TIMEOUT} s", file=sys.stderr)
            return False
        output = result.stdout + result.stderr
        secrets = [fake.client_secret, *fake.issued_tokens()]
        if any(secret in output for secret in secrets):
            print(f"FAILED: {what}: a secret of the FakeLooker is in its output", file=sys.stderr)
            return False
        if fake.counters()["requests"] == 0:
            print(f"FAILED: {what}: it never called FakeLooker", file=sys.stderr)
            return False
    if result.returncode != 0:
        print(f"FAILED: {what} (exit {result.returncode})\n{output}", file=sys.stderr)
    return result.returncode == 0


def run(what: str, command: list[str], cwd: Path) -> bool:
    result = subprocess.run(command, check=False, cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        print(f"FAILED: {what}\n{result.stdout}{result.stderr}", file=sys.stderr)
    return result.returncode == 0


def guide_snippets() -> Path | None:
    """Build the examples' `guide_snippets` (the Rust snippets as a program); its path."""
    command = ["cargo", "build", "--profile", "ci", "-p", "looker-ci-examples"]
    command += ["--bin", "guide_snippets", "--message-format", "json"]
    result = subprocess.run(command, check=False, cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        print(f"FAILED: building guide_snippets\n{result.stdout}{result.stderr}", file=sys.stderr)
        return None
    for line in result.stdout.splitlines():
        message = json.loads(line)
        artifact = message.get("reason") == "compiler-artifact" and message.get("executable")
        if artifact and message["target"]["name"] == "guide_snippets":
            return Path(message["executable"])
    print("FAILED: cargo built no guide_snippets executable", file=sys.stderr)
    return None


def run_rust() -> tuple[bool, int]:
    """Run each Rust snippet against a FakeLooker of its own; (all passed, how many ran)."""
    program = guide_snippets()
    if program is None:
        return False, 0
    listed = subprocess.run([program, "--list"], check=True, capture_output=True, text=True)
    places = listed.stdout.splitlines()
    expected = [s.where for s in snippets("rust") if s.code.strip()]
    if len(places) != len(expected):
        print(f"FAILED: guide_snippets has {places}, the docs {expected}", file=sys.stderr)
        return False, 0
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        for i, place in enumerate(places):
            ok &= run_against_fake(f"{place}: run", [str(program), str(i)], Path(tmp))
    return ok, len(places)


def main() -> int:
    python310 = sys.argv[1]
    ok = True
    ran = 0
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        python = snippets("python")
        js = snippets("js")
        for i, snippet in enumerate(python):
            path = work / f"snippet_{i}.py"
            path.write_text(f"# {snippet.where}\n{snippet.code}")
            ok &= run(
                f"{snippet.where}: parse on Python 3.10",
                [python310, "-m", "py_compile", str(path)],
                work,
            )
        ok &= run(
            "the Python snippets: mypy",
            [sys.executable, "-m", "mypy", "--python-version", "3.10", "--no-error-summary"]
            + [str(work / f"snippet_{i}.py") for i in range(len(python))],
            work,
        )
        node_dir = ROOT / "looker-ci-node"
        for i, snippet in enumerate(js):
            path = work / f"snippet_{i}.js"
            path.write_text(f"// {snippet.where}\n{snippet.code}")
            ok &= run(f"{snippet.where}: parse on Node 20", ["node", "--check", str(path)], work)
        tsconfig = {
            "compilerOptions": {
                "allowJs": True,
                "checkJs": True,
                "noEmit": True,
                "strict": False,
                "target": "ES2022",
                "module": "commonjs",
                "moduleResolution": "node",
                "baseUrl": ".",
                "paths": {"looker-ci": [str(node_dir / "lib" / "index.d.ts")]},
                "typeRoots": [str(node_dir / "node_modules" / "@types")],
                "types": ["node"],
            },
            "files": [f"snippet_{i}.js" for i in range(len(js))],
        }
        (work / "tsconfig.json").write_text(json.dumps(tsconfig))
        tsc = node_dir / "node_modules" / "typescript" / "bin" / "tsc"
        ok &= run("the JavaScript snippets: tsc", ["node", str(tsc), "-p", "."], work)

        # Run each against a FakeLooker of its own, in a directory of its own (the gate snippets
        # write their reports); `require('looker-ci')` resolves to the package built here.
        for language, found, suffix, interpreter in [
            ("python", python, "py", [sys.executable]),
            ("js", js, "js", ["node"]),
        ]:
            for i, snippet in enumerate(found):
                if snippet.no_run is not None:
                    print(f"not run: {snippet.where} ({snippet.no_run})")
                    continue
                cwd = work / f"run_{language}_{i}"
                (cwd / "node_modules").mkdir(parents=True)
                (cwd / "node_modules" / "looker-ci").symlink_to(node_dir)
                path = cwd / f"snippet.{suffix}"
                path.write_text((work / f"snippet_{i}.{suffix}").read_text())
                ok &= run_against_fake(f"{snippet.where}: run", [*interpreter, str(path)], cwd)
                ran += 1
        rust_ok, rust_ran = run_rust()
        ok &= rust_ok
        ran += rust_ran
        print(
            f"snippets: {len(python)} Python, {len(js)} JavaScript checked; "
            f"{ran} run (with {rust_ran} Rust)"
        )
        if not python or not js:
            print("no snippets found: the extraction is broken", file=sys.stderr)
            ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
