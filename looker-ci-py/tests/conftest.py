from __future__ import annotations

import os
from collections.abc import Iterator

import looker_ci
import pytest
from looker_ci.testing import FakeLooker

# The peers the test command starts, by the name their tests are marked with.
PEERS = {
    "moto": "LOOKER_CI_TEST_MOTO",
    "oidc": "LOOKER_CI_TEST_OIDC",
    "prism": "LOOKER_CI_TEST_PRISM",
}
# Fixtures that stand for a peer: a test using one is marked `peer(<name>)`.
PEER_FIXTURES = {"moto": "moto", "prism_client": "prism"}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "peer(name): needs a peer the test command starts (moto, oidc, prism)"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        for fixture, peer_name in PEER_FIXTURES.items():
            if fixture in getattr(item, "fixturenames", ()):
                item.add_marker(pytest.mark.peer(peer_name))


def peer(name: str) -> str:
    """The value of a peer's variable. A missing peer fails the test inside the test command
    (which sets LOOKER_CI_TEST_COMMAND) and skips it, naming the peer, when run alone."""
    variable = PEERS[name]
    value = os.environ.get(variable)
    if value:
        return value
    reason = f"needs the {name} peer ({variable}), which scripts/test-python starts"
    if os.environ.get("LOOKER_CI_TEST_COMMAND"):
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture
def fake() -> Iterator[FakeLooker]:
    with FakeLooker() as server:
        yield server


def connect(fake: FakeLooker, **kwargs: object) -> looker_ci.LookerClient:
    return looker_ci.LookerClient(
        base_url=fake.base_url,
        client_id=fake.client_id,
        client_secret=fake.client_secret,
        **kwargs,  # type: ignore[arg-type]
    )


@pytest.fixture
def client(fake: FakeLooker) -> Iterator[looker_ci.LookerClient]:
    with connect(fake) as c:
        yield c
