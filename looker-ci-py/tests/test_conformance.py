"""A sample of the generated methods against Prism serving the official spec (requests that break
the spec are refused). Arguments are synthesized from each method's signature."""

from __future__ import annotations

import inspect
import os
from typing import Any

import looker_ci
import pytest
from looker_ci._operations import SyncOperations

SAMPLE_SIZE = 60
# Spec defect (see docs/api-coverage.md): Prism answers 500 for these.
KNOWN_EXCEPTIONS = {"all_integrations", "integration", "update_integration"}
VALUES: dict[str, Any] = {
    "str": "1",
    "int": 1,
    "bool": True,
    "Sequence[str]": ["1"],
    "Mapping[str, Any]": {},
}


def sample() -> list[str]:
    """Every k-th operation that needs no request body, for a spread over the API areas."""
    names = sorted(
        name
        for name, method in vars(SyncOperations).items()
        if callable(method)
        and not name.startswith("_")
        and "body" not in inspect.signature(method).parameters
    )
    step = max(1, len(names) // SAMPLE_SIZE)
    return names[::step][:SAMPLE_SIZE]


def arguments(name: str) -> dict[str, Any]:
    params = inspect.signature(getattr(SyncOperations, name)).parameters.values()
    return {
        p.name: VALUES[str(p.annotation)]
        for p in params
        if p.name != "self" and p.default is inspect.Parameter.empty
    }


@pytest.fixture(scope="module")
def prism_client() -> looker_ci.LookerClient:
    url = os.environ.get("LOOKER_CI_TEST_PRISM")
    if not url:
        pytest.fail("LOOKER_CI_TEST_PRISM is not set: scripts/test-all starts Prism")
    return looker_ci.LookerClient(
        base_url=url, client_id="conformance", client_secret="conformance-secret", timeout=20
    )


def test_a_sample_of_generated_methods_is_accepted_by_the_spec(
    prism_client: looker_ci.LookerClient,
) -> None:
    names = sample()
    assert len(names) >= 50
    failures = {}
    for name in names:
        try:
            getattr(prism_client, name)(**arguments(name))
        except looker_ci.errors.LookerCIError as error:
            failures[name] = str(error)
    unexpected = {k: v for k, v in failures.items() if k not in KNOWN_EXCEPTIONS}
    assert unexpected == {}
    assert len(names) - len(failures) >= 50
