"""Helpers of scripts/test-gitlab-pipeline: mint the job's identity token, ask FakeLooker what a
pipeline validates, and check what gitlab-ci-local left behind (its log, the jobs' directories),
FakeLooker's counters and moto's STS sessions. A failed check exits 1 saying what is wrong.

Usage: python pipeline.py COMMAND ARGS...  (one function per command below)
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import sys
import time
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

# The schemas of the formats GitLab reads (JUnit as GitLab parses it, Code Quality).
SCHEMAS = Path(__file__).resolve().parents[2] / "tests" / "schemas"


def fail(message: str) -> NoReturn:
    print(f"test-gitlab-pipeline: {message}", file=sys.stderr)
    sys.exit(1)


def load(path: str | Path) -> Any:
    return json.loads(Path(path).read_text())


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def token(issuer: str) -> None:
    """A GitLab-shaped `id_tokens` JWT for 15 minutes (moto does not verify the signature)."""
    now = int(time.time())
    claims = {
        "iss": issuer,
        "sub": "project_path:platform/looker-models:ref_type:branch:ref:main",
        "aud": "sts.amazonaws.com",
        "iat": now,
        "nbf": now,
        "exp": now + 900,
        "project_path": "platform/looker-models",
        "jti": secrets.token_hex(8),
    }
    header = {"alg": "RS256", "typ": "JWT", "kid": "gitlab-ci-local"}
    parts = [json.dumps(header).encode(), json.dumps(claims).encode()]
    print(".".join([*map(b64, parts), b64(secrets.token_bytes(256))]))


def get(path: str, key: str) -> None:
    """Print one string field of a JSON file."""
    print(load(path)[key])


def looker(info_path: str, out_path: str) -> None:
    """What FakeLooker serves: production's commit and every explore, as the harness (not a job)
    sees them with the API key from the info file."""
    info = load(info_path)
    base = info["base_url"] + "/api/4.0"
    form = {"client_id": info["client_id"], "client_secret": info["client_secret"]}
    with urllib.request.urlopen(base + "/login", urllib.parse.urlencode(form).encode()) as reply:
        access = json.load(reply)["access_token"]
    headers = {"Authorization": f"Bearer {access}"}

    def call(path: str, method: str = "GET") -> Any:
        request = urllib.request.Request(base + path, headers=headers, method=method)
        with urllib.request.urlopen(request) as reply:
            body = reply.read()
        return json.loads(body) if body else None

    sha = call(f"/projects/{info['project']}/git_branch")["ref"]
    explores = sorted(
        f"{model['name']}/{explore['name']}"
        for model in call("/lookml_models")
        for explore in model["explores"]
    )
    call("/logout", "DELETE")
    Path(out_path).write_text(json.dumps({"sha": sha, "explores": explores}))


def sts_sessions(moto_url: str, role_arn: str) -> None:
    """How many sessions of the role moto's STS has handed out."""
    with urllib.request.urlopen(moto_url + "/moto-api/data.json") as reply:
        data = json.load(reply)
    roles = data.get("sts", {}).get("AssumedRole", [])
    print(sum(1 for r in roles if r.get("role_arn") == role_arn))


# gitlab-ci-local's own lines that look like a job's.
NOT_JOBS = {"parsing and downloads", "pipeline"}


def job_results(log: str) -> dict[str, int]:
    """Each job's exit code, from gitlab-ci-local's `<job> finished in <t>[  FAIL <code>]`."""
    results: dict[str, int] = {}
    pattern = re.compile(r"^(?P<job>\S.*?) finished in \S+ \S+(?:\s+FAIL (?P<code>\d+))?\s*$")
    for line in Path(log).read_text().splitlines():
        match = pattern.match(line)
        if match and " > " not in match["job"] and match["job"] not in NOT_JOBS:
            results[match["job"]] = int(match["code"] or 0)
    return results


def jobs(log: str, *expected: str) -> None:
    """The jobs that ran and their exit codes are exactly NAME=CODE... (`sql: [2/4]=0`)."""
    want = {name: int(code) for name, code in (e.rsplit("=", 1) for e in expected)}
    got = job_results(log)
    if got != want:
        fail(f"jobs and exit codes: expected {want}, got {got} (log: {log})")


def junit_cases(path: Path) -> list[ET.Element]:
    """The test cases of a JUnit file that GitLab can read."""
    import xmlschema

    if not path.is_file():
        fail(f"{path} was not written")
    try:
        xmlschema.XMLSchema(str(SCHEMAS / "junit-gitlab.xsd")).validate(str(path))
    except xmlschema.XMLSchemaValidationError as e:
        fail(f"{path} is not JUnit XML as GitLab reads it: {e.reason}")
    return list(ET.parse(path).getroot().iter("testcase"))


def codequality(path: Path) -> list[Any]:
    """The findings of a Code Quality report that GitLab can read."""
    import jsonschema

    if not path.is_file():
        fail(f"{path} was not written")
    report = load(path)
    try:
        jsonschema.validate(report, load(SCHEMAS / "codequality.schema.json"))
    except jsonschema.ValidationError as e:
        fail(f"{path} is not GitLab Code Quality JSON: {e.message}")
    return list(report)


def explores_of(document: dict[str, Any]) -> list[str]:
    return [f"{e['model']}/{e['explore']}" for e in document["explores"]]


def merge_request(builds: str, looker_path: str) -> None:
    """The merge-request pipeline's files: every report, the four shards, the merged result."""
    root = Path(builds)
    expected = load(looker_path)
    sha, everything = expected["sha"], expected["explores"]
    for job, files in {
        "lookml": ["lookml.xml", "lookml-quality.json", "lookml.json"],
        "assert": ["assert.xml"],
        "content": ["content.xml"],
        "sql-report": ["sql.xml", "sql-quality.json", "sql.md", "sql.json"],
    }.items():
        for name in files:
            path = root / job / name
            if not path.is_file():
                fail(f"job {job} did not write {name}")
            if name.endswith(".xml"):
                junit_cases(path)
            elif name.endswith("-quality.json") and codequality(path):
                fail(f"{job}/{name}: Code Quality findings on a clean project: {load(path)}")
    lookml = load(root / "lookml" / "lookml.json")
    if not lookml["passed"] or lookml["ref"].get("commit") != sha:
        fail(f"lookml.json: expected a pass on commit {sha}: {lookml}")

    # The four shards' --json reached sql-report through `needs: [sql]`, split the explores.
    seen: list[str] = []
    for index in range(1, 5):
        path = root / "sql-report" / f"sql-{index}.json"
        if not path.is_file():
            fail(f"sql-report did not get shard {index}'s artifact sql-{index}.json")
        shard = load(path)
        if shard["shard"] != {"index": index, "total": 4}:
            fail(f"{path.name}: shard {shard.get('shard')}, expected {index}/4 (CI_NODE_INDEX)")
        if not shard["passed"] or not shard["explores"]:
            fail(f"{path.name}: expected a passing shard with explores: {shard}")
        seen += explores_of(shard)
    if sorted(seen) != everything:
        fail(f"the shards checked {sorted(seen)}, expected each of {everything} once")

    merged = load(root / "sql-report" / "sql.json")
    if sorted(explores_of(merged)) != everything or not merged["passed"]:
        fail(f"sql.json (merged) does not cover every explore or failed: {merged}")
    if merged["counts"]["explores_checked"] != len(everything) or merged["ref"]["commit"] != sha:
        fail(f"sql.json (merged): counts or ref are wrong: {merged['counts']} {merged['ref']}")
    cases = junit_cases(root / "sql-report" / "sql.xml")
    if sorted(f"{c.get('classname')}/{c.get('name')}" for c in cases) != everything:
        fail("sql.xml (merged JUnit) does not have one test case per explore")
    print(f"reports: lookml, assert, content, 4 SQL shards merged over {len(everything)} explores")


def broken(log: str, builds: str, info_path: str) -> None:
    """The broken-field pipeline: the shard holding the broken explore and sql-report exit 1
    (findings, not a configuration or Looker error), the other shards pass, and the merged
    result names the broken field."""
    results = job_results(log)
    shards = [code for job, code in results.items() if job.startswith("sql: [")]
    if sorted(shards) != [0, 0, 0, 1] or results.get("sql-report") != 1:
        fail(f"expected one SQL shard and sql-report to exit 1, the other shards 0: {results}")
    fields = load(info_path)["broken"]["fields"]
    merged_path = Path(builds) / "sql-report" / "sql.json"
    if not merged_path.is_file():
        fail("sql-report did not write sql.json after the failing shard")
    merged = load(merged_path)
    found = {f.get("field") for f in merged["findings"]}
    if merged["passed"] or not set(fields) <= found:
        fail(f"expected findings for {fields} in the merged result, got {sorted(map(str, found))}")
    quality = codequality(Path(builds) / "sql-report" / "sql-quality.json")
    if not quality:
        fail("sql-quality.json has no finding for the broken field")
    failures = [c for c in junit_cases(Path(builds) / "sql-report" / "sql.xml") if len(c)]
    if len(failures) != 1:
        fail(f"sql.xml: expected one failing test case (the broken explore), got {len(failures)}")
    print(f"jobs: {results}")
    print(f"the broken field {', '.join(fields)} is reported (merged JSON, Code Quality)")


def audit(builds: str, outcome: str, *files: str) -> None:
    """Each JOB/FILE under BUILDS is an audit trail of one run in this GitLab job: its header
    names the pipeline and job GitLab set and the identity chain (STS session `looker-ci-<job
    id>`), the Looker user logged in, every request has a path template and a status, and the run
    ended with OUTCOME."""
    for entry in files:
        path = Path(builds) / entry
        if not path.is_file():
            fail(f"no audit file {entry} (the command writes one by default in CI)")
        records = [json.loads(line) for line in path.read_text().splitlines()]
        header = records[0]
        ci, identity = header.get("ci") or {}, header.get("identity") or {}
        if header.get("type") != "run" or ci.get("system") != "gitlab" or not ci.get("pipeline"):
            fail(f"{entry}: the run header does not name the GitLab pipeline: {header}")
        session = (identity.get("aws") or {}).get("session_name")
        if identity.get("source") != "aws-secrets-manager" or session != f"looker-ci-{ci.get('job')}":
            fail(f"{entry}: expected the identity chain with session looker-ci-<job id>: {identity}")
        logins = [r for r in records if r["type"] == "login"]
        if not logins or any(r.get("looker_user_id") != "1" for r in logins):
            fail(f"{entry}: expected logins as Looker user 1: {logins}")
        requests = [r for r in records if r["type"] == "request"]
        if not requests or any(not r["path"].startswith("/") or "status" not in r for r in requests):
            fail(f"{entry}: requests without a path or status: {requests[:3]}")
        if records[-1].get("type") != "end" or records[-1].get("outcome") != outcome:
            fail(f"{entry}: expected an end record with outcome {outcome}: {records[-1]}")
    print(f"audit trails: {len(files)}, each naming its pipeline, job and STS session")


def doctor(path: str) -> None:
    """The doctor's report passed: no error finding, the least-privilege roles seen."""
    report = load(path)
    errors = [f for f in report["findings"] if f["level"] == "error"]
    roles = [r["name"] for r in (report.get("looker_user") or {}).get("roles", [])]
    if not report["passed"] or errors or "CI Validator" not in roles:
        fail(f"doctor: expected a pass with the validator role: {errors} {roles}")
    if report["identity"]["source"] != "aws-secrets-manager":
        fail(f"doctor: expected the identity chain, got {report['identity']['source']}")
    print(f"doctor: passed with roles {roles}")


def clean(counters_path: str, min_logins: str) -> None:
    """No temporary branch is left in Looker, the jobs logged in, and every request named the
    GitLab run in its User-Agent."""
    counters = load(counters_path)
    # The harness itself asks FakeLooker what it serves with Python's own User-Agent.
    agents = [a for a in counters.get("user_agents", []) if not a.startswith("Python-urllib/")]
    if not agents or any("(gitlab; project=" not in a or "pipeline=" not in a for a in agents):
        fail(f"requests without the GitLab run in their User-Agent: {agents}")
    left = [b for b in counters["branches"] if b.startswith("looker-ci-tmp-")]
    if left:
        fail(f"temporary branches left in Looker: {left}")
    if counters["logins"] < int(min_logins):
        fail(f"FakeLooker saw {counters['logins']} logins, expected at least {min_logins}")
    print(f"FakeLooker: {counters['logins']} logins, branches left: {counters['branches']}")


def no_secret(secret_file: str, *paths: str) -> None:
    """None of the secrets (one per line in SECRET_FILE) is in any file under PATHS."""
    values = [v for v in Path(secret_file).read_text().splitlines() if v]
    for top in map(Path, paths):
        for path in [top] if top.is_file() else [p for p in top.rglob("*") if p.is_file()]:
            text = path.read_bytes().decode("utf-8", "replace")
            if any(value in text for value in values):
                fail(f"a secret (API key, identity token) is in {path}")


COMMANDS: dict[str, Callable[..., None]] = {
    "token": token,
    "get": get,
    "looker": looker,
    "sts-sessions": sts_sessions,
    "jobs": jobs,
    "merge-request": merge_request,
    "broken": broken,
    "clean": clean,
    "audit": audit,
    "doctor": doctor,
    "no-secret": no_secret,
}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        fail(f"usage: pipeline.py {{{','.join(COMMANDS)}}} ARGS...")
    COMMANDS[sys.argv[1]](*sys.argv[2:])
