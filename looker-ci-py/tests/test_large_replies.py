"""`request()` and `me()` build their results as the generated methods do (issue 10): Python
objects straight from the reply bytes in one pass, keys shared between rows, no intermediate
JSON tree; `me()` takes `fields` and returns the `User` model (issue 11)."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import looker_ci
import pytest
from looker_ci import errors
from looker_ci.models import User
from looker_ci.testing import FakeLooker

ROWS = 200_000
ROW_KEYS = ("id", "title", "folder_id", "hidden")
# Six values a row: 1.2 million values in all.
BIG = json.dumps(
    [
        {"id": str(i), "title": f"Dashboard {i}", "folder_id": i % 7, "hidden": i % 2 == 0}
        for i in range(ROWS)
    ]
).encode()
REPLIES = {
    "/api/4.0/dashboards": BIG,
    "/api/4.0/user": b'{"id": "7", "display_name": "Big User", "role_ids": ' + BIG + b"}",
    "/api/4.0/broken": b'{"id": "1", "title": ',
    "/api/4.0/folders": b'[{"id": "1", "name": ',
}


class _Looker(BaseHTTPRequestHandler):
    """A loopback Looker: a login, then each path's reply from REPLIES."""

    def _reply(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:  # noqa: N802 (the name http.server calls)
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path == "/api/4.0/login":
            token = {
                "access_token": "large-replies-token",
                "token_type": "Bearer",
                "expires_in": 3600,
            }
            self._reply(200, json.dumps(token).encode())
        else:
            self._reply(404, b'{"message": "Not found"}')

    def do_GET(self) -> None:  # noqa: N802
        body = REPLIES.get(self.path.split("?")[0])
        if body is None:
            self._reply(404, b'{"message": "Not found"}')
        else:
            self._reply(200, body)

    def do_DELETE(self) -> None:  # noqa: N802
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Looker)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def _client(base_url: str) -> looker_ci.LookerClient:
    return looker_ci.LookerClient(
        base_url=base_url, client_id="large-replies", client_secret="large-replies-secret"
    )


def _async_client(base_url: str) -> looker_ci.AsyncLookerClient:
    return looker_ci.AsyncLookerClient(
        base_url=base_url, client_id="large-replies", client_secret="large-replies-secret"
    )


def _check_rows(rows: Any) -> None:
    assert isinstance(rows, list) and len(rows) == ROWS
    assert rows[0] == {"id": "0", "title": "Dashboard 0", "folder_id": 0, "hidden": True}
    assert rows[123_457] == {
        "id": "123457",
        "title": "Dashboard 123457",
        "folder_id": 5,
        "hidden": False,
    }
    assert rows[-1]["id"] == str(ROWS - 1)
    # Built in one pass from the bytes: each key is one `str` shared by every row (a conversion
    # from an intermediate JSON tree makes a new `str` per row).
    first, last = list(rows[0]), list(rows[-1])
    assert all(a is b for a, b in zip(first, last, strict=True)), "keys are shared between rows"
    assert tuple(first) == ROW_KEYS


def test_request_builds_a_large_reply_in_one_pass(server: str) -> None:
    with _client(server) as client:
        _check_rows(client.request("GET", "/dashboards"))
        # The generated method for the same operation gives the same objects.
        assert client.request("GET", "/dashboards") == client.all_dashboards()


def test_me_builds_a_large_user_in_one_pass(server: str) -> None:
    with _client(server) as client:
        me: User = client.me()
        assert me["id"] == "7"
        _check_rows(me["role_ids"])


async def test_async_request_and_me_of_a_large_reply(server: str) -> None:
    async with _async_client(server) as client:
        _check_rows(await client.request("GET", "/dashboards"))
        _check_rows((await client.me())["role_ids"])


def test_a_reply_that_is_not_json_is_a_decode_error(server: str) -> None:
    with _client(server) as client:
        with pytest.raises(errors.DecodeError) as info:
            client.request("GET", "/broken")
        assert (info.value.method, info.value.path) == ("GET", "/broken")
        assert "title" not in str(info.value), "the reply is not quoted"
        assert client.request("GET", "/broken", raw=True) == REPLIES["/api/4.0/broken"]


async def test_an_awaited_reply_that_is_not_json_is_a_decode_error(server: str) -> None:
    async with _async_client(server) as client:
        with pytest.raises(errors.DecodeError) as info:
            # A guard against hanging (the error used to be lost, the awaitable never done).
            await asyncio.wait_for(client.request("GET", "/broken"), 60)
        assert (info.value.method, info.value.path) == ("GET", "/broken")
        with pytest.raises(errors.DecodeError) as info:
            await asyncio.wait_for(client.all_folders(), 60)
        assert (info.value.method, info.value.path) == ("GET", "/folders")


def test_request_and_me_equal_the_generated_methods(
    fake: FakeLooker, client: looker_ci.LookerClient
) -> None:
    me = client.me()
    assert me["id"] == "1"
    assert client.request("GET", "/user") == me == client.user("1")
    assert client.me(fields="id,display_name") == {"id": "1", "display_name": "Ada Admin"}
    assert client.request(
        "GET", "/lookml_models", query={"fields": "name,label"}
    ) == client.all_lookml_models(fields="name,label")
    with pytest.raises(TypeError):
        client.me("id")  # type: ignore[misc]


async def test_async_me_takes_fields(fake: FakeLooker) -> None:
    async with looker_ci.AsyncLookerClient(
        base_url=fake.base_url, client_id=fake.client_id, client_secret=fake.client_secret
    ) as client:
        assert await client.me(fields="id") == {"id": "1"}
        assert await client.me() == await client.user("1")
