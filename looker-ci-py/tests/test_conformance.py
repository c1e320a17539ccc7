"""A sample of the generated methods against Prism serving the official spec (requests that break
the spec are refused). Arguments are synthesized from each method's signature, request bodies
from the spec (required properties only)."""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Any

import looker_ci
import pytest
from conftest import peer
from looker_ci._operations import SyncOperations

SAMPLE_SIZE = 60
SPEC_PATH = Path(__file__).resolve().parents[2] / "spec" / "Looker.4.0.oas.json"
VALUES: dict[str, Any] = {
    "str": "1",
    "int": 1,
    "bool": True,
    "Sequence[str]": ["1"],
    "Mapping[str, Any]": {},
}
FORMATS = {
    "date-time": "2026-01-01T00:00:00Z",
    "date": "2026-01-01",
    "uri": "https://example.com/x",
    "email": "ci@example.com",
    "uuid": "00000000-0000-0000-0000-000000000000",
}


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    with open(SPEC_PATH, encoding="utf-8") as f:
        loaded: dict[str, Any] = json.load(f)
    return loaded


def resolve(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = spec
        for key in node["$ref"].removeprefix("#/").split("/"):
            target = target[key]
        node = target
    return node


def synthesize(spec: dict[str, Any], schema: dict[str, Any], depth: int = 0) -> Any:
    """A minimal valid value: required properties only, first enum value, one-element lists."""
    schema = resolve(spec, schema)
    if "enum" in schema and schema.get("type") != "array":
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "string":
        return FORMATS.get(schema.get("format", ""), "x")
    if kind in ("integer", "number"):
        return 1
    if kind == "boolean":
        return True
    if kind == "array":
        return [synthesize(spec, schema.get("items", {}), depth + 1)] if depth < 4 else []
    required = schema.get("required", []) if depth < 4 else []
    return {name: synthesize(spec, schema["properties"][name], depth + 1) for name in required}


def request_body(spec: dict[str, Any], operation_id: str) -> Any:
    for item in spec["paths"].values():
        for operation in item.values():
            if isinstance(operation, dict) and operation.get("operationId") == operation_id:
                content = resolve(spec, operation["requestBody"])["content"]
                if "application/json" in content:
                    return synthesize(spec, content["application/json"]["schema"])
                return "x"
    raise LookupError(operation_id)


def sample() -> list[str]:
    """Every k-th operation, for a spread over the API areas (with and without bodies)."""
    names = sorted(
        name
        for name, method in vars(SyncOperations).items()
        if callable(method) and not name.startswith("_")
    )
    step = max(1, len(names) // SAMPLE_SIZE)
    return names[::step][:SAMPLE_SIZE]


def arguments(spec: dict[str, Any], name: str) -> dict[str, Any]:
    """The required arguments: values by type hint, a body synthesized from the spec."""
    params = inspect.signature(getattr(SyncOperations, name)).parameters.values()
    return {
        p.name: request_body(spec, name) if p.name == "body" else VALUES[str(p.annotation)]
        for p in params
        if p.name != "self" and p.default is inspect.Parameter.empty
    }


@pytest.fixture(scope="module")
def prism_client() -> looker_ci.LookerClient:
    return looker_ci.LookerClient(
        base_url=peer("prism"),
        client_id="conformance",
        client_secret="conformance-secret",
        timeout=20,
    )


def test_a_sample_of_generated_methods_is_accepted_by_the_spec(
    prism_client: looker_ci.LookerClient, spec: dict[str, Any]
) -> None:
    names = sample()
    assert len(names) >= 50
    with_body = [n for n in names if "body" in arguments(spec, n)]
    assert len(with_body) >= 10, "the sample sends request bodies too"
    failures = {}
    for name in names:
        try:
            getattr(prism_client, name)(**arguments(spec, name))
        except looker_ci.errors.LookerCIError as error:
            failures[name] = str(error)
    assert failures == {}
