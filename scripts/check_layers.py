"""Layers point one way: no two modules of looker-ci-core import each other, directly or
through others. Reads the `use crate::...`/`super::...` paths of every module (comments and
`#[cfg(test)]` modules aside; a child naming its own parent is not an edge) and exits 1 naming
each cycle, so a new one is caught when it is written.

Usage: python scripts/check_layers.py [CRATE_SRC_DIR]
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PATH = re.compile(r"\b(crate|super)((?:::\w+)+)")


def modules(src: Path) -> dict[str, str]:
    """Module path (`credentials::okta`) to its source without comments and test modules."""
    found = {}
    for file in sorted(src.rglob("*.rs")):
        parts = list(file.relative_to(src).with_suffix("").parts)
        if parts[-1] in ("mod", "lib"):
            parts = parts[:-1]
        text = file.read_text()
        text = text.split("#[cfg(test)]\nmod tests")[0]
        text = "\n".join(line.split("//")[0] for line in text.splitlines())
        found["::".join(parts) or "crate"] = text
    return found


def edges(mods: dict[str, str]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {name: set() for name in mods}
    for name, text in mods.items():
        here = [] if name == "crate" else name.split("::")
        for kind, rest in PATH.findall(text):
            segments = rest.strip(":").split("::")
            target = segments if kind == "crate" else here[:-1] + segments
            for length in range(len(target), 0, -1):
                candidate = "::".join(target[:length])
                if candidate in mods:
                    # A module naming itself or one of its ancestors is not a layer edge.
                    if candidate != name and not name.startswith(candidate + "::"):
                        graph[name].add(candidate)
                    break
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph[node]):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(10_000)
    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def main() -> int:
    src = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "looker-ci-core" / "src"
    graph = edges(modules(src))
    found = cycles(graph)
    for component in found:
        members = set(component)
        links = "; ".join(
            f"{name} -> {', '.join(sorted(graph[name] & members))}" for name in component
        )
        print(f"check_layers: modules import each other: {links}", file=sys.stderr)
    if not found:
        print(f"layers: {len(graph)} modules of {src.relative_to(ROOT)}, no import cycle")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
