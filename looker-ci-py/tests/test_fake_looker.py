"""FakeLooker from Python: what the getting-started guide calls (saved queries as PNG, users by
id, ``fields``) and the controls' argument checks (the library's typed errors)."""

from __future__ import annotations

import re
from typing import Any

import looker_ci
import pytest
from looker_ci import errors
from looker_ci.testing import FakeLooker


def test_the_guide_calls_are_served(fake: FakeLooker, client: looker_ci.LookerClient) -> None:
    query = client.create_query(
        body={"model": "thelook", "view": "orders", "fields": ["orders.status", "orders.count"]}
    )
    png = client.request("GET", f"/queries/{query['id']}/run/png", raw=True)
    assert isinstance(png, bytes) and png.startswith(b"\x89PNG\r\n\x1a\n")
    assert client.run_query(query_id=query["id"], result_format="png") == png
    csv = client.run_query(query_id=query["id"], result_format="csv")
    assert isinstance(csv, str) and csv.startswith("orders.status,orders.count\n")

    models = client.request("GET", "/lookml_models", query={"fields": ["name", "label"]})
    assert [sorted(m) for m in models] == [["label", "name"]]
    assert client.all_lookml_models(fields="name") == [{"name": "thelook"}]
    me = client.request("GET", "/user", query={"fields": "id,display_name"})
    assert me == {"id": "1", "display_name": "Ada Admin"}

    fake.add_user(7, "Grace", "Hopper")
    with pytest.raises(errors.ApiError) as other:
        client.user("7")
    assert other.value.status == 403, "another user needs see_users"
    fake.set_user_permissions(1, ["see_users"])
    assert client.user("7")["display_name"] == "Grace Hopper"
    assert client.user("1", fields="email") == {"email": "ada@example.com"}
    with pytest.raises(errors.ApiError) as unknown:
        client.user("8")
    assert unknown.value.status == 404


def test_controls_check_their_arguments(fake: FakeLooker) -> None:
    with pytest.raises(errors.InvalidArgumentError) as test:
        fake.fail_lookml_test("orders_are_ok")
    assert test.value.argument == "test"
    assert "`orders_have_ids`, `users_are_unique`" in str(test.value)
    assert re.fullmatch(r"[0-9a-f]{40}", fake.fail_lookml_test("orders_have_ids"))

    fake.add_user(42, "Int", "Id")
    fake.add_user("43", "Str", "Id")
    fake.set_user_permissions(42, ["access_data"])
    assert fake.checked_out_branch(42) is None
    bad_ids: list[Any] = [None, 1.5, True, -1, ""]
    for bad in bad_ids:
        with pytest.raises(errors.InvalidArgumentError) as refused:
            fake.add_user(bad, "No", "Id")
        assert refused.value.argument == "user_id"
        assert "a string or a non-negative integer" in str(refused.value)
    with pytest.raises(errors.InvalidArgumentError) as role:
        fake.set_user_roles(1, [{"role": "x"}])
    assert role.value.argument == "roles"
    assert isinstance(role.value, ValueError), "still the ValueError it was"

    fake.inject_fault(status=503, retry_after=1)
    assert fake.pending_faults() == 1
