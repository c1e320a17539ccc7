"""The gate's reports are valid in the formats CI systems read.

The Rust tests render sample reports (`gate::report::tests::write_samples`); these tests validate
them against schemas written for the formats: JUnit XML as GitLab reads it, and GitLab Code
Quality.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
import xmlschema

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = Path(__file__).resolve().parent / "schemas"

# Outside the test command (scripts/test-all sets LOOKER_CI_TEST_COMMAND) a machine without cargo
# skips these with the reason; inside it they always run, and a missing cargo fails them.
pytestmark = pytest.mark.skipif(
    shutil.which("cargo") is None and not os.environ.get("LOOKER_CI_TEST_COMMAND"),
    reason="cargo is not on PATH: the sample reports are rendered by the Rust tests",
)


def host_triple() -> str:
    out = subprocess.run(["rustc", "-vV"], capture_output=True, text=True, check=True).stdout
    return next(
        line.split(":", 1)[1].strip() for line in out.splitlines() if line.startswith("host:")
    )


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report-samples")
    env = dict(os.environ, LOOKER_CI_REPORT_SAMPLES=str(out), CARGO_TERM_COLOR="never")
    # The test command's build settings (scripts/lib/common.sh), so the build is shared with it.
    env.setdefault("CARGO_TARGET_DIR", str(ROOT / "target"))
    if "CARGO_BUILD_TARGET" not in env:
        env["CARGO_BUILD_TARGET"] = host_triple()
    test = "gate::report::tests::write_samples"
    # Inside the test command, its profile and features: the test binary is already built.
    shared = os.environ.get("LOOKER_CI_CARGO_TEST_ARGS", "").split()
    command = ["cargo", "test", "-q", *shared, "-p", "looker-ci-core", "--lib", test]
    run = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    assert run.returncode == 0, f"{' '.join(command)} failed:\n{run.stdout}\n{run.stderr}"
    assert "1 passed" in run.stdout, f"{test} did not run:\n{run.stdout}"
    return out


@pytest.fixture(scope="module")
def junit_schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(SCHEMAS / "junit-gitlab.xsd"))


@pytest.fixture(scope="module")
def codequality_validator() -> jsonschema.protocols.Validator:
    schema = json.loads((SCHEMAS / "codequality.schema.json").read_text())
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


# JUnit


@pytest.mark.parametrize("name", ["sample.junit.xml", "sample-many.junit.xml"])
def test_junit_matches_the_schema(
    samples: Path, junit_schema: xmlschema.XMLSchema, name: str
) -> None:
    junit_schema.validate(str(samples / name))


@pytest.mark.parametrize("name", ["sample.junit.xml", "sample-many.junit.xml"])
def test_junit_totals_match_the_cases(samples: Path, name: str) -> None:
    root = ET.parse(samples / name).getroot()
    assert root.tag == "testsuites"
    all_cases = root.findall("testsuite/testcase")
    assert int(root.get("tests", "-1")) == len(all_cases)
    assert int(root.get("failures", "-1")) == sum(c.find("failure") is not None for c in all_cases)
    for suite in root.findall("testsuite"):
        cases = suite.findall("testcase")
        assert cases, f"empty suite {suite.get('name')}"
        assert int(suite.get("tests", "-1")) == len(cases)
        assert int(suite.get("failures", "-1")) == sum(c.find("failure") is not None for c in cases)
        assert int(suite.get("skipped", "-1")) == sum(c.find("skipped") is not None for c in cases)
        # GitLab keys a case by suite, classname and name: a repeat would hide a case.
        keys = [(c.get("classname"), c.get("name")) for c in cases]
        assert len(set(keys)) == len(keys)


def test_junit_failures_carry_the_findings(samples: Path) -> None:
    result = json.loads((samples / "sample.json").read_text())
    root = ET.parse(samples / "sample.junit.xml").getroot()
    failing = [f for f in result["findings"] if f["severity"] in ("error", "fatal")]
    text = "\n".join(f.text or "" for f in root.iter("failure"))
    for finding in failing:
        # GitLab shows the text of <failure>: every failing message is there, SQL unchanged.
        assert finding["message"].replace("\x00", "").replace("\x1b", "") in text
        if "sql" in finding:
            assert finding["sql"] in text
    assert {f.get("type") for f in root.iter("failure")} <= {"error", "fatal"}


def test_the_junit_schema_rejects_what_gitlab_could_not_read(
    samples: Path, junit_schema: xmlschema.XMLSchema
) -> None:
    good = ET.parse(samples / "sample.junit.xml").getroot()

    def broken(change: str) -> str:
        root = copy.deepcopy(good)
        suite = root.find("testsuite")
        assert suite is not None
        case = suite.find("testcase")
        assert case is not None
        if change == "case without a name":
            del case.attrib["name"]
        elif change == "negative count":
            suite.set("failures", "-1")
        elif change == "time is not a number":
            case.set("time", "3,5")
        elif change == "two outcomes":
            ET.SubElement(case, "skipped")
        elif change == "unknown element":
            ET.SubElement(suite, "testresult")
        return ET.tostring(root, encoding="unicode")

    assert junit_schema.is_valid(broken("nothing"))
    for change in [
        "case without a name",
        "negative count",
        "time is not a number",
        "two outcomes",
        "unknown element",
    ]:
        assert not junit_schema.is_valid(broken(change)), change


# Code Quality


@pytest.mark.parametrize("name", ["sample.codequality.json", "sample-many.codequality.json"])
def test_codequality_matches_the_schema(
    samples: Path, codequality_validator: jsonschema.protocols.Validator, name: str
) -> None:
    issues = json.loads((samples / name).read_text())
    codequality_validator.validate(issues)
    assert issues, "the samples have findings"
    fingerprints = [issue["fingerprint"] for issue in issues]
    assert len(set(fingerprints)) == len(fingerprints), "GitLab keeps one issue per fingerprint"


def test_codequality_has_an_issue_per_finding(samples: Path) -> None:
    result = json.loads((samples / "sample.json").read_text())
    issues = json.loads((samples / "sample.codequality.json").read_text())
    assert len(issues) == len(result["findings"])
    mapping = {"info": "info", "warning": "minor", "error": "major", "fatal": "blocker"}
    assert [i["severity"] for i in issues] == [mapping[f["severity"]] for f in result["findings"]]


def test_the_codequality_schema_rejects_what_gitlab_could_not_read(
    samples: Path, codequality_validator: jsonschema.protocols.Validator
) -> None:
    issue = json.loads((samples / "sample.codequality.json").read_text())[0]
    assert codequality_validator.is_valid([issue])
    breakages = {
        "unknown severity": lambda i: i.update(severity="error"),
        "no fingerprint": lambda i: i.pop("fingerprint"),
        "empty path": lambda i: i["location"].update(path=""),
        "line 0": lambda i: i["location"]["lines"].update(begin=0),
        "line as text": lambda i: i["location"]["lines"].update(begin="42"),
        "no lines": lambda i: i["location"].pop("lines"),
    }
    for what, breakage in breakages.items():
        bad = copy.deepcopy(issue)
        breakage(bad)
        assert not codequality_validator.is_valid([bad]), what


# The result document


def test_the_json_documents_are_versioned(samples: Path) -> None:
    one = json.loads((samples / "sample.json").read_text())
    assert one["format_version"] == 1
    assert one["validator"] == "sql"
    many = json.loads((samples / "sample-many.json").read_text())
    assert many["format_version"] == 1
    assert [r["validator"] for r in many["results"]] == ["lookml", "sql"]
    assert many["results"][1] == one
