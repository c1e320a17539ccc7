"""Gate benchmark: `looker-ci sql` against Spectacles on the same FakeLooker project.

    .venv/bin/python scripts/bench/gate_bench.py [--rounds 3] [--skip-build] [--scenario NAME]

What it does:

1. Builds `looker-ci` and `fake_looker` (`cargo build --profile ci`, the host triple).
2. Installs Spectacles from PyPI, pinned, into its own virtualenv under
   target/bench-venv/ (kept between runs; not part of any test command).
3. For each scenario and round, starts a fresh `fake_looker` (same project, same seed, so the
   same things are broken) for every run: Spectacles, `looker-ci sql`, `looker-ci sql
   --dimensions-only` (Spectacles checks dimensions only), and `looker-ci sql --shard i/4` for
   i = 1..4 (one fresh server per shard, run one after the other as separate CI jobs would).
   Every run uses the same `--concurrency`.
4. Measures wall time (process start to exit), and from the server's counters (written on
   SIGTERM) the warehouse queries run, the API requests and the most queries running at once;
   reads the findings (looker-ci's `--json`, Spectacles' log output) and checks them against
   what the server broke (`broken` in its info file): found, missed, false.
5. Prints a Markdown table of medians and the goals, and writes every raw measurement to
   target/bench-results/gate_bench.json.

The `uneven` scenarios (not in the default set) make a few explores slow and also run the shards
with `--shard-timings` set to the same round's unsharded `--json`, against the split by count.

Runs are interleaved by round (Spectacles, looker-ci, ..., then the next round), so a slow
period of the shared machine hits every tool alike.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent.parent
TRIPLE = "x86_64-unknown-linux-gnu"
BIN = ROOT / "target" / TRIPLE / "ci"
LOOKER_CI = BIN / "looker-ci"
FAKE_LOOKER = BIN / "fake_looker"
# The newest release on PyPI when this benchmark was written; its API use is what FakeLooker
# was checked against.
SPECTACLES_VERSION = "2.4.20"
VENV = ROOT / "target" / "bench-venv" / f"spectacles-{SPECTACLES_VERSION}"
RESULTS = ROOT / "target" / "bench-results" / "gate_bench.json"
RUN_TIMEOUT = 900


@dataclass(frozen=True)
class Scenario:
    name: str
    explores: int
    dimensions: int
    break_fields: int
    break_joins: int
    interactions: int
    seed: int = 1
    latency_ms: str = "50:200"
    query_ms: int = 300
    concurrency: int = 10
    # Whether Spectacles runs too (it takes minutes where the project is large: its query
    # creation is serial).
    spectacles: bool = True
    # Explores made slow (every query of theirs runs `slow_ms` longer), and whether the shards
    # also run with `--shard-timings` (the unsharded run's --json of the same round).
    slow_explores: int = 0
    slow_ms: int = 0
    timings: bool = False

    def server_args(self) -> list[str]:
        slow = ["--slow-explores", f"{self.slow_explores}:{self.slow_ms}"]
        return (slow if self.slow_explores else []) + [
            "--project",
            f"synthetic:{self.explores}:{self.dimensions}:{self.seed}",
            "--seed",
            str(self.seed),
            "--break-fields",
            str(self.break_fields),
            "--break-joins",
            str(self.break_joins),
            "--interactions",
            str(self.interactions),
            "--api-latency-ms",
            self.latency_ms,
            "--query-duration-ms",
            str(self.query_ms),
        ]


UNEVEN = Scenario(
    "uneven",
    40,
    30,
    break_fields=0,
    break_joins=0,
    interactions=0,
    spectacles=False,
    slow_explores=4,
    slow_ms=2000,
    timings=True,
)

SCENARIOS = {
    # The scenario the goals are judged on: what the issue describes.
    "mixed": Scenario("mixed", 40, 30, break_fields=6, break_joins=2, interactions=2),
    # The same project without the two interactions, to show what they cost.
    "no-interactions": Scenario(
        "no-interactions", 40, 30, break_fields=6, break_joins=2, interactions=0
    ),
    # `mixed` with a fast API (5-20 ms a request): how much of the difference is API latency.
    "mixed-fast-api": Scenario(
        "mixed-fast-api", 40, 30, break_fields=6, break_joins=2, interactions=2, latency_ms="5:20"
    ),
    # `mixed`'s breaks in a project ten times as large (added 2026-12-02, after the goals were
    # judged on `mixed`): how sharding scales with the project's size. Spectacles runs here too
    # since the last run of 2026-12-02 (minutes a run), so every goal is measured on it.
    "large": Scenario("large", 400, 30, break_fields=6, break_joins=2, interactions=2),
    # Nothing broken; 4 explores, chosen by the seed, take 2 s longer a query (added with
    # `--shard-timings`): shards split by count against shards split by the timings of an
    # unsharded run. looker-ci only.
    "uneven": UNEVEN,
    # `uneven` with 2 query slots a job: a shard's slots, not its slowest explore, bound its time.
    "uneven-2-slots": dataclasses.replace(UNEVEN, name="uneven-2-slots", concurrency=2),
}


# ------------------------------------------------------------------------------------------
# Set-up


def build() -> None:
    env = dict(os.environ, CARGO_TARGET_DIR=str(ROOT / "target"), CARGO_BUILD_TARGET=TRIPLE)
    command = ["cargo", "build", "--profile", "ci", "-p", "looker-ci", "-p", "looker-ci-examples"]
    subprocess.run(command, cwd=ROOT, env=env, check=True)


def spectacles() -> Path:
    """The pinned Spectacles in its own virtualenv, installed on first use."""
    exe = VENV / "bin" / "spectacles"
    if not exe.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        pip = [str(VENV / "bin" / "python"), "-m", "pip", "install", "-q"]
        pip += ["--disable-pip-version-check", f"spectacles=={SPECTACLES_VERSION}"]
        subprocess.run(pip, check=True)
    version = subprocess.run([str(exe), "--version"], capture_output=True, text=True, check=True)
    if SPECTACLES_VERSION not in version.stdout + version.stderr:
        raise SystemExit(f"unexpected Spectacles version: {version.stdout}{version.stderr}")
    return exe


def clean_env() -> dict[str, str]:
    """The environment without Looker settings or CI variables that either tool would read."""
    dropped = ("LOOKERSDK_", "LOOKER_", "SPECTACLES_", "CI_NODE_", "GITHUB_", "GITLAB_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(dropped)}
    env.pop("CI", None)
    env["NO_COLOR"] = "1"
    return env


class Server:
    """A fresh fake_looker; its counters are read after SIGTERM."""

    def __init__(self, scenario: Scenario, workdir: Path, extra: list[str] | None = None):
        self.dir = workdir
        self.info_path = workdir / "info.json"
        self.counters_path = workdir / "counters.json"
        command = [
            str(FAKE_LOOKER),
            "--info-file",
            str(self.info_path),
            "--counters-file",
            str(self.counters_path),
            *scenario.server_args(),
            *(extra or []),
        ]
        self.log = open(workdir / "fake_looker.log", "wb")  # noqa: SIM115
        self.process = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT)
        self.info = self._wait_for_info()
        self.counters: dict = {}

    def _wait_for_info(self) -> dict:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"fake_looker exited with {self.process.returncode}")
            try:
                return json.loads(self.info_path.read_text())
            except (FileNotFoundError, json.JSONDecodeError):
                time.sleep(0.02)
        raise SystemExit("fake_looker did not write its info file")

    def stop(self) -> dict:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)
        self.log.close()
        self.counters = json.loads(self.counters_path.read_text())
        return self.counters


# ------------------------------------------------------------------------------------------
# Findings


@dataclass
class Finding:
    kind: str  # field, join, explore
    model: str | None
    explore: str | None
    field: str | None = None
    fields: list[str] = dataclasses.field(default_factory=list)
    view: str | None = None
    message: str = ""


def looker_ci_findings(document: dict) -> list[Finding]:
    out = []
    for f in document.get("findings", []):
        out.append(
            Finding(
                kind=f.get("scope", "?"),
                model=f.get("model"),
                explore=f.get("explore"),
                field=f.get("field"),
                fields=list(f.get("fields") or []),
                view=f.get("view"),
                message=f.get("message", ""),
            )
        )
    return out


HEADER = re.compile(r"^=+ (?P<model>[^/\s]+)/(?P<name>\S+) =+$")


def spectacles_findings(log: str) -> list[Finding]:
    """Findings from Spectacles' output: a `==== model/name ====` header per error, the message,
    `LookML: ...` and `Test SQL: <log-dir>/queries/<model>__<explore>[__<dimension>].sql`."""
    out: list[Finding] = []
    current: Finding | None = None
    message: list[str] = []
    for line in log.splitlines():
        header = HEADER.match(line.strip())
        if header and not header.group("name").startswith("Testing"):
            current = Finding(kind="?", model=header.group("model"), explore=None)
            name = header.group("name")
            # A dimension name holds a dot (view.field); an explore name does not.
            if "." in name:
                current.kind, current.field = "field", name
            else:
                current.kind, current.explore = "explore", name
            message = []
            out.append(current)
            continue
        if current is None:
            continue
        if line.startswith("Test SQL:"):
            path = line.split(":", 1)[1].strip()
            if path.endswith(".sql"):
                parts = Path(path).stem.split("__")
                if len(parts) >= 2:
                    current.explore = parts[1]
            current.message = " ".join(m for m in message if m)
            current = None
        elif not line.startswith("LookML:"):
            message.append(line.strip())
    return out


def spectacles_failed_explores(log: str) -> list[str]:
    return sorted(m.group(1) for m in re.finditer(r"✗ (\S+) failed", log))


def classify(findings: list[Finding], broken: dict) -> dict:
    """Each finding against what was broken: which broken item it reveals, or false."""
    fields = set(broken.get("fields", []))
    joins = set(broken.get("joins", []))
    interactions = set(broken.get("interactions", []))
    hits: dict[str, set[str]] = {"fields": set(), "joins": set(), "interactions": set()}
    false: list[str] = []
    for f in findings:
        if f.kind == "field" and f.field:
            join_key = f"{f.model}/{f.explore}/{f.field.split('.')[0]}"
            if f.field in fields:
                hits["fields"].add(f.field)
            elif join_key in joins:
                # Spectacles names each field of a view whose join is broken.
                hits["joins"].add(join_key)
            elif f.field in interactions:
                hits["interactions"].add(f.field)
            else:
                false.append(f"{f.explore} {f.field}: {f.message}")
        elif f.kind == "join":
            join_key = f"{f.model}/{f.explore}/{f.view}"
            if join_key in joins:
                hits["joins"].add(join_key)
            else:
                false.append(f"{f.explore} join {f.view}: {f.message}")
        elif f.kind == "explore" and set(f.fields) & interactions:
            hits["interactions"] |= set(f.fields) & interactions
        else:
            false.append(f"{f.explore} {f.kind} {f.fields}: {f.message}")
    return {
        "found": {k: sorted(v) for k, v in hits.items()},
        "missed": {
            "fields": sorted(fields - hits["fields"]),
            "joins": sorted(joins - hits["joins"]),
            "interactions": sorted(interactions - hits["interactions"]),
        },
        "false": false,
        "reported": len(findings),
    }


# ------------------------------------------------------------------------------------------
# Runs


def run_looker_ci(scenario: Scenario, extra: list[str], keep: Path | None = None) -> dict:
    """One `looker-ci sql` run against a fresh server; `keep`: where to copy its --json."""
    with tempfile.TemporaryDirectory(prefix="gate-bench-") as tmp:
        work = Path(tmp)
        server = Server(scenario, work)
        env = clean_env()
        env.update(
            LOOKERSDK_BASE_URL=server.info["base_url"],
            LOOKERSDK_CLIENT_ID=server.info["client_id"],
            LOOKERSDK_CLIENT_SECRET=server.info["client_secret"],
        )
        report = work / "result.json"
        command = [
            str(LOOKER_CI),
            "sql",
            "--project",
            server.info["project"],
            "--concurrency",
            str(scenario.concurrency),
            "--json",
            str(report),
            *extra,
        ]
        # Other work on the shared machine (1-minute load average), recorded with every run.
        load = os.getloadavg()[0]
        start = time.perf_counter()
        done = subprocess.run(
            command,
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT,
            check=False,
        )
        wall = time.perf_counter() - start
        counters = server.stop()
        document = json.loads(report.read_text()) if report.exists() else {}
        if keep is not None:
            keep.write_text(json.dumps(document))
        findings = looker_ci_findings(document)
        result = {
            "wall": wall,
            "load": load,
            "exit": done.returncode,
            "counters": counters,
            "own_counts": document.get("counts"),
            "classified": classify(findings, server.info["broken"]),
            "findings": [f.__dict__ for f in findings],
            "failed_explores": sorted(
                f"{e['model']}.{e['explore']}"
                for e in document.get("explores", [])
                if e.get("status") == "failed"
            ),
            "broken": server.info["broken"],
            # Where the time and queries went: every explore that needed more than one query.
            "searched_explores": [e for e in document.get("explores", []) if e["queries"] > 1],
            "explores_run": sorted(
                f"{e['model']}/{e['explore']}" for e in document.get("explores", [])
            ),
        }
        if done.returncode not in (0, 1):
            result["stderr"] = done.stderr[-4000:]
        return result


def run_spectacles(scenario: Scenario, exe: Path) -> dict:
    with tempfile.TemporaryDirectory(prefix="gate-bench-") as tmp:
        work = Path(tmp)
        server = Server(scenario, work)
        url = urlparse(server.info["base_url"])
        env = clean_env()
        # Spectacles builds `{base_url}:{port}/api/4.0`: the port goes in LOOKER_PORT.
        env.update(
            LOOKER_BASE_URL=f"{url.scheme}://{url.hostname}",
            LOOKER_PORT=str(url.port),
            LOOKER_CLIENT_ID=server.info["client_id"],
            LOOKER_CLIENT_SECRET=server.info["client_secret"],
        )
        command = [
            str(exe),
            "sql",
            "--project",
            server.info["project"],
            "--concurrency",
            str(scenario.concurrency),
            "--no-looker-ci-warning",
            "--log-dir",
            str(work / "logs"),
        ]
        # Other work on the shared machine (1-minute load average), recorded with every run.
        load = os.getloadavg()[0]
        start = time.perf_counter()
        done = subprocess.run(
            command,
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT,
            check=False,
        )
        wall = time.perf_counter() - start
        counters = server.stop()
        log = done.stdout + done.stderr
        findings = spectacles_findings(log)
        completed = re.search(r"Completed SQL validation in ([\d.]*) seconds", log)
        result = {
            "wall": wall,
            "load": load,
            "exit": done.returncode,
            "counters": counters,
            "own_seconds": completed.group(1) if completed else None,
            "classified": classify(findings, server.info["broken"]),
            "findings": [f.__dict__ for f in findings],
            "failed_explores": spectacles_failed_explores(log),
            "broken": server.info["broken"],
        }
        if done.returncode not in (0, 102):
            result["output"] = log[-4000:]
        return result


def run_shards(scenario: Scenario, total: int, extra: tuple[str, ...] = ()) -> dict:
    shards = [
        run_looker_ci(scenario, ["--shard", f"{i}/{total}", *extra]) for i in range(1, total + 1)
    ]
    findings = [Finding(**f) for s in shards for f in s["findings"]]
    return {
        "shards": shards,
        "wall": max(s["wall"] for s in shards),
        "queries": sum(s["counters"]["queries_run"] for s in shards),
        "requests": sum(s["counters"]["api_requests"] for s in shards),
        "classified": classify(findings, shards[0]["broken"]),
        "exits": [s["exit"] for s in shards],
    }


def run_shards_shared(scenario: Scenario, total: int) -> dict:
    """The shards as parallel CI jobs of one API user run them: at the same time, against one
    server whose per-user limit of running queries is the concurrency each job asks for (the
    unsharded run uses all of it), so the shards share the user's query slots."""
    with tempfile.TemporaryDirectory(prefix="gate-bench-") as tmp:
        work = Path(tmp)
        limit = ["--concurrency-limit", str(scenario.concurrency)]
        server = Server(scenario, work, limit)
        env = clean_env()
        env.update(
            LOOKERSDK_BASE_URL=server.info["base_url"],
            LOOKERSDK_CLIENT_ID=server.info["client_id"],
            LOOKERSDK_CLIENT_SECRET=server.info["client_secret"],
        )
        load = os.getloadavg()[0]
        start = time.perf_counter()
        jobs = []
        for i in range(1, total + 1):
            command = [
                str(LOOKER_CI),
                "sql",
                "--project",
                server.info["project"],
                "--concurrency",
                str(scenario.concurrency),
                "--shard",
                f"{i}/{total}",
                "--json",
                str(work / f"shard-{i}.json"),
            ]
            out = open(work / f"shard-{i}.log", "wb")  # noqa: SIM115
            jobs.append((subprocess.Popen(command, cwd=work, env=env, stdout=out, stderr=out), out))
        walls = []
        exits = []
        for process, out in jobs:
            exits.append(process.wait(timeout=RUN_TIMEOUT))
            walls.append(time.perf_counter() - start)
            out.close()
        counters = server.stop()
        findings = []
        for i in range(1, total + 1):
            path = work / f"shard-{i}.json"
            if path.exists():
                findings += looker_ci_findings(json.loads(path.read_text()))
        return {
            "wall": max(walls),
            "walls": walls,
            "load": load,
            "exits": exits,
            "counters": counters,
            "classified": classify(findings, server.info["broken"]),
        }


# ------------------------------------------------------------------------------------------
# Report


def median(values: list[float]) -> float:
    return statistics.median(values)


def spread(values: list[float], digits: int = 1) -> str:
    m = median(values)
    if len(values) < 2:
        return f"{m:.{digits}f}"
    return f"{m:.{digits}f} ({min(values):.{digits}f}–{max(values):.{digits}f})"


def outcome(rounds: list[dict]) -> dict:
    """The findings of a tool, which must be the same every round (else every round is shown)."""
    keys = [json.dumps(r["classified"], sort_keys=True) for r in rounds]
    return {"same_every_round": len(set(keys)) == 1, "first": rounds[0]["classified"]}


def kinds(classified: dict, broken: dict) -> str:
    parts = []
    for kind in ("fields", "joins", "interactions"):
        total = len(broken.get(kind, []))
        parts.append(f"{len(classified['found'][kind])}/{total}")
    return " | ".join(parts)


def loads(data: dict) -> list[float]:
    runs = data["spectacles"] + data["dims"] + data["full"]
    runs += [shard for s in data["shards"] for shard in s["shards"]]
    return [r["load"] for r in runs]


def table(scenario: Scenario, data: dict) -> str:
    broken = data["full"][0]["broken"]
    lines = [
        (
            f"Scenario `{scenario.name}`: synthetic {scenario.explores} explores x "
            f"{scenario.dimensions} dimensions (+ 2 joined `accounts` dimensions and 2 `count` "
            f"measures each), broken: {len(broken['fields'])} fields, {len(broken['joins'])} joins, "
            f"{len(broken['interactions'])} interactions"
            + (
                f", {scenario.slow_explores} explores {scenario.slow_ms} ms slower a query "
                f"({', '.join(broken.get('slow_explores', []))})"
                if scenario.slow_explores
                else ""
            )
            + f"; API latency {scenario.latency_ms} ms, "
            f"query {scenario.query_ms} ms, `--concurrency {scenario.concurrency}`; "
            f"median (min–max) of {len(data['full'])} rounds; 1-minute load average at the "
            f"start of a run {spread(loads(data))} on {os.cpu_count()} cores."
        ),
        "",
        (
            "| run | wall s | warehouse queries | API requests | peak queries running | "
            "fields found | joins found | interactions found | false | findings reported | exit |"
        ),
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]

    def row(label: str, rounds: list[dict]) -> str:
        walls = [r["wall"] for r in rounds]
        queries = [r["counters"]["queries_run"] for r in rounds]
        requests = [r["counters"]["api_requests"] for r in rounds]
        peak = [r["counters"]["max_running_per_user"] for r in rounds]
        o = outcome(rounds)
        c = o["first"]
        note = "" if o["same_every_round"] else " (varies by round, see JSON)"
        exits = sorted({r["exit"] for r in rounds})
        return (
            f"| {label} | {spread(walls)} | {spread(queries, 0)} | {spread(requests, 0)} | "
            f"{spread(peak, 0)} | {kinds(c, broken)} | {len(c['false'])}{note} | "
            f"{c['reported']} | {'/'.join(map(str, exits))} |"
        )

    if data["spectacles"]:
        lines.append(
            row(f"Spectacles {SPECTACLES_VERSION} (dimensions only, by design)", data["spectacles"])
        )
    lines.append(row("looker-ci `--dimensions-only`", data["dims"]))
    lines.append(row("looker-ci (dimensions and measures)", data["full"]))
    shards = data["shards"]
    total = len(shards[0]["shards"])
    for i in range(total):
        lines.append(row(f"looker-ci `--shard {i + 1}/{total}`", [s["shards"][i] for s in shards]))
    slowest = [s["wall"] for s in shards]
    squeries = [s["queries"] for s in shards]
    srequests = [s["requests"] for s in shards]
    c = shards[0]["classified"]
    lines.append(
        f"| looker-ci, {total} shards: slowest shard / sum of queries and requests | "
        f"{spread(slowest)} | {spread(squeries, 0)} | {spread(srequests, 0)} | – | "
        f"{kinds(c, broken)} | {len(c['false'])} | {c['reported']} | – |"
    )
    for s in data.get("timed", [])[:1]:
        slow = set(broken.get("slow_explores", []))
        by_count = [len(slow & set(x["explores_run"])) for x in shards[0]["shards"]]
        timed = [len(slow & set(x["explores_run"])) for x in s["shards"]]
        lines.append(
            f"\nSlow explores per shard: by count {by_count}, with `--shard-timings` {timed}."
        )
    for i in range(total if data.get("timed") else 0):
        rounds = [s["shards"][i] for s in data["timed"]]
        lines.append(row(f"`--shard {i + 1}/{total} --shard-timings`", rounds))
    return "\n".join(lines)


def goals(data: dict) -> str:
    full_wall = median([r["wall"] for r in data["full"]])
    lines = []
    if data["spectacles"]:
        sp_wall = median([r["wall"] for r in data["spectacles"]])
        sp_queries = median([r["counters"]["queries_run"] for r in data["spectacles"]])
        for label, key in (
            ("looker-ci --dimensions-only", "dims"),
            ("looker-ci (dimensions and measures)", "full"),
        ):
            wall = median([r["wall"] for r in data[key]])
            queries = median([r["counters"]["queries_run"] for r in data[key]])
            c = data[key][0]["classified"]
            missed = sum(len(v) for v in c["missed"].values())
            lines.append(
                f"- {label}: wall {wall / sp_wall:.2f}x Spectacles' (goal <= 0.50: "
                f"{'met' if wall <= sp_wall / 2 else 'NOT met'}), queries "
                f"{queries / sp_queries:.2f}x (goal <= 0.50: "
                f"{'met' if queries <= sp_queries / 2 else 'NOT met'}), "
                f"missed {missed}, false {len(c['false'])}"
            )
    slowest = median([s["wall"] for s in data["shards"]])
    lines.append(
        f"- sharding: slowest shard {slowest:.1f} s = {slowest / full_wall:.2f}x the unsharded "
        f"{full_wall:.1f} s (goal <= 0.33: {'met' if slowest <= full_wall / 3 else 'NOT met'})"
    )
    if data.get("timed"):
        timed = median([s["wall"] for s in data["timed"]])
        lines.append(
            f"- with --shard-timings: slowest shard {timed:.1f} s = {timed / full_wall:.2f}x "
            f"the unsharded (by count: {slowest:.1f} s)"
        )
    return "\n".join(lines)


def machine() -> str:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    looker_ci = subprocess.run(
        [str(LOOKER_CI), "--version"], capture_output=True, text=True, check=False
    )
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return (
        f"{os.cpu_count()} cores ({cpu}), {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}; {looker_ci.stdout.strip()} (`ci` profile, "
        f"commit {commit}{' + uncommitted changes' if dirty else ''}), "
        f"Spectacles {SPECTACLES_VERSION}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--shards", type=int, default=4)
    parser.add_argument("--skip-build", action="store_true")
    parser.add_argument(
        "--scenario", choices=sorted(SCENARIOS), action="append", help="default: all, `mixed` first"
    )
    args = parser.parse_args()
    if not args.skip_build:
        build()
    chosen = args.scenario or ["mixed", "no-interactions", "mixed-fast-api"]
    exe = spectacles() if any(SCENARIOS[name].spectacles for name in chosen) else None
    everything = {"machine": machine(), "scenarios": {}}
    print(everything["machine"], file=sys.stderr)
    for name in chosen:
        scenario = SCENARIOS[name]
        data: dict[str, list] = {
            "spectacles": [],
            "dims": [],
            "full": [],
            "shards": [],
            "shared": [],
            "timed": [],
        }
        for round_ in range(1, args.rounds + 1):
            print(f"[{name}] round {round_}/{args.rounds}", file=sys.stderr)
            if scenario.spectacles:
                data["spectacles"].append(run_spectacles(scenario, exe))
            data["dims"].append(run_looker_ci(scenario, ["--dimensions-only"]))
            with tempfile.TemporaryDirectory(prefix="gate-bench-timings-") as tmp:
                timings = Path(tmp) / "sql.json"
                data["full"].append(run_looker_ci(scenario, [], keep=timings))
                data["shards"].append(run_shards(scenario, args.shards))
                if scenario.timings:
                    extra = ("--shard-timings", str(timings))
                    data["timed"].append(run_shards(scenario, args.shards, extra))
                    print(
                        f"  shards with timings: slowest {data['timed'][-1]['wall']:.1f} s",
                        file=sys.stderr,
                    )
            for key in ("spectacles", "dims", "full"):
                if not data[key]:
                    continue
                r = data[key][-1]
                print(
                    f"  {key}: {r['wall']:.1f} s, {r['counters']['queries_run']} queries, "
                    f"exit {r['exit']}",
                    file=sys.stderr,
                )
            data["shared"].append(run_shards_shared(scenario, args.shards))
            print(f"  shards: slowest {data['shards'][-1]['wall']:.1f} s", file=sys.stderr)
            shared = data["shared"][-1]
            print(
                f"  shards at once, one API user: {shared['wall']:.1f} s, "
                f"peak running {shared['counters'].get('max_running_per_user')}, "
                f"exits {shared['exits']}",
                file=sys.stderr,
            )
        everything["scenarios"][name] = {"scenario": scenario.__dict__, **data}
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(everything, indent=1))
        print(f"\n{table(scenario, data)}\n\n{goals(data)}\n")
    print(f"raw results: {RESULTS.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
