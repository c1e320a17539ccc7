"""``client.doctor()``, the CI run in the User-Agent, and the audit trail, against FakeLooker."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

import looker_ci
import pytest
from looker_ci.testing import FakeLooker

VALIDATOR = {
    "name": "CI Validator",
    "permissions": [
        "access_data",
        "explore",
        "see_lookml",
        "develop",
        "see_sql",
        "see_looks",
        "see_user_dashboards",
    ],
    "models": ["thelook"],
}

GITLAB_JOB = {
    "GITLAB_CI": "true",
    "CI_PROJECT_PATH": "data/looker-models",
    "CI_PIPELINE_ID": "812",
    "CI_JOB_ID": "4242",
}


def job_client(fake: FakeLooker, **extra: str) -> looker_ci.LookerClient:
    env = {
        **GITLAB_JOB,
        "LOOKERSDK_BASE_URL": fake.base_url,
        "LOOKERSDK_CLIENT_ID": fake.client_id,
        "LOOKERSDK_CLIENT_SECRET": fake.client_secret,
        **extra,
    }
    return looker_ci.LookerClient.from_env(env=env)


def codes(report: dict, level: str) -> list[str]:
    return [f["code"] for f in report["findings"] if f["level"] == level]


def test_a_least_privilege_user_passes(fake: FakeLooker) -> None:
    fake.set_user_roles(1, [VALIDATOR])
    with job_client(fake) as client:
        report = client.doctor()
    assert report["passed"] is True
    assert codes(report, "error") == []
    assert codes(report, "warning") == ["secrets.static-key"]
    assert report["looker_user"]["roles"][0]["models"] == ["thelook"]
    assert report["ci"]["pipeline"] == "812"
    assert fake.client_secret not in json.dumps(report)


def test_an_admin_and_surplus_permissions_are_found(fake: FakeLooker) -> None:
    fake.set_user_roles(1, [{"name": "Admin"}])
    with job_client(fake) as client:
        report = client.doctor(["lookml"])
    assert report["passed"] is False
    assert {"privilege.admin", "privilege.sudo"} <= set(codes(report, "error"))

    surplus = {**VALIDATOR, "permissions": [*VALIDATOR["permissions"], "deploy"]}
    fake.set_user_roles(1, [surplus])
    report = asyncio.run(_doctor_async(fake, ["lookml", "sql"]))
    messages = [f["message"] for f in report["findings"] if f["code"] == "privilege.surplus"]
    assert any("`deploy`" in m for m in messages), messages


async def _doctor_async(fake: FakeLooker, commands: list[str]) -> dict:
    env = {
        **GITLAB_JOB,
        "LOOKERSDK_BASE_URL": fake.base_url,
        "LOOKERSDK_CLIENT_ID": fake.client_id,
        "LOOKERSDK_CLIENT_SECRET": fake.client_secret,
    }
    async with looker_ci.AsyncLookerClient.from_env(env=env) as client:
        return await client.doctor(commands)


def test_unknown_commands_are_a_typed_error(fake: FakeLooker) -> None:
    with job_client(fake) as client, pytest.raises(looker_ci.errors.InvalidArgumentError) as err:
        client.doctor(["publish"])
    assert "known: lookml, sql" in str(err.value)


def test_the_audit_trail_records_every_request_without_secrets(
    fake: FakeLooker, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    audit = tmp_path / "audit.jsonl"
    with job_client(fake, LOOKER_CI_AUDIT_FILE=str(audit)) as client:
        assert client.identity()["ci"]["project"] == "data/looker-models"
        client.me()
        client.lookml_model_explore("thelook", "orders")
    records = [json.loads(line) for line in audit.read_text().splitlines()]
    assert records[0]["type"] == "run"
    assert records[0]["identity"]["source"] == "settings"
    paths = [r["path"] for r in records if r["type"] == "request"]
    assert "/lookml_models/{lookml_model_name}/explores/{explore_name}" in paths
    assert "/logout" in paths
    login = next(r for r in records if r["type"] == "login")
    assert login["looker_user_id"] == "1"
    agents = fake.user_agents()
    assert agents and all("(gitlab; project=data/looker-models; pipeline=812" in a for a in agents)
    text = audit.read_text()
    assert fake.client_secret not in text
    assert fake.client_secret not in caplog.text


def test_audit_file_for_a_client_built_in_code(fake: FakeLooker, tmp_path: Path) -> None:
    audit = tmp_path / "explicit.jsonl"
    with looker_ci.LookerClient(
        base_url=fake.base_url,
        client_id=fake.client_id,
        client_secret=fake.client_secret,
        audit_file=audit,
    ) as client:
        client.me()
    kinds = [json.loads(line)["type"] for line in audit.read_text().splitlines()]
    assert kinds[0] == "run" and "request" in kinds and "login" in kinds
    with pytest.raises(looker_ci.errors.ConfigError) as err:
        looker_ci.LookerClient(
            base_url=fake.base_url,
            client_id=fake.client_id,
            client_secret=fake.client_secret,
            audit_file=tmp_path / "no" / "such.jsonl",
        )
    assert "audit_file" in str(err.value)


def test_an_api_key_given_in_code_is_described_as_settings(fake: FakeLooker) -> None:
    with looker_ci.LookerClient(
        base_url=fake.base_url, client_id=fake.client_id, client_secret=fake.client_secret
    ) as client:
        report = client.describe()
    assert report["source"] == "settings"
    assert f'client_id "{fake.client_id}"' in report["detail"]
    assert report["proxy"] is None


def test_login_user_refuses_what_is_not_a_user_id(fake: FakeLooker) -> None:
    with looker_ci.LookerClient(
        base_url=fake.base_url, client_id=fake.client_id, client_secret=fake.client_secret
    ) as client:
        for bad in (None, 1.5, True, "", "../2"):
            with pytest.raises(looker_ci.errors.InvalidArgumentError) as err:
                client.login_user(bad)  # type: ignore[arg-type]
            assert err.value.argument == "user_id"
        fake.add_user(2, "Grace", "Hopper")
        with client.login_user(2) as sudo:
            assert sudo.me()["id"] == "2"


def test_planted_problems_are_each_found(
    fake: FakeLooker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A looker.ini with a secret in the checkout, an Okta key anyone can read, TLS off, a stored
    # key beside the AWS identity path, a role without see_sql on every model, a known timeout.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "looker.ini").write_text("[Looker]\nclient_secret=abc\n")
    key = tmp_path / "okta.pem"
    key.write_text("not a key")
    key.chmod(0o644)
    fake.set_user_roles(1, [{"name": "Narrow", "permissions": ["see_lookml", "develop"]}])
    with job_client(
        fake,
        AWS_ROLE_ARN="arn:aws:iam::123456789012:role/looker-ci",
        AWS_REGION="us-east-1",
        LOOKER_CI_AWS_SECRET_ID="looker/api-key",
        LOOKER_CI_OKTA_PRIVATE_KEY_FILE=str(key),
        LOOKERSDK_VERIFY_SSL="false",
        CI_JOB_TIMEOUT="3600",
    ) as client:
        report = client.doctor(["lookml", "sql"])
    errors = set(codes(report, "error"))
    assert {
        "secrets.static-key-with-identity",
        "secrets.looker-ini-secret",
        "secrets.world-readable",
        "secrets.tls-verification-off",
        "privilege.missing",
    } <= errors, report["findings"]
    assert "privilege.all-models" in codes(report, "warning")
    notes = codes(report, "note")
    assert {"identity.aws-role", "lifetimes.looker-token", "privilege.command"} <= set(notes)
    missing = [f["message"] for f in report["findings"] if f["code"] == "privilege.missing"]
    assert any("`access_data`" in m for m in missing), missing
    assert report["passed"] is False
    assert "abc" not in json.dumps(report)


def test_a_credentials_callable_that_calls_its_client_fails_at_once(fake: FakeLooker) -> None:
    holder: dict[str, looker_ci.LookerClient] = {}

    def credentials() -> dict[str, str]:
        holder["client"].me()  # re-entrant: its login waits for this callable
        return {"client_id": fake.client_id, "client_secret": fake.client_secret}

    client = looker_ci.LookerClient(base_url=fake.base_url, credentials=credentials)
    holder["client"] = client
    with pytest.raises(looker_ci.errors.CredentialsError) as err:
        client.me()
    assert "called a looker-ci client" in str(err.value)
    client.close()


def _unsigned_jwt(claims: dict[str, object]) -> str:
    import base64

    def part(value: object) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{part({'alg': 'RS256'})}.{part(claims)}.c2ln"


def test_an_expired_token_an_unprotected_ref_and_a_failed_login_are_found(
    fake: FakeLooker,
) -> None:
    import time

    now = int(time.time())
    token = _unsigned_jwt(
        {
            "iss": "https://gitlab.example.com",
            "aud": "sts.amazonaws.com",
            "ref": "feature-x",
            "ref_protected": "false",
            "exp": now - 120,
        }
    )
    env = {
        **GITLAB_JOB,
        "LOOKERSDK_BASE_URL": fake.base_url,
        "LOOKER_ID_TOKEN": token,
        "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/looker-ci",
        "AWS_REGION": "us-east-1",
        # STS on a closed loopback port: the expired token is refused before any exchange.
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
        "LOOKER_CI_AWS_SECRET_ID": "looker/api-key",
        "LOOKER_CI_OKTA_CLIENT_ID": "0oa-ci",
        "LOOKER_CI_OKTA_ISSUER": "http://127.0.0.1:9/oauth2/default",
        "LOOKER_CI_OKTA_CLIENT_SECRET": "okta-secret-not-shown",
        "LOOKER_CI_OKTA_SCOPES": "looker",
    }
    with looker_ci.LookerClient.from_env(env=env) as client:
        report = client.doctor()
    assert {"identity.ci-token-expired", "identity.login-failed"} <= set(codes(report, "error"))
    assert "identity.unprotected-ref" in codes(report, "warning")
    assert "identity.okta" in codes(report, "note")
    shown = json.dumps(report)
    assert token not in shown and "okta-secret-not-shown" not in shown
