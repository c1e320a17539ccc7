"""Test support: :class:`FakeLooker`, a local Looker emulator on 127.0.0.1 (random port)."""

from __future__ import annotations

import json
from typing import Any

from looker_ci._native import NativeFakeLooker

_ACTUAL = object()


class FakeLooker:
    """A stateful Looker emulator: logins, sudo, logout, ``GET /user``, ``GET``/``PATCH /session``,
    and a small Looker world for the everyday CI calls (models and explores, validation, data
    tests, content validation, deploys, inline queries as json/csv/sql, scheduled plans run once,
    datagroups).

    Controls: token lifetime, the ``expires_in`` it reports, revocation, counters and fault
    injection. Use it as a context manager, or call :meth:`stop`.
    """

    def __init__(self) -> None:
        self._native = NativeFakeLooker()

    @property
    def base_url(self) -> str:
        return self._native.base_url

    @property
    def client_id(self) -> str:
        return self._native.client_id

    @property
    def client_secret(self) -> str:
        """The fake's own random test secret."""
        return self._native.client_secret

    def env(self) -> dict[str, str]:
        """``LOOKERSDK_*`` variables pointing at this server."""
        return {
            "LOOKERSDK_BASE_URL": self.base_url,
            "LOOKERSDK_CLIENT_ID": self.client_id,
            "LOOKERSDK_CLIENT_SECRET": self.client_secret,
        }

    def set_api_key(self, client_id: str, client_secret: str) -> None:
        """Accept this API key instead of the fake's random one."""
        self._native.set_api_key(client_id, client_secret)

    def set_token_lifetime(self, seconds: float) -> None:
        """Lifetime the server enforces on new tokens (and reports, unless overridden)."""
        self._native.set_token_lifetime(seconds)

    def set_reported_expires_in(self, value: Any = _ACTUAL, *, missing: bool = False) -> None:
        """Report ``value`` as ``expires_in`` (may be absurd); ``missing=True`` omits the field;
        no argument reports the enforced lifetime again."""
        if missing:
            self._native.set_reported_expires_in(None)
        elif value is _ACTUAL:
            self._native.report_actual_expires_in()
        else:
            self._native.set_reported_expires_in(json.dumps(value))

    def revoke_all_tokens(self) -> None:
        self._native.revoke_all_tokens()

    def add_user(self, user_id: str, first_name: str, last_name: str) -> None:
        self._native.add_user(user_id, first_name, last_name)

    def inject_fault(
        self,
        *,
        status: int | None = None,
        retry_after: str | None = None,
        delay: float | None = None,
        drop_connection: bool = False,
        count: int = 1,
    ) -> None:
        """Apply a fault to each of the next ``count`` requests."""
        self._native.inject_fault(
            status=status,
            retry_after=retry_after,
            delay=delay,
            drop_connection=drop_connection,
            count=count,
        )

    def clear_faults(self) -> None:
        """Drop every queued fault."""
        self._native.clear_faults()

    def pending_faults(self) -> int:
        return self._native.pending_faults()

    def counters(self) -> dict[str, int]:
        """logins, sudo_logins, failed_logins, logouts, requests, unauthorized, me_calls."""
        return self._native.counters()

    def reset_counters(self) -> None:
        self._native.reset_counters()

    def live_tokens(self) -> int:
        return self._native.live_tokens()

    def issued_tokens(self) -> list[str]:
        """Every token issued so far (to check that none leaked into output)."""
        return self._native.issued_tokens()

    def last_header(self, name: str) -> str | None:
        return self._native.last_header(name)

    # The small Looker world behind the everyday CI calls: project and model ``thelook``
    # (explores ``orders`` and ``users``), datagroups ``orders_etl`` and ``daily``.

    def add_lookml_error(self, message: str) -> None:
        """Make ``validate_project("thelook")`` report this LookML error."""
        self._native.add_lookml_error(message)

    def fail_lookml_test(self, test: str) -> None:
        """Make data test ``orders_have_ids`` or ``users_are_unique`` fail."""
        self._native.fail_lookml_test(test)

    def break_content(self, title: str) -> None:
        """Make ``content_validation()`` report a broken Look with this title."""
        self._native.break_content(title)

    def deployed_ref(self) -> str | None:
        """The ref or branch last deployed to production."""
        return self._native.deployed_ref()

    def scheduled_plan_runs(self) -> list[dict[str, Any]]:
        """Every scheduled plan run once so far, as sent, with the id the fake gave it."""
        return self._native.scheduled_plan_runs()

    def datagroup(self, name: str) -> dict[str, Any] | None:
        """Datagroup ``orders_etl`` or ``daily`` as ``GET /datagroups/{id}`` shows it."""
        return self._native.datagroup(name)

    def stop(self) -> None:
        self._native.stop()

    def __enter__(self) -> FakeLooker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<FakeLooker base_url={self.base_url!r}>"


__all__ = ["FakeLooker"]
