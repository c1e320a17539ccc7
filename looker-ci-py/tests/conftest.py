from __future__ import annotations

from collections.abc import Iterator

import looker_ci
import pytest
from looker_ci.testing import FakeLooker


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
