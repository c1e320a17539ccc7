"""No secret reaches repr, str, exceptions, or logging at the most verbose level."""

from __future__ import annotations

import logging
import time

import looker_ci
import pytest
from looker_ci import errors
from looker_ci.testing import FakeLooker


def test_no_secret_in_logs_reprs_or_errors(
    fake: FakeLooker, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(1)  # below DEBUG: everything the core emits, TRACE included
    logging.getLogger().setLevel(1)
    looker_ci.refresh_logging()
    shown: list[str] = [repr(fake), str(fake)]
    fake.add_user("2", "Grace", "Hopper")
    fake.set_token_lifetime(1)
    client = looker_ci.LookerClient(
        base_url=fake.base_url,
        client_id=fake.client_id,
        client_secret=fake.client_secret,
        dev_workspace=True,
    )
    shown += [repr(client), str(client), repr(vars(client))]
    client.me()
    time.sleep(1.1)
    client.me()
    fake.revoke_all_tokens()
    client.me()
    fake.inject_fault(status=503, retry_after="0")
    client.me()
    fake.set_reported_expires_in(-1)
    with client.login_user(2) as sudo:
        sudo.me()
        shown.append(repr(sudo))
    wrong = looker_ci.LookerClient(
        base_url=fake.base_url, client_id=fake.client_id, client_secret="wrong-secret-to-hide"
    )
    with pytest.raises(errors.ApiError) as info:
        wrong.me()
    shown += [str(info.value), repr(info.value), repr(vars(info.value))]
    client.close()

    records = "\n".join(f"{r.name} {r.levelname} {r.getMessage()}" for r in caplog.records)
    assert "looker_ci_core" in records, "core log records reach Python logging"
    assert "lifetime" in records
    # TRACE records arrive too, below DEBUG (level 5), as docs/security.md promises.
    traced = [r for r in caplog.records if r.levelno == 5]
    assert any("sending Looker request" in r.getMessage() for r in traced), records[-2000:]
    out = capsys.readouterr()
    everything = "\n".join([records, out.out, out.err, *shown])
    secrets = [*fake.issued_tokens(), fake.client_secret, "wrong-secret-to-hide"]
    assert len(secrets) >= 6
    for secret in secrets:
        assert secret not in everything
