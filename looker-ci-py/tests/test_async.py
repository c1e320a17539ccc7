"""The asyncio client against FakeLooker."""

from __future__ import annotations

import asyncio

import looker_ci
import pytest
from looker_ci import errors
from looker_ci.testing import FakeLooker


def connect(fake: FakeLooker) -> looker_ci.AsyncLookerClient:
    return looker_ci.AsyncLookerClient(
        base_url=fake.base_url, client_id=fake.client_id, client_secret=fake.client_secret
    )


async def test_a_thousand_concurrent_awaits_across_three_expiries(fake: FakeLooker) -> None:
    fake.set_token_lifetime(3)
    async with connect(fake) as client:
        for expiry in range(4):
            if expiry:
                await asyncio.sleep(3.2)
            results = await asyncio.gather(*(client.me() for _ in range(1000)))
            assert all(me["id"] == "1" for me in results)
            assert fake.counters()["logins"] == 1 + expiry
    assert fake.counters()["logouts"] == 1
    assert fake.counters()["unauthorized"] == 0


async def test_revocation_mid_run_is_invisible_to_callers(fake: FakeLooker) -> None:
    async with connect(fake) as client:
        await client.me()

        async def worker() -> int:
            calls = 0
            for _ in range(30):
                await client.me()
                calls += 1
                await asyncio.sleep(0.01)
            return calls

        tasks = [asyncio.create_task(worker()) for _ in range(50)]
        await asyncio.sleep(0.15)
        fake.revoke_all_tokens()
        assert sum(await asyncio.gather(*tasks)) == 1500
    assert fake.counters()["logins"] == 2


async def test_request_errors_and_close(fake: FakeLooker) -> None:
    client = connect(fake)
    session = await client.request("PATCH", "/session", body={"workspace_id": "dev"})
    assert session["workspace_id"] == "dev"
    with pytest.raises(errors.ApiError) as info:
        await client.request("GET", "/no_such_thing")
    assert (info.value.status, info.value.path) == (404, "/no_such_thing")
    raw = await client.request("GET", "/user", raw=True)
    assert raw.startswith(b"{")
    await client.close()
    assert fake.live_tokens() == 0
    with pytest.raises(errors.ClientClosedError):
        await client.me()


async def test_async_sudo(fake: FakeLooker) -> None:
    fake.add_user("7", "Kay", "Moro")
    async with connect(fake) as admin:
        async with admin.login_user(7) as kay:
            assert (await kay.me())["id"] == "7"
