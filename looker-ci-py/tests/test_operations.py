"""The generated methods: one per operation, spec names as keyword arguments, `body=`, through
the one generic native call path."""

from __future__ import annotations

import inspect

import looker_ci
import pytest
from looker_ci import errors
from looker_ci._operations import AsyncOperations, SyncOperations
from looker_ci.testing import FakeLooker


def operation_methods(cls: type) -> set[str]:
    return {n for n, v in vars(cls).items() if callable(v) and not n.startswith("_")}


def test_every_operation_has_a_sync_and_an_async_method() -> None:
    sync, asynchronous = operation_methods(SyncOperations), operation_methods(AsyncOperations)
    # 483 operations less login, login_user, logout (the session's) and me (hand-written).
    assert len(sync) == 479
    assert sync == asynchronous
    assert {"lookml_model_explore", "create_query", "run_inline_query", "all_dashboards"} <= sync
    assert not {"login", "logout"} & sync
    assert inspect.iscoroutinefunction(AsyncOperations.lookml_model_explore)


def test_required_parameters_are_positional_optional_ones_keyword_only() -> None:
    sig = inspect.signature(SyncOperations.lookml_model_explore)
    kinds = {name: p.kind for name, p in sig.parameters.items()}
    assert kinds["lookml_model_name"] is inspect.Parameter.POSITIONAL_OR_KEYWORD
    assert kinds["explore_name"] is inspect.Parameter.POSITIONAL_OR_KEYWORD
    assert kinds["fields"] is inspect.Parameter.KEYWORD_ONLY
    assert "body" in inspect.signature(SyncOperations.create_query).parameters


def test_replies_are_typed_with_the_generated_typeddicts() -> None:
    from looker_ci import models

    hints = inspect.signature(SyncOperations.lookml_model_explore).return_annotation
    assert hints == "models.LookmlModelExplore"
    assert inspect.signature(SyncOperations.all_lookml_models).return_annotation == (
        "list[models.LookmlModel]"
    )
    assert "fields" in models.LookmlModelExplore.__annotations__


def test_calls_reach_the_api_with_the_path_query_and_body(
    fake: FakeLooker, client: looker_ci.LookerClient
) -> None:
    assert client.session()["workspace_id"] == "production"
    assert client.update_session(body={"workspace_id": "dev"})["workspace_id"] == "dev"
    assert client.session()["workspace_id"] == "dev"
    with pytest.raises(errors.ApiError) as info:
        client.lookml_model_explore(lookml_model_name="my model", explore_name="a/b")
    assert (info.value.status, info.value.path) == (404, "/lookml_models/my%20model/explores/a%2Fb")
    with pytest.raises(TypeError):
        client.lookml_model_explore(lookml_model_name="m")  # type: ignore[call-arg]


async def test_async_methods(fake: FakeLooker) -> None:
    async with looker_ci.AsyncLookerClient(
        base_url=fake.base_url, client_id=fake.client_id, client_secret=fake.client_secret
    ) as client:
        assert (await client.update_session(body={"workspace_id": "dev"}))["workspace_id"] == "dev"
        with pytest.raises(errors.ApiError) as info:
            await client.all_dashboards(fields="id")
        assert info.value.path == "/dashboards"
