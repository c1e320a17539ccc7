"""Identity-based access from Python: a GitLab-shaped id token -> STS (moto) -> Secrets Manager
(moto, SigV4 checked) -> FakeLooker, with no Looker secret in the job's environment; the default
chain's report; a Python callable as the credential provider."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import secrets
import time
from collections.abc import Iterator
from typing import Any

import looker_ci
import pytest
from conftest import peer
from looker_ci import errors
from looker_ci.testing import FakeLooker

CHAIN_VARS = [
    "LOOKERSDK_BASE_URL",
    "LOOKERSDK_CLIENT_ID",
    "LOOKERSDK_CLIENT_SECRET",
    "LOOKER_ID_TOKEN",
    "LOOKER_CI_ID_TOKEN_VAR",
    "AWS_ROLE_ARN",
    "AWS_REGION",
    "AWS_ENDPOINT_URL",
    "LOOKER_CI_AWS_SECRET_ID",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "ACTIONS_ID_TOKEN_REQUEST_URL",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
]


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def gitlab_id_token(issuer: str, audience: str, lifetime: int = 300) -> str:
    """A GitLab-shaped id token from a local test issuer (moto does not verify signatures)."""
    now = int(time.time())
    claims = {
        "iss": issuer,
        "sub": "project_path:platform/looker-models:ref_type:branch:ref:main",
        "aud": audience,
        "iat": now,
        "exp": now + lifetime,
        "project_path": "platform/looker-models",
        "job_id": "4242",
        "jti": secrets.token_hex(8),
    }
    header = b64(b'{"alg":"RS256","typ":"JWT"}')
    return f"{header}.{b64(json.dumps(claims).encode())}.{b64(secrets.token_bytes(64))}"


@pytest.fixture
def moto() -> dict[str, Any]:
    with open(peer("moto")) as handle:
        fixture: dict[str, Any] = json.load(handle)
    return fixture


@pytest.fixture
def job_env(
    monkeypatch: pytest.MonkeyPatch, moto: dict[str, Any], fake: FakeLooker, tmp_path: Any
) -> Iterator[dict[str, str]]:
    for name in CHAIN_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no looker.ini
    fake.set_api_key(moto["client_id"], moto["client_secret"])
    env = {
        "LOOKERSDK_BASE_URL": fake.base_url,
        "LOOKER_ID_TOKEN": gitlab_id_token(moto["issuer"], "sts.amazonaws.com"),
        "AWS_ROLE_ARN": moto["role_arn"],
        "AWS_REGION": moto["region"],
        "AWS_ENDPOINT_URL": moto["url"],
        "LOOKER_CI_AWS_SECRET_ID": moto["secret_id"],
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    yield env


def test_ci_identity_to_looker_with_no_looker_secret_in_the_job(
    job_env: dict[str, str],
    moto: dict[str, Any],
    fake: FakeLooker,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(1)
    logging.getLogger().setLevel(1)
    looker_ci.refresh_logging()
    assert moto["client_secret"] not in "".join(os.environ.values())
    with looker_ci.LookerClient.from_env() as client:
        report = client.describe()
        assert report["source"] == "aws-secrets-manager"
        assert "env:LOOKER_ID_TOKEN" in report["detail"]
        assert report["skipped"][0][0] == "settings"
        assert client.me()["id"] == "1"
    assert (fake.counters()["logins"], fake.counters()["logouts"]) == (1, 1)
    records = "\n".join(r.getMessage() for r in caplog.records)
    assert "assumed the AWS role" in records
    everything = records + repr(report) + repr(client)
    for secret in [job_env["LOOKER_ID_TOKEN"], moto["client_secret"], *fake.issued_tokens()]:
        assert secret not in everything


async def test_async_client_across_an_aws_and_a_looker_expiry(
    job_env: dict[str, str], fake: FakeLooker, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    monkeypatch.setenv("LOOKER_CI_AWS_ROLE_DURATION", "3")
    fake.set_token_lifetime(1)
    async with looker_ci.AsyncLookerClient.from_env() as client:
        await client.me()
        await asyncio.sleep(1.3)
        await client.me()  # Looker token expired; AWS credentials still fresh
        assert fake.counters()["logins"] == 2
        await asyncio.sleep(2.0)
        await asyncio.gather(*(client.me() for _ in range(50)))  # both expired
        assert fake.counters()["logins"] == 3
    assert client.stats()["logins"] == 3


def test_a_role_without_access_fails_with_a_typed_error(
    job_env: dict[str, str], moto: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ROLE_ARN", moto["denied_role_arn"])
    client = looker_ci.LookerClient.from_env()
    with pytest.raises(errors.CredentialsError) as info:
        client.me()
    assert info.value.provider == "aws-secrets-manager"
    assert "secretsmanager:GetSecretValue" in str(info.value)


def test_nothing_configured_lists_every_source(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    for name in CHAIN_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LOOKERSDK_BASE_URL", "https://looker.example.com")
    with pytest.raises(errors.ConfigError) as info:
        looker_ci.LookerClient.from_env()
    assert info.value.setting == "credentials"
    for source in ("settings:", "aws-secrets-manager:", "okta:"):
        assert source in str(info.value)


def test_a_python_callable_is_a_credential_provider(fake: FakeLooker) -> None:
    calls = []

    def vault_lookup() -> dict[str, str]:
        calls.append(1)
        return {"client_id": fake.client_id, "client_secret": fake.client_secret}

    fake.set_token_lifetime(1)
    with looker_ci.LookerClient(base_url=fake.base_url, credentials=vault_lookup) as client:
        assert (
            client.describe()["source"]
            == "python:test_a_python_callable_is_a_credential_provider.<locals>.vault_lookup"
        )
        client.me()
        time.sleep(1.2)
        client.me()
    assert len(calls) == 2  # once per login
    assert fake.counters()["logins"] == 2


async def test_an_async_callable_is_a_credential_provider(fake: FakeLooker) -> None:
    calls = []

    async def vault_lookup() -> dict[str, str]:
        await asyncio.sleep(0.01)  # real awaiting, as an async vault client would
        calls.append(1)
        return {"client_id": fake.client_id, "client_secret": fake.client_secret}

    fake.set_token_lifetime(1)
    async with looker_ci.AsyncLookerClient(
        base_url=fake.base_url, credentials=vault_lookup
    ) as client:
        results = await asyncio.gather(*(client.me() for _ in range(20)))
        assert all(me["id"] == "1" for me in results)
        await asyncio.sleep(1.2)
        await client.me()
    assert len(calls) == 2  # once per login, shared by the concurrent calls
    assert fake.counters()["logins"] == 2
    # The blocking client takes one too.
    with looker_ci.LookerClient(base_url=fake.base_url, credentials=vault_lookup) as blocking:
        assert blocking.me()["id"] == "1"

    async def sealed() -> dict[str, str]:
        raise RuntimeError("vault is sealed")

    client = looker_ci.AsyncLookerClient(base_url=fake.base_url, credentials=sealed)
    with pytest.raises(errors.CredentialsError, match="vault is sealed"):
        await client.me()


def test_a_failing_callable_gives_a_credentials_error(fake: FakeLooker) -> None:
    def broken() -> dict[str, str]:
        raise RuntimeError("vault is sealed")

    client = looker_ci.LookerClient(base_url=fake.base_url, credentials=broken)
    with pytest.raises(errors.CredentialsError, match="vault is sealed"):
        client.me()
    bad = looker_ci.LookerClient(base_url=fake.base_url, credentials=lambda: {"client_id": "x"})
    with pytest.raises(errors.CredentialsError, match="client_secret"):
        bad.me()
    with pytest.raises(TypeError):
        looker_ci.LookerClient(base_url=fake.base_url, credentials="not callable")  # type: ignore[arg-type]


def test_providers_configured_through_env_without_touching_the_process(
    moto: dict[str, Any], fake: FakeLooker, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    for name in CHAIN_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    fake.set_api_key(moto["client_id"], moto["client_secret"])
    env = {
        "LOOKER_ID_TOKEN": gitlab_id_token(moto["issuer"], "sts.amazonaws.com"),
        "AWS_ROLE_ARN": moto["role_arn"],
        "AWS_REGION": moto["region"],
        "AWS_ENDPOINT_URL": moto["url"],
        "LOOKER_CI_AWS_SECRET_ID": moto["secret_id"],
    }
    with looker_ci.LookerClient(base_url=fake.base_url, read_env=True, env=env) as client:
        assert client.describe()["source"] == "aws-secrets-manager"
        assert client.me()["id"] == "1"
    assert "AWS_ROLE_ARN" not in os.environ
    with looker_ci.LookerClient.from_env(env={**env, "LOOKERSDK_BASE_URL": fake.base_url}) as c2:
        assert c2.me()["id"] == "1"
