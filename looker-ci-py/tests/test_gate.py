"""The CI gate from Python: ``validate`` (sync and async), the reports, deploy and refresh, the
FakeLooker world controls, and the ``looker-ci`` command (``python -m looker_ci`` and the
installed script), all against a FakeLooker started in the test."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import looker_ci
import pytest
from looker_ci import errors
from looker_ci.gate import ValidationResult, render_report
from looker_ci.testing import FakeLooker

BROKEN = "ERROR: column orders.status does not exist"


def temporary_branches(fake: FakeLooker) -> list[str]:
    return [b for b in fake.branches() if b.startswith("looker-ci-tmp-")]


# validate("sql")


def test_lookers_own_replies_notes_expired_tasks_and_stale_branch_copies(
    fake: FakeLooker, client: looker_ci.LookerClient
) -> None:
    clean = fake.project()
    # Development Mode notes and tasks briefly shown as expired change nothing found.
    fake.set_dev_mode_note(True)
    fake.set_expired_polls(2)
    fake.break_field("main", "orders.status", BROKEN)
    result = client.validate("sql", project="thelook")
    assert [f["field"] for f in result["findings"]] == ["orders.status"]
    assert result["findings"][0]["message"] == BROKEN
    fake.set_dev_mode_note(False)
    fake.set_expired_polls(0)

    # Killed in Looker: each explore is one unchecked finding, not searched.
    fake.set_queries_killed(True)
    killed = client.validate("sql", project="thelook")
    assert {e["status"] for e in killed["explores"]} == {"unchecked"}
    assert [f["scope"] for f in killed["findings"]] == ["explore", "explore"]
    fake.set_queries_killed(False)

    # The API user's copy of a branch lags behind it: the pushed code is validated.
    old = fake.create_branch("feature", clean)
    pushed = fake.create_branch("feature", fake.project())
    fake.set_stale_copy(1, "feature", old)
    on_branch = client.validate("sql", project="thelook", branch="feature")
    assert on_branch["ref"]["commit"] == pushed
    assert [f["field"] for f in on_branch["findings"]] == ["orders.status"]
    assert temporary_branches(fake) == []

    # Asked for the production branch, Looker gives the personal one (made from production
    # before users.name broke): production is validated all the same.
    fake.break_field("main", "users.name", "ERROR: column users.name does not exist")
    fake.set_production_checkout_gives_personal(True)
    on_main = client.validate("sql", project="thelook", branch="main")
    assert {f["field"] for f in on_main["findings"]} == {"orders.status", "users.name"}
    assert temporary_branches(fake) == []

    fake.set_validation_duration(0.2)
    assert client.validate("lookml", project="thelook")["validator"] == "lookml"
    with pytest.raises(errors.InvalidArgumentError) as raised:
        fake.set_expired_polls(-1)
    assert raised.value.argument == "polls"
    with pytest.raises(errors.InvalidArgumentError):
        fake.set_stale_copy(1, "no-such-branch", old)


def test_sql_passes_a_clean_project_and_finds_a_broken_field(
    fake: FakeLooker, client: looker_ci.LookerClient
) -> None:
    clean = client.validate("sql", project="thelook")
    assert clean["passed"] is True and clean["findings"] == []
    assert clean["validator"] == "sql" and clean["format_version"] == 1
    assert clean["ref"]["kind"] == "production"
    assert {(e["explore"], e["status"]) for e in clean.get("explores", [])} == {
        ("orders", "passed"),
        ("users", "passed"),
    }
    assert clean["counts"]["queries_run"] == fake.warehouse_counters()["queries_run"] > 0

    fake.break_field("main", "orders.status", BROKEN)
    fake.reset_warehouse_counters()
    result = client.validate("sql", project="thelook")
    assert result["passed"] is False
    (finding,) = result["findings"]
    assert finding["scope"] == "field"
    assert finding["field"] == "orders.status"
    assert finding["model"] == "thelook" and finding["explore"] == "orders"
    assert finding["message"] == BROKEN
    assert finding["file"] == "views/orders.view.lkml" and finding["line"] == 8
    assert "orders.status" in finding["sql"]
    assert result["counts"]["findings"] == 1
    assert result["counts"]["queries_run"] == fake.warehouse_counters()["queries_run"]


def test_shard_timings_from_an_earlier_run_balance_the_shards(
    client: looker_ci.LookerClient, tmp_path: Path
) -> None:
    earlier = client.validate("sql", project="thelook")
    # As if `users` had been ten times as slow as `orders`: it is placed first, alone.
    for explore in earlier.get("explores", []):
        assert explore.get("query_seconds", 0) > 0
        explore["query_seconds"] = 5.0 if explore["explore"] == "users" else 0.5
    timings = tmp_path / "sql.json"
    timings.write_text(json.dumps(earlier))
    by_count = client.validate("sql", project="thelook", shard="1/2")
    assert [e["explore"] for e in by_count.get("explores", [])] == ["orders"]
    first, second = (
        client.validate("sql", project="thelook", shard=f"{i}/2", shard_timings=str(timings))
        for i in (1, 2)
    )
    assert [e["explore"] for e in first.get("explores", [])] == ["users"]
    assert [e["explore"] for e in second.get("explores", [])] == ["orders"]
    assert first["split"] == second["split"] != by_count["split"]
    with pytest.raises(errors.InvalidArgumentError) as caught:
        client.validate("sql", project="thelook", shard_timings=str(tmp_path / "missing.json"))
    assert caught.value.argument == "shard_timings"


def async_client(fake: FakeLooker) -> looker_ci.AsyncLookerClient:
    return looker_ci.AsyncLookerClient(
        base_url=fake.base_url, client_id=fake.client_id, client_secret=fake.client_secret
    )


async def test_async_client_validates(fake: FakeLooker) -> None:
    fake.break_field("main", "users.name", "ERROR: column users.name does not exist")
    async with async_client(fake) as client:
        result = await client.validate("sql", project="thelook", explores=["thelook/users"])
        assert [f["field"] for f in result["findings"]] == ["users.name"]
        assert [e["explore"] for e in result.get("explores", [])] == ["users"]
        with pytest.raises(errors.InvalidArgumentError):
            await client.validate("sql", project="thelook", chunk_size=0)
        with pytest.raises(errors.InvalidArgumentError):
            await client.validate("sql", project="thelook", concurency=1)  # type: ignore[call-arg]
        # Several validations at once on one client.
        results = await asyncio.gather(
            client.validate("lookml", project="thelook"),
            client.validate("assert", project="thelook"),
            client.validate("content", project="thelook"),
        )
        assert [r["validator"] for r in results] == ["lookml", "assert", "content"]


async def test_async_validation_cancelled_restores_the_branch(fake: FakeLooker) -> None:
    sha = fake.add_commit(fake.project())
    fake.set_query_duration(60)
    async with async_client(fake) as client:
        task = asyncio.ensure_future(client.validate("sql", project="thelook", commit=sha))
        while not fake.warehouse_counters()["running"]:
            assert not task.done()
            await asyncio.sleep(0.02)
        assert temporary_branches(fake)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        deadline = time.monotonic() + 10
        while temporary_branches(fake) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert temporary_branches(fake) == []
        # The queries the cancelled task had started were cancelled in Looker too.
        counters = fake.warehouse_counters()
        assert counters["queries_cancelled"] >= 1 and counters["running"] == 0, counters
        fake.set_query_duration(0)
        assert (await client.validate("lookml", project="thelook"))["passed"]


async def test_async_deploy_run_schedule_and_trigger_datagroup(fake: FakeLooker) -> None:
    async with async_client(fake) as client:
        sha = fake.add_commit(fake.project())
        await client.deploy("thelook", commit=sha)
        assert fake.deployed_ref() == sha
        assert (await client.run_schedule("102"))["run_once"] is True
        await client.trigger_datagroup("thelook", "daily")
        assert (fake.datagroup("daily") or {}).get("triggered_at")
        with pytest.raises(errors.LookerCIError):
            await client.trigger_datagroup("thelook", "no_such_datagroup")


def test_broken_join_table_and_ambiguous_column_are_one_finding_each(
    fake: FakeLooker, client: looker_ci.LookerClient
) -> None:
    fake.break_join(
        "main", "thelook", "orders", "users", 'missing FROM-clause entry for table "userz"'
    )
    result = client.validate("sql", project="thelook", explores=["thelook/orders"])
    assert [(f["scope"], f.get("view")) for f in result["findings"]] == [("join", "users")]

    fake.set_project(_thelook(fake))
    fake.break_table("main", "users", 'relation "thelook.users" does not exist')
    result = client.validate("sql", project="thelook", explores=["thelook/users"])
    assert [f["scope"] for f in result["findings"]] == ["explore"]
    assert 'relation "thelook.users" does not exist' in result["findings"][0]["message"]


def _thelook(fake: FakeLooker) -> dict[str, Any]:
    """Production's project with every join error and table error removed."""
    project = fake.project()
    for view in project["views"]:
        view.pop("error", None)
    for model in project["models"]:
        for explore in model["explores"]:
            for join in explore["joins"]:
                join.pop("error", None)
    return project


def test_an_interaction_is_reported_with_the_fields_that_fail_together(
    fake: FakeLooker, client: looker_ci.LookerClient
) -> None:
    fake.make_ambiguous("main", "orders.id", "users")
    result = client.validate("sql", project="thelook", explores=["thelook/orders"])
    assert result["passed"] is False
    (finding,) = result["findings"]
    assert finding["scope"] == "explore"
    assert "orders.id" in finding.get("fields", [])
    assert any(f.startswith("users.") for f in finding.get("fields", []))
    # Alone, the explore `users` does not join `orders`: nothing to report there.
    assert client.validate("sql", project="thelook", explores=["thelook/users"])["passed"]


def test_query_slots_and_timeouts(fake: FakeLooker, client: looker_ci.LookerClient) -> None:
    fake.set_query_duration(0.05)
    result = client.validate("sql", project="thelook", concurrency=1)
    assert result["passed"] and fake.warehouse_counters()["max_running_per_user"] == 1

    fake.set_query_duration(0)
    fake.slow_field("main", "users.name", 30)
    fake.reset_warehouse_counters()
    started = time.monotonic()
    result = client.validate(
        "sql", project="thelook", explores=["thelook/users"], query_timeout=0.5
    )
    assert time.monotonic() - started < 20
    assert result["passed"] is False
    assert [e["status"] for e in result.get("explores", [])] == ["timed_out"]
    counters = fake.warehouse_counters()
    assert counters["queries_cancelled"] >= 1 and counters["running"] == 0


# Options and errors


def test_unknown_option_and_validator_are_typed_errors(client: looker_ci.LookerClient) -> None:
    with pytest.raises(errors.InvalidArgumentError) as raised:
        client.validate("sql", project="thelook", concurency=3)  # type: ignore[call-arg]
    assert raised.value.code == "LOOKER_CI_INVALID_ARGUMENT"
    assert "`concurency`" in str(raised.value) and "`concurrency`" in str(raised.value)
    assert raised.value.argument == "concurency"  # the key at fault, as in Node

    with pytest.raises(errors.InvalidArgumentError) as raised:
        client.validate("sqll", project="thelook")  # type: ignore[arg-type]
    assert raised.value.argument == "validator" and "sqll" in str(raised.value)

    with pytest.raises(errors.InvalidArgumentError) as raised:
        client.validate("sql", project="thelook", concurrency=0)
    assert raised.value.argument == "concurrency"

    with pytest.raises(errors.InvalidArgumentError) as raised:
        client.validate("sql", project="thelook", branch="a", commit="b")
    assert raised.value.argument == "commit"

    with pytest.raises(errors.InvalidArgumentError) as raised:
        client.validate("sql")  # type: ignore[call-arg]
    assert raised.value.argument == "project"


def test_unknown_project_and_explore_are_errors(client: looker_ci.LookerClient) -> None:
    with pytest.raises(errors.LookerCIError) as raised:
        client.validate("sql", project="nolook")
    assert "nolook" in str(raised.value)
    with pytest.raises(errors.LookerCIError) as raised:
        client.validate("sql", project="thelook", explores=["thelook/ordres"])
    assert "ordres" in str(raised.value) and "orders" in str(raised.value)


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        ("LOOKER_CI_CONFIG", errors.ConfigError),
        ("LOOKER_CI_API", errors.ApiError),
        ("LOOKER_CI_TIMEOUT", errors.TimeoutError),
        ("LOOKER_CI_REDIRECT", errors.RedirectError),
        ("LOOKER_CI_CONNECTION", errors.ConnectionError),
        ("LOOKER_CI_DECODE", errors.DecodeError),
        ("LOOKER_CI_CREDENTIALS", errors.CredentialsError),
        ("LOOKER_CI_INVALID_ARGUMENT", errors.InvalidArgumentError),
        ("LOOKER_CI_CLOSED", errors.ClientClosedError),
        ("LOOKER_CI_CANCELLED", errors.CancelledError),
        ("LOOKER_CI_INTERNAL", errors.InternalError),
    ],
)
def test_every_core_error_code_has_its_exception(
    code: str, cls: type[errors.LookerCIError]
) -> None:
    error = errors._from_native({"code": code, "message": "m"})
    assert type(error) is cls and error.code == code and str(error) == "m"


# Reports


def test_reports_render_the_result(fake: FakeLooker, client: looker_ci.LookerClient) -> None:
    fake.break_field("main", "orders.status", BROKEN)
    result = client.validate("sql", project="thelook")

    junit = ET.fromstring(render_report(result, "junit"))
    suites = [junit] if junit.tag == "testsuite" else junit.findall("testsuite")
    assert suites and all(s.tag == "testsuite" for s in suites)
    failures = [c for s in suites for c in s.findall("testcase") if c.find("failure") is not None]
    assert [c.get("name") for c in failures] == ["orders"]
    assert BROKEN in (failures[0].find("failure").get("message") or "")  # type: ignore[union-attr]

    quality = json.loads(render_report(result, "codequality"))
    assert isinstance(quality, list) and len(quality) == 1
    assert quality[0]["location"]["path"] == "views/orders.view.lkml"
    assert quality[0]["location"]["lines"]["begin"] == 8
    assert quality[0]["fingerprint"]

    markdown = render_report(result, "markdown")
    assert "| " in markdown and "orders.status" in markdown and BROKEN in markdown

    github = render_report(result, "github")
    assert github.startswith("::error file=views/orders.view.lkml,line=8")

    assert json.loads(render_report(result, "json")) == json.loads(json.dumps(result))
    assert "FAILED" in render_report(result, "text")

    with pytest.raises(errors.InvalidArgumentError):
        render_report(result, "html")  # type: ignore[arg-type]
    with pytest.raises(errors.InvalidArgumentError):
        render_report({"passed": True}, "junit")  # type: ignore[typeddict-item]


def test_path_prefix_names_files_from_the_repository_root(
    fake: FakeLooker, client: looker_ci.LookerClient
) -> None:
    fake.break_field("main", "orders.status", BROKEN)
    result = client.validate("sql", project="thelook", path_prefix="./looker/")
    assert result["path_prefix"] == "looker"
    assert {f["file"] for f in result["findings"]} == {"views/orders.view.lkml"}
    quality = json.loads(render_report(result, "codequality"))
    assert quality[0]["location"]["path"] == "looker/views/orders.view.lkml"
    assert render_report(result, "github").startswith(
        "::error file=looker/views/orders.view.lkml,line=8"
    )
    assert "looker/views/orders.view.lkml" in render_report(result, "junit")
    with pytest.raises(errors.InvalidArgumentError) as raised:
        client.validate("sql", project="thelook", path_prefix="/abs/looker")
    assert raised.value.argument == "path_prefix"


# Which code is validated


def test_a_commit_is_validated_on_a_temporary_branch_that_is_removed(
    fake: FakeLooker, client: looker_ci.LookerClient
) -> None:
    before = fake.branches()
    broken = fake.project()
    for view in broken["views"]:
        for field in view["dimensions"]:
            if field["name"] == "orders.status":
                field["error"] = BROKEN
    sha = fake.add_commit(broken)

    result = client.validate("sql", project="thelook", commit=sha)
    assert result["ref"] == {"kind": "commit", "name": sha, "commit": sha}
    assert [f["field"] for f in result["findings"]] == ["orders.status"]
    assert temporary_branches(fake) == []
    assert set(fake.branches()) - set(before) <= {fake.checked_out_branch(1)}
    assert not (fake.checked_out_branch(1) or "").startswith("looker-ci-tmp-")
    # Production was never touched.
    assert client.validate("sql", project="thelook")["passed"]
    # And an error in the middle of the run removes it too.
    fake.inject_fault(status=500, count=50)
    with pytest.raises(errors.LookerCIError):
        client.validate("lookml", project="thelook", commit=sha)
    fake.clear_faults()
    assert temporary_branches(fake) == []


def test_a_branch_is_validated_and_needs_develop(
    fake: FakeLooker, client: looker_ci.LookerClient
) -> None:
    feature = fake.project()
    feature["lookml_errors"] = [
        {"message": 'Unknown view "customers"', "file": "views/orders.view.lkml", "line": 3}
    ]
    fake.create_branch("feature", feature)
    assert "feature" in fake.branches()
    assert fake.branch_project("feature") is not None and fake.branch_project("nope") is None

    result = client.validate("lookml", project="thelook", branch="feature")
    assert result["ref"]["kind"] == "branch" and result["ref"]["name"] == "feature"
    (finding,) = result["findings"]
    assert finding["scope"] == "lookml" and finding["line"] == 3
    assert client.validate("lookml", project="thelook")["passed"]

    fake.set_user_permissions(1, ["access_data", "see_lookml"])
    with pytest.raises(errors.ApiError) as raised:
        client.validate("lookml", project="thelook", branch="feature")
    assert raised.value.status == 403 and "develop" in str(raised.value)


def test_imported_projects_follow_the_branch_or_the_pin(
    fake: FakeLooker, client: looker_ci.LookerClient
) -> None:
    # thelook's `users` view moves into `shared_views`, which thelook imports.
    main = fake.project()
    users = next(v for v in main["views"] if v["name"] == "users")
    main["views"].remove(users)
    main["imports"] = [{"name": "shared_views"}]
    shared = {"name": "shared_views", "views": [users]}
    fake.add_project(shared)
    fake.set_project(main)
    broken = json.loads(json.dumps(shared))
    for field in broken["views"][0]["dimensions"]:
        if field["name"] == "users.name":
            field["error"] = "ERROR: column users.name does not exist"
    fake.create_branch("feature", main)
    fake.create_project_branch("shared_views", "feature", broken)
    fake.create_project_branch("shared_views", "v1", broken)

    result = client.validate("sql", project="thelook", branch="feature")
    assert {f["field"] for f in result["findings"]} == {"users.name"}
    (imported,) = result["ref"]["imports"]
    assert imported["project"] == "shared_views" and imported["kind"] == "branch"
    assert imported["name"] == "feature"

    sha = fake.add_commit(main)
    result = client.validate("sql", project="thelook", commit=sha)
    assert result["passed"], result["findings"]
    assert result["ref"]["imports"][0]["kind"] == "production"
    result = client.validate(
        "sql", project="thelook", commit=sha, import_refs={"shared_views": "v1"}
    )
    assert {f["field"] for f in result["findings"]} == {"users.name"}
    assert not [b for b in fake.project_branches("shared_views") if b.startswith("looker-ci-tmp-")]
    # The user's own branch of the imported project is checked out again.
    assert (fake.project_checked_out_branch("shared_views", 1) or "").startswith("dev-")

    with pytest.raises(errors.InvalidArgumentError) as raised:
        client.validate("sql", project="thelook", commit=sha, import_refs={"shared": "v1"})
    assert "shared_views" in str(raised.value)


# LookML, data tests, content


def test_lookml_findings_and_severity(fake: FakeLooker, client: looker_ci.LookerClient) -> None:
    assert client.validate("lookml", project="thelook")["passed"]
    fake.add_lookml_error('Unknown view "customers"')
    result = client.validate("lookml", project="thelook")
    assert result["passed"] is False
    (finding,) = result["findings"]
    assert finding["scope"] == "lookml" and finding["severity"] == "error"
    assert finding["message"] == 'Unknown view "customers"'
    assert finding.get("file") == "views/orders.view.lkml"
    high = client.validate("lookml", project="thelook", severity="fatal")
    assert high["passed"] and high["findings"] == []


def test_data_tests(fake: FakeLooker, client: looker_ci.LookerClient) -> None:
    result = client.validate("assert", project="thelook")
    assert result["passed"] and result["counts"]["tests_run"] == 2
    fake.fail_lookml_test("users_are_unique")
    result = client.validate("assert", project="thelook")
    assert result["passed"] is False
    assert [(f["scope"], f.get("test")) for f in result["findings"]] == [
        ("test", "users_are_unique")
    ]
    only_orders = client.validate("assert", project="thelook", explores=["thelook/orders"])
    assert only_orders["passed"] and only_orders["counts"]["tests_run"] == 1


def test_content_findings(fake: FakeLooker, client: looker_ci.LookerClient) -> None:
    clean = client.validate("content", project="thelook")
    assert clean["passed"] and clean["counts"]["content_checked"] > 0
    fake.break_content("Revenue by month")
    result = client.validate("content", project="thelook")
    (finding,) = result["findings"]
    assert finding["scope"] == "content" and finding.get("title") == "Revenue by month"
    assert finding.get("content_type") == "look" and finding.get("folder") == "EMEA"
    # Folders select content, subfolders included.
    assert client.validate("content", project="thelook", exclude_folders=["Sales"])["passed"]

    fake.remove_field("main", "users.email")
    titles = {f.get("title") for f in client.validate("content", project="thelook")["findings"]}
    assert "Revenue by month" in titles and len(titles) == 2


# Deploy and refresh


def test_deploy_run_schedule_and_trigger_datagroup(
    fake: FakeLooker, client: looker_ci.LookerClient
) -> None:
    fake.create_branch("release", fake.project())
    client.deploy("thelook", branch="release")
    assert fake.deployed_ref() == "release"
    sha = fake.add_commit(fake.project())
    client.deploy("thelook", commit=sha)
    assert fake.deployed_ref() == sha

    plan = client.run_schedule(101)
    assert plan["run_once"] is True
    assert len(fake.scheduled_plan_runs()) == 1

    now = time.time()
    client.trigger_datagroup("thelook", "orders_etl")
    datagroup = fake.datagroup("orders_etl") or {}
    assert datagroup["stale_before"] >= now - 5 and datagroup["triggered_at"] >= now - 5
    assert (fake.datagroup("daily") or {}).get("triggered_at") in (None, 0)

    with pytest.raises(errors.LookerCIError):
        client.trigger_datagroup("thelook", "no_such_datagroup")
    with pytest.raises(errors.LookerCIError):
        client.deploy("thelook")


# The FakeLooker world controls


def test_world_controls_refuse_bad_names_with_typed_errors(fake: FakeLooker) -> None:
    with pytest.raises(errors.InvalidArgumentError) as raised:
        fake.set_project({"name": "thelook", "modles": []})
    assert raised.value.argument == "project" and "modles" in str(raised.value)
    with pytest.raises(errors.InvalidArgumentError) as raised:
        fake.break_field("main", "orders.nope", BROKEN)
    assert raised.value.argument == "field" and "orders.nope" in str(raised.value)
    with pytest.raises(errors.InvalidArgumentError) as raised:
        fake.break_table("nobranch", "orders", "x")
    assert raised.value.argument == "branch"
    with pytest.raises(errors.InvalidArgumentError):
        fake.make_ambiguous("main", "orders.id", "customers")
    with pytest.raises(errors.InvalidArgumentError):
        fake.slow_field("main", "orders.id", -1)
    with pytest.raises(errors.InvalidArgumentError):
        fake.set_api_latency(0, float("nan"))


def test_world_controls_round_trip_and_count(fake: FakeLooker) -> None:
    project = fake.project()
    sha = fake.set_project(project)
    assert len(sha) == 40 and fake.project() == project
    small = {
        "name": "thelook",
        "models": [{"name": "thelook", "explores": [{"name": "users"}]}],
        "views": [
            {
                "name": "users",
                "sql_table_name": "public.users",
                "dimensions": [{"name": "users.id", "type": "number", "sql": "${TABLE}.id"}],
            }
        ],
    }
    fake.set_project(small)
    assert [v["name"] for v in fake.project()["views"]] == ["users"]
    assert fake.branches() == ["main"] and fake.checked_out_branch(1) is None
    fake.set_api_latency(0.01, 0.02)
    fake.set_query_concurrency_limit(2)
    with looker_ci.LookerClient(
        base_url=fake.base_url, client_id=fake.client_id, client_secret=fake.client_secret
    ) as client:
        result = client.validate("sql", project="thelook")
    assert result["passed"] and result["counts"]["fields_checked"] == 1
    assert fake.warehouse_counters()["queries_run"] == result["counts"]["queries_run"]
    fake.reset_warehouse_counters()
    assert set(fake.warehouse_counters().values()) == {0}


# Secrets


def test_no_secret_in_results_reports_or_errors(
    fake: FakeLooker, client: looker_ci.LookerClient
) -> None:
    fake.break_field("main", "orders.status", BROKEN)
    sha = fake.add_commit(fake.project())
    result: ValidationResult = client.validate("sql", project="thelook", commit=sha)
    texts = [json.dumps(result), repr(result), repr(client)]
    texts += [render_report(result, f) for f in ("junit", "codequality", "markdown", "text")]
    try:
        client.validate("sql", project="thelook", concurency=1)  # type: ignore[call-arg]
    except errors.LookerCIError as e:
        texts.append(repr(e) + str(e) + repr(vars(e)))
    secrets = [fake.client_secret, *fake.issued_tokens()]
    assert len(secrets) > 1
    for text in texts:
        for secret in secrets:
            assert secret not in text


# The command


@pytest.fixture
def command_env(fake: FakeLooker) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("LOOKERSDK_", "CI_", "GITHUB_", "GITLAB_", "LOOKER_CI_"))
    }
    return {**env, **fake.env(), "NO_COLOR": "1"}


def installed_script() -> str:
    script = Path(sys.executable).with_name("looker-ci")
    assert script.exists(), f"the wheel installs the `looker-ci` script next to {sys.executable}"
    return str(script)


COMMANDS = {
    "python -m looker_ci": [sys.executable, "-m", "looker_ci"],
    "looker-ci script": None,
}


def command(which: str) -> list[str]:
    return COMMANDS[which] or [installed_script()]


def run(
    cmd: list[str], env: dict[str, str], cwd: Path, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.mark.parametrize("which", list(COMMANDS))
def test_command_exit_codes_and_json(
    which: str, fake: FakeLooker, command_env: dict[str, str], tmp_path: Path
) -> None:
    cmd = command(which)
    out = tmp_path / "result.json"
    passed = run(
        [*cmd, "lookml", "--project", "thelook", "--json", str(out)], command_env, tmp_path
    )
    assert passed.returncode == 0, passed.stderr
    assert json.loads(out.read_text())["passed"] is True

    fake.add_lookml_error('Unknown view "customers"')
    junit = tmp_path / "junit.xml"
    failed = run(
        [*cmd, "lookml", "--project", "thelook", "--json", str(out), "--junit", str(junit)],
        command_env,
        tmp_path,
    )
    assert failed.returncode == 1, failed.stderr
    assert 'Unknown view "customers"' in failed.stdout
    document = json.loads(out.read_text())
    assert document["passed"] is False and document["findings"][0]["scope"] == "lookml"
    assert "<testsuite" in junit.read_text()

    usage = run(
        [*cmd, "lookml", "--project", "thelook", "--concurency", "3"], command_env, tmp_path
    )
    assert usage.returncode == 2
    unknown = run([*cmd, "sql", "--project", "nolook"], command_env, tmp_path)
    assert unknown.returncode == 2, unknown.stderr

    helped = run([*cmd, "--help"], command_env, tmp_path)
    assert helped.returncode == 0 and "lookml" in helped.stdout
    version = run([*cmd, "--version"], command_env, tmp_path)
    assert version.returncode == 0 and looker_ci.__version__ in version.stdout

    secrets = [fake.client_secret, *fake.issued_tokens()]
    for done in (passed, failed, usage, unknown):
        for secret in secrets:
            assert secret not in done.stdout and secret not in done.stderr


def test_command_without_credentials_is_a_looker_error(
    command_env: dict[str, str], tmp_path: Path
) -> None:
    env = {**command_env, "LOOKERSDK_CLIENT_SECRET": "not-the-secret"}
    done = run([sys.executable, "-m", "looker_ci", "lookml", "--project", "thelook"], env, tmp_path)
    assert done.returncode == 3, done.stderr
    assert "not-the-secret" not in done.stdout + done.stderr


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
@pytest.mark.parametrize("which", list(COMMANDS))
def test_command_cancelled_restores_the_branch_and_exits_130(
    which: str,
    sig: signal.Signals,
    fake: FakeLooker,
    command_env: dict[str, str],
    tmp_path: Path,
) -> None:
    sha = fake.add_commit(fake.project())
    fake.set_query_duration(60)
    proc = subprocess.Popen(
        [*command(which), "sql", "--project", "thelook", "--commit", sha],
        env=command_env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not fake.warehouse_counters()["running"]:
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the validation never started a query"
            time.sleep(0.02)
        assert temporary_branches(fake)
        proc.send_signal(sig)
        _, stderr = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert temporary_branches(fake) == []


SCRIPT = """
import signal, sys, looker_ci
signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
with looker_ci.LookerClient.from_env() as client:
    client.validate("sql", project="thelook", commit=sys.argv[1])
"""


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_blocking_validation_is_interrupted_by_a_signal_after_cleaning_up(
    sig: signal.Signals, fake: FakeLooker, command_env: dict[str, str], tmp_path: Path
) -> None:
    sha = fake.add_commit(fake.project())
    fake.set_query_duration(60)
    proc = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, sha],
        env=command_env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not fake.warehouse_counters()["running"]:
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the validation never started a query"
            time.sleep(0.02)
        proc.send_signal(sig)
        _, stderr = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    # Ctrl-C: KeyboardInterrupt once the branch is restored; SIGTERM: the script's handler.
    if sig == signal.SIGINT:
        assert proc.returncode == -signal.SIGINT and "KeyboardInterrupt" in stderr
    else:
        assert proc.returncode == 143, stderr
    assert temporary_branches(fake) == []
