"""The sync client against FakeLooker: concurrency across expiries, revocation, retries,
timeouts, sudo, logout."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import looker_ci
import pytest
from conftest import connect
from looker_ci import errors
from looker_ci.testing import FakeLooker


def burst(client: looker_ci.LookerClient, calls: int, threads: int = 64) -> None:
    with ThreadPoolExecutor(max_workers=threads) as pool:
        for me in pool.map(lambda _: client.me(), range(calls)):
            assert me["id"] == "1"


def test_me_and_request(fake: FakeLooker, client: looker_ci.LookerClient) -> None:
    assert client.me()["display_name"] == "Ada Admin"
    session = client.request("PATCH", "/session", body={"workspace_id": "dev"})
    assert session["workspace_id"] == "dev"
    raw = client.request("GET", "/api/4.0/user", query={"fields": ["id", "email"]}, raw=True)
    assert isinstance(raw, bytes) and b'"id":"1"' in raw
    assert (fake.last_header("x-looker-appid") or "").startswith("looker-ci ")


def test_request_argument_rules_are_the_cores(client: looker_ci.LookerClient) -> None:
    with pytest.raises(errors.InvalidArgumentError) as bad:
        client.request("GET", "/user", query=[("fields", "id")])  # type: ignore[arg-type]
    assert bad.value.argument == "query"
    assert "must be a mapping (an object) of parameter names to values" in str(bad.value)


def test_an_empty_reply_body_is_none(client: looker_ci.LookerClient) -> None:
    # No cached LookML validation yet: Looker (and FakeLooker) answer 204 with no body.
    assert client.request("GET", "/projects/thelook/validate") is None
    assert client.project_validation_results("thelook") is None


def test_a_thousand_callers_across_three_expiries_log_in_once_per_expiry(
    fake: FakeLooker, client: looker_ci.LookerClient
) -> None:
    fake.set_token_lifetime(3)
    burst(client, 1000)
    assert fake.counters()["logins"] == 1
    for expiry in (1, 2, 3):
        time.sleep(3.2)
        burst(client, 1000)
        assert fake.counters()["logins"] == 1 + expiry
    assert fake.counters()["me_calls"] == 4000
    assert fake.counters()["unauthorized"] == 0


def test_one_client_shared_by_threads_while_tokens_are_revoked(
    fake: FakeLooker, client: looker_ci.LookerClient
) -> None:
    client.me()
    stop = time.monotonic() + 1.5
    failures: list[BaseException] = []

    def worker() -> None:
        while time.monotonic() < stop:
            try:
                client.me()
            except BaseException as exc:  # noqa: BLE001 - recorded and asserted below
                failures.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for t in threads:
        t.start()
    time.sleep(0.5)
    fake.revoke_all_tokens()
    for t in threads:
        t.join()
    assert failures == []
    assert fake.counters()["logins"] == 2


@pytest.mark.parametrize("reported", [0, 1])
def test_tiny_expires_in_never_degrades_to_a_login_per_call(
    fake: FakeLooker, reported: int
) -> None:
    fake.set_reported_expires_in(reported)
    with connect(fake) as client:
        started = time.monotonic()
        calls = 0
        while calls < 300 or time.monotonic() - started < 1.5:
            client.me()
            calls += 1
        elapsed = time.monotonic() - started
    logins = fake.counters()["logins"]
    assert logins <= int(elapsed / 0.75) + 2, (logins, calls, elapsed)
    assert logins * 20 < calls


@pytest.mark.parametrize("reported", [-5, 10 * 86400, "soon", None])
def test_absurd_expires_in_is_clamped(fake: FakeLooker, reported: object) -> None:
    if reported is None:
        fake.set_reported_expires_in(missing=True)
    else:
        fake.set_reported_expires_in(reported)
    with connect(fake) as client:
        for _ in range(20):
            client.me()
    assert fake.counters()["logins"] == 1


def test_429_and_503_are_retried_within_bounds(
    fake: FakeLooker, client: looker_ci.LookerClient
) -> None:
    client.me()
    fake.reset_counters()
    fake.inject_fault(status=429, retry_after="1")
    fake.inject_fault(status=503, count=2)
    started = time.monotonic()
    client.me()
    assert time.monotonic() - started >= 0.9  # the Retry-After was honoured
    assert fake.counters()["requests"] == 4
    fake.inject_fault(status=503, count=10)
    with pytest.raises(errors.ApiError) as info:
        client.me()
    assert info.value.status == 503
    assert fake.pending_faults() == 6  # four attempts in all
    fake.clear_faults()


def test_a_hung_server_hits_the_timeout(fake: FakeLooker) -> None:
    with connect(fake, timeout=0.5) as client:
        client.me()
        fake.inject_fault(delay=30, count=4)
        with pytest.raises(errors.TimeoutError) as info:
            client.me()
        fake.clear_faults()
        assert isinstance(info.value, TimeoutError)  # also the builtin
        assert (info.value.method, info.value.path) == ("GET", "/user")
        assert info.value.timeout_secs == 0.5


def test_dropped_connections_raise_connection_error_with_cause(fake: FakeLooker) -> None:
    with connect(fake) as client:
        client.me()
        fake.inject_fault(drop_connection=True, count=10)
        with pytest.raises(errors.ConnectionError) as info:
            client.me()
        fake.clear_faults()
        assert isinstance(info.value.__cause__, errors.NativeCause)


def test_close_logs_out_and_refuses_further_calls(fake: FakeLooker) -> None:
    client = connect(fake)
    client.me()
    client.close()
    assert fake.counters()["logouts"] == 1
    assert fake.live_tokens() == 0
    with pytest.raises(errors.ClientClosedError, match="create a new client"):
        client.me()
    client.close()  # idempotent
    with connect(fake) as other:
        other.me()
    assert fake.counters()["logouts"] == 2  # the context manager logged out


def test_wrong_secret_is_an_api_error_without_the_secret(fake: FakeLooker) -> None:
    client = looker_ci.LookerClient(
        base_url=fake.base_url, client_id=fake.client_id, client_secret="wrong-secret-xyz"
    )
    with pytest.raises(errors.ApiError) as info:
        client.me()
    err = info.value
    assert (err.status, err.method, err.path, err.api_message) == (
        404,
        "POST",
        "/login",
        "Not found",
    )
    assert err.code == "LOOKER_CI_API"
    assert err.documentation_url
    for text in (str(err), repr(err), repr(vars(err))):
        assert "wrong-secret-xyz" not in text


def test_sudo_sessions(fake: FakeLooker, client: looker_ci.LookerClient) -> None:
    fake.add_user("2", "Grace", "Hopper")
    fake.add_user("3", "Alan", "Turing")
    with client.login_user(2) as grace, client.login_user("3") as alan:
        assert grace.me()["display_name"] == "Grace Hopper"
        assert alan.me()["display_name"] == "Alan Turing"
    assert client.me()["id"] == "1"
    assert fake.counters()["sudo_logins"] == 2


def test_dev_workspace_survives_relogin(fake: FakeLooker) -> None:
    with connect(fake, dev_workspace=True) as client:
        assert client.request("GET", "/session")["workspace_id"] == "dev"
        fake.revoke_all_tokens()
        assert client.request("GET", "/session")["workspace_id"] == "dev"
    assert fake.counters()["logins"] == 2


def test_invalid_arguments_are_typed(client: looker_ci.LookerClient) -> None:
    with pytest.raises(errors.InvalidArgumentError) as info:
        client.request("GET", "https://evil.example/x")
    assert info.value.argument == "path"
    assert isinstance(info.value, ValueError)
    with pytest.raises(errors.InvalidArgumentError):
        client.request("GET", "/user", query=["not", "a", "mapping"])  # type: ignore[arg-type]
