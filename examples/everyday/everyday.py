"""Everyday Looker calls from a CI job in Python, against an embedded FakeLooker (this script
changes state — it runs a schedule and triggers a datagroup — so it never targets a real
instance): list models and explores, run an inline query as CSV, run a scheduled plan once,
trigger a datagroup. Bodies are plain dicts, typed by the ``looker_ci.models`` TypedDicts.

    pip install ./looker-ci-py && python examples/everyday/everyday.py
"""

from __future__ import annotations

import time

import looker_ci
from looker_ci.testing import FakeLooker


def main() -> None:
    with (
        FakeLooker() as fake,
        looker_ci.LookerClient(
            base_url=fake.base_url, client_id=fake.client_id, client_secret=fake.client_secret
        ) as client,
    ):
        for model in client.all_lookml_models(fields="name,explores"):
            print(f"model {model['name']}: explores {[e['name'] for e in model['explores']]}")
        orders = client.lookml_model_explore(lookml_model_name="thelook", explore_name="orders")
        dimensions = [f["name"] for f in orders["fields"]["dimensions"]]
        print(f"orders dimensions: {dimensions}")

        csv = client.run_inline_query(
            result_format="csv",
            body={"model": "thelook", "view": "orders", "fields": dimensions, "limit": "10"},
        )
        print(f"inline query as CSV:\n{csv}", end="")

        plan = client.scheduled_plan_run_once(
            body={
                "name": "revenue for the release notes",
                "dashboard_id": "7",
                "scheduled_plan_destination": [
                    {"type": "email", "address": "data-team@example.com", "format": "csv_zip"}
                ],
            }
        )
        print(f"scheduled plan run once: id {plan['id']}")

        etl = next(d for d in client.all_datagroups() if d["name"] == "orders_etl")
        triggered = client.update_datagroup(
            datagroup_id=etl["id"], body={"stale_before": int(time.time())}
        )
        print(f"datagroup {triggered['name']} triggered (stale before {triggered['stale_before']})")


if __name__ == "__main__":
    main()
