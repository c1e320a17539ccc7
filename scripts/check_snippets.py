"""Every Python and JavaScript snippet users copy from README.md and docs/getting-started-*.md
works on the oldest runtimes the packages declare: each is parsed by Python 3.10 / Node 20 and
type-checked (mypy against the installed `looker_ci`, tsc against `looker-ci-node`'s types).
They need a real Looker to run; the Rust snippets are compiled as doctests of looker-ci-api.

Usage: python scripts/check_snippets.py PYTHON310   (after the packages are built)
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("getting-started-*.md"))]
FENCE = re.compile(r"^```(\w+)[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)


def snippets(language: str) -> list[tuple[str, str]]:
    found = []
    for doc in DOCS:
        for match in FENCE.finditer(doc.read_text()):
            if match.group(1) == language:
                line = doc.read_text()[: match.start()].count("\n") + 1
                found.append((f"{doc.relative_to(ROOT)}:{line}", match.group(2)))
    return found


def run(what: str, command: list[str], cwd: Path) -> bool:
    result = subprocess.run(command, check=False, cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        print(f"FAILED: {what}\n{result.stdout}{result.stderr}", file=sys.stderr)
    return result.returncode == 0


def main() -> int:
    python310 = sys.argv[1]
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        python = snippets("python")
        js = snippets("js")
        for i, (where, code) in enumerate(python):
            path = work / f"snippet_{i}.py"
            path.write_text(f"# {where}\n{code}")
            ok &= run(
                f"{where}: parse on Python 3.10", [python310, "-m", "py_compile", str(path)], work
            )
        ok &= run(
            "the Python snippets: mypy",
            [sys.executable, "-m", "mypy", "--python-version", "3.10", "--no-error-summary"]
            + [str(work / f"snippet_{i}.py") for i in range(len(python))],
            work,
        )
        node_dir = ROOT / "looker-ci-node"
        for i, (where, code) in enumerate(js):
            path = work / f"snippet_{i}.js"
            path.write_text(f"// {where}\n{code}")
            ok &= run(f"{where}: parse on Node 20", ["node", "--check", str(path)], work)
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
        print(f"snippets: {len(python)} Python, {len(js)} JavaScript checked")
        if not python or not js:
            print("no snippets found: the extraction is broken", file=sys.stderr)
            ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
