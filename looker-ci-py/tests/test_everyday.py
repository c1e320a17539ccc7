"""The everyday CI calls through the generated methods, against FakeLooker's small Looker world:
validation, data tests, content validation, deploys, inline queries, scheduled plans run once,
datagroup triggers. Bodies are typed dicts (mypy checks them against ``looker_ci.models``)."""

from __future__ import annotations

from collections.abc import Iterator

import looker_ci
import pytest
from looker_ci import errors, models
from looker_ci.testing import FakeLooker


@pytest.fixture
def world() -> Iterator[tuple[FakeLooker, looker_ci.LookerClient]]:
    with FakeLooker() as fake:
        client = looker_ci.LookerClient(
            base_url=fake.base_url, client_id=fake.client_id, client_secret=fake.client_secret
        )
        with client:
            yield fake, client


def test_validate_test_check_content_and_deploy(
    world: tuple[FakeLooker, looker_ci.LookerClient],
) -> None:
    fake, client = world
    clean = client.validate_project("thelook")
    assert clean["errors"] == [] and clean["computation_time"] == 0.01
    # Built straight from the reply bytes: escapes and non-ASCII text come through intact.
    fake.add_lookml_error('Vue « clients » inconnue \u2603 "quoted" \\ back')
    (error,) = client.validate_project("thelook")["errors"] or []
    assert error["message"] == 'Vue « clients » inconnue \u2603 "quoted" \\ back'
    fake.add_lookml_error('Unknown view "customers"')
    reported = client.validate_project("thelook")["errors"] or []
    assert [e["message"] for e in reported][1:] == ['Unknown view "customers"']
    fake.fail_lookml_test("users_are_unique")
    failed = [t["test_name"] for t in client.run_lookml_test("thelook") if not t["success"]]
    assert failed == ["users_are_unique"]
    fake.break_content("Revenue by month")
    broken = client.content_validation()["content_with_errors"] or []
    assert [b["look"]["title"] for b in broken] == ["Revenue by month"]
    assert fake.deployed_ref() is None
    client.deploy_ref_to_production("thelook", ref="a1b2c3")
    assert fake.deployed_ref() == "a1b2c3"


def test_inline_query_result_formats(world: tuple[FakeLooker, looker_ci.LookerClient]) -> None:
    _, client = world
    query: models.Query = {"model": "thelook", "view": "users", "fields": ["users.name"]}
    rows = client.run_inline_query("json", query)
    assert rows == [{"users.name": "Ada"}, {"users.name": "Grace"}, {"users.name": "Alan"}]
    assert client.run_inline_query("csv", {**query, "limit": "1"}) == "users.name\nAda\n"
    with pytest.raises(errors.ApiError) as raised:
        client.run_inline_query("json", {**query, "fields": ["users.secret_sauce"]})
    assert raised.value.status == 422
    assert raised.value.field_errors[0]["field"] == "fields"
    assert "users.secret_sauce" in str(raised.value)


def test_scheduled_plan_run_once_and_datagroup_trigger(
    world: tuple[FakeLooker, looker_ci.LookerClient],
) -> None:
    fake, client = world
    destination: models.ScheduledPlanDestination = {
        "type": "email",
        "address": "data-team@example.com",
        "format": "csv_zip",
    }
    plan = client.scheduled_plan_run_once(
        {"name": "nightly", "look_id": "3", "scheduled_plan_destination": [destination]}
    )
    assert plan["id"] == "1"
    assert [p["name"] for p in fake.scheduled_plan_runs()] == ["nightly"]
    with pytest.raises(errors.ApiError) as raised:
        client.scheduled_plan_run_once({"name": "nowhere", "look_id": "3"})
    assert raised.value.field_errors[0]["field"] == "scheduled_plan_destination"
    assert len(fake.scheduled_plan_runs()) == 1

    etl = next(d for d in client.all_datagroups() if d["name"] == "orders_etl")
    assert fake.datagroup("orders_etl") is not None
    updated = client.update_datagroup(etl["id"], {"stale_before": 1_790_000_000})
    assert updated["stale_before"] == 1_790_000_000
    dg = fake.datagroup("orders_etl")
    assert dg is not None and dg["stale_before"] == 1_790_000_000
    daily = fake.datagroup("daily")
    assert daily is not None and daily["stale_before"] is None
    assert fake.datagroup("no_such_group") is None
