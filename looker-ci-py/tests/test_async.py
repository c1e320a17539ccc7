"""The asyncio client against FakeLooker."""

from __future__ import annotations

import asyncio
import subprocess
import sys

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


async def test_a_cancelled_call_never_parks_the_shared_login(fake: FakeLooker) -> None:
    # The login is slow and the only call waiting for it is cancelled. The login carries on
    # without it: the next call, made after the login's own deadline, uses its token (no second
    # login, no timeout for a request it never made), and close() logs that session out.
    client = looker_ci.AsyncLookerClient(
        base_url=fake.base_url,
        client_id=fake.client_id,
        client_secret=fake.client_secret,
        timeout=2,
    )
    fake.inject_fault(delay=1.0)
    call = asyncio.create_task(client.me())
    await asyncio.sleep(0.3)
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    await asyncio.sleep(2.5)
    assert fake.counters()["logins"] == 1
    assert (await client.me())["id"] == "1"
    assert fake.counters()["logins"] == 1
    await client.close()
    assert fake.live_tokens() == 0


async def test_a_login_left_by_a_cancelled_call_is_logged_out_by_close(fake: FakeLooker) -> None:
    client = connect(fake)
    fake.inject_fault(delay=1.0)
    call = asyncio.create_task(client.me())
    await asyncio.sleep(0.3)
    call.cancel()
    await client.close()
    # The login answers after close(): its token is logged out, not left live.
    await asyncio.sleep(1.5)
    assert fake.counters()["logins"] == 1
    assert fake.live_tokens() == 0
    assert fake.counters()["logouts"] == 1


async def test_async_sudo(fake: FakeLooker) -> None:
    fake.add_user("7", "Kay", "Moro")
    async with connect(fake) as admin:
        async with admin.login_user(7) as kay:
            assert (await kay.me())["id"] == "7"


def test_a_program_that_ends_right_after_its_last_await_exits_cleanly(fake: FakeLooker) -> None:
    # The thread handing the last result to the loop may still wait for the GIL when the
    # interpreter finalizes; on Python < 3.14 that aborted the process about one run in four.
    program = (
        "import asyncio, looker_ci\n"
        "async def main():\n"
        f"    async with looker_ci.AsyncLookerClient(base_url={fake.base_url!r}, "
        f"client_id={fake.client_id!r}, client_secret={fake.client_secret!r}) as client:\n"
        "        await client.me()\n"
        "asyncio.run(main())\n"
    )
    for _ in range(20):
        done = subprocess.run([sys.executable, "-c", program], capture_output=True, timeout=60)
        assert done.returncode == 0, done.stderr.decode()
