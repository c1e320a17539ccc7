"""Test support: :class:`FakeLooker`, a local Looker emulator on 127.0.0.1 (random port)."""

from __future__ import annotations

import json
from typing import Any

from looker_ci._checks import user_id as _user_id
from looker_ci._native import NativeFakeLooker
from looker_ci.errors import InvalidArgumentError

_ACTUAL = object()


class FakeLooker:
    """A stateful Looker emulator: logins, sudo, logout, ``GET /user``, ``GET``/``PATCH /session``,
    and a small Looker world for the everyday CI calls (models and explores, validation, data
    tests, content validation, deploys, inline queries as json/csv/sql, scheduled plans run once,
    datagroups).

    Controls: token lifetime, the ``expires_in`` it reports, revocation, counters and fault
    injection, and the LookML world the CI gate runs against (projects on git branches, broken
    fields, joins and tables, the warehouse's timing and counters; see docs/testing.md). Use it
    as a context manager, or call :meth:`stop`.
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

    def add_user(self, user_id: str | int, first_name: str, last_name: str) -> None:
        """Add a user that sudo (``login_user``) can act as and ``GET /users/{id}`` shows."""
        self._native.add_user(_user_id(user_id, "add_user()"), first_name, last_name)

    def inject_fault(
        self,
        *,
        status: int | None = None,
        retry_after: str | int | None = None,
        delay: float | None = None,
        drop_connection: bool = False,
        count: int = 1,
    ) -> None:
        """Apply a fault to each of the next ``count`` requests. ``retry_after``: seconds or an
        HTTP date."""
        self._native.inject_fault(
            status=status,
            retry_after=None if retry_after is None else str(retry_after),
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

    def fail_lookml_test(self, test: str) -> str:
        """Make production's data test ``orders_have_ids`` or ``users_are_unique`` fail; returns
        the new commit's sha. An unknown test raises
        :class:`~looker_ci.errors.InvalidArgumentError` naming the known ones."""
        return self._native.fail_lookml_test(test)

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

    # The LookML world the CI gate runs against (docs/testing.md): a ``FakeProject`` as a dict
    # (unknown keys are refused), git branches and commits, faults, users' permissions and the
    # warehouse. Branch ``"main"`` is production. A bad name raises
    # :class:`looker_ci.errors.InvalidArgumentError`.

    def set_project(self, project: dict[str, Any]) -> str:
        """Make ``project`` production's code (a new commit on ``main``); returns its sha."""
        return self._native.set_project(json.dumps(project))

    def project(self) -> dict[str, Any]:
        """Production's project."""
        return self._native.project()

    def branch_project(self, branch: str) -> dict[str, Any] | None:
        """The project at the head of ``branch``, if the branch exists."""
        return self._native.branch_project(branch)

    def create_branch(self, name: str, project: dict[str, Any]) -> str:
        """Point branch ``name`` at a new commit holding ``project``; returns its sha."""
        return self._native.create_branch(name, json.dumps(project))

    def add_commit(self, project: dict[str, Any]) -> str:
        """Store a commit holding ``project`` on no branch; returns its sha."""
        return self._native.add_commit(json.dumps(project))

    def branches(self) -> list[str]:
        """Every branch name, sorted (temporary branches included while they exist)."""
        return self._native.branches()

    def checked_out_branch(self, user_id: str | int) -> str | None:
        """The branch ``user_id`` has checked out in the dev workspace, if any."""
        return self._native.checked_out_branch(_user_id(user_id, "checked_out_branch()"))

    def add_project(self, project: dict[str, Any]) -> str:
        """Add another project to the instance (one the main project imports: list it in the
        main project's ``imports`` as ``{"name": id}``), or give it a new production commit;
        returns the sha. The main project's queries see its views as the session's workspace
        sees it (production, or the branch checked out of it)."""
        return self._native.add_project(json.dumps(project))

    def create_project_branch(self, project_id: str, branch: str, project: dict[str, Any]) -> str:
        """Point ``branch`` of the other project ``project_id`` at a new commit holding
        ``project``; returns its sha."""
        return self._native.create_project_branch(project_id, branch, json.dumps(project))

    def project_branches(self, project_id: str) -> list[str]:
        """The branch names of the other project ``project_id``, sorted."""
        return self._native.project_branches(project_id)

    def project_checked_out_branch(self, project_id: str, user_id: str | int) -> str | None:
        """The branch ``user_id`` has checked out of the other project ``project_id``."""
        return self._native.project_checked_out_branch(
            project_id, _user_id(user_id, "project_checked_out_branch()")
        )

    def break_field(self, branch: str, field: str, message: str) -> str:
        """On ``branch``, make ``field`` (``view.field``) fail with this database message."""
        return self._native.break_field(branch, field, message)

    def break_join(self, branch: str, model: str, explore: str, view: str, message: str) -> str:
        """On ``branch``, make the join of ``view`` into ``model``'s ``explore`` fail."""
        return self._native.break_join(branch, model, explore, view, message)

    def break_table(self, branch: str, view: str, message: str) -> str:
        """On ``branch``, make ``view``'s table missing (every query with it fails)."""
        return self._native.break_table(branch, view, message)

    def make_ambiguous(self, branch: str, field: str, other_view: str) -> str:
        """On ``branch``, make ``field`` ambiguous whenever ``other_view`` is in the query."""
        return self._native.make_ambiguous(branch, field, other_view)

    def slow_field(self, branch: str, field: str, seconds: float) -> str:
        """On ``branch``, make every query selecting ``field`` run ``seconds`` longer."""
        return self._native.slow_field(branch, field, seconds)

    def remove_field(self, branch: str, field: str) -> str:
        """On ``branch``, delete ``field`` (content using it stops validating there)."""
        return self._native.remove_field(branch, field)

    def set_user_permissions(self, user_id: str | int, permissions: list[str]) -> None:
        """Give ``user_id`` exactly these permissions (``develop`` and ``deploy`` are enforced)."""
        self._native.set_user_permissions(
            _user_id(user_id, "set_user_permissions()"), list(permissions)
        )

    def set_user_roles(self, user_id: str | int, roles: list[dict[str, Any]]) -> None:
        """Give ``user_id`` exactly these roles, each ``{"name", "permissions", "models"}``
        (``models`` left out or ``None``: every model; the name ``"Admin"``: Looker's built-in
        Admin role). The API key logs in as user ``1``."""
        user = _user_id(user_id, "set_user_roles()")
        checked: list[tuple[str, list[str], list[str] | None]] = []
        for role in roles:
            unknown = set(role) - {"name", "permissions", "models"}
            if unknown or "name" not in role:
                raise InvalidArgumentError(
                    "invalid argument `roles`: a role is {'name', 'permissions', 'models'}; "
                    f"got keys {sorted(role)}",
                    argument="roles",
                )
            models = role.get("models")
            checked.append(
                (
                    str(role["name"]),
                    [str(p) for p in role.get("permissions", [])],
                    None if models is None else [str(m) for m in models],
                )
            )
        self._native.set_user_roles(user, checked)

    def user_agents(self) -> list[str]:
        """Every distinct ``User-Agent`` FakeLooker has seen, in order."""
        return self._native.user_agents()

    def set_query_concurrency_limit(self, limit: int) -> None:
        """Query tasks one user may run at once (Looker's default: 15)."""
        self._native.set_query_concurrency_limit(limit)

    def set_query_duration(self, seconds: float) -> None:
        """How long every query task runs (default 0)."""
        self._native.set_query_duration(seconds)

    def set_dev_mode_note(self, on: bool) -> None:
        """Start every query result's ``errors`` with Looker's Development Mode note (a passing
        query then comes back as an ``error`` whose only entry is the note), as Looker does for
        derived tables with conditional SQL for Development Mode."""
        self._native.set_dev_mode_note(on)

    def set_expired_polls(self, polls: int) -> None:
        """Show each finished query task as ``expired`` in its first ``polls`` polls of
        ``multi_results`` (Looker does so briefly); ``2**32 - 1``: for good; 0: off."""
        if isinstance(polls, bool) or not isinstance(polls, int) or polls < 0:
            raise InvalidArgumentError(
                "invalid argument `polls`: set_expired_polls() expects a non-negative integer, "
                f"got {polls!r}",
                argument="polls",
            )
        self._native.set_expired_polls(polls)

    def set_queries_killed(self, on: bool) -> None:
        """Report every finished query task as ``killed``, as when an admin or the database
        kills queries."""
        self._native.set_queries_killed(on)

    def set_validation_duration(self, seconds: float) -> None:
        """How long a LookML validation, a content validation and a data test run take to
        answer (default 0), as on a large project."""
        self._native.set_validation_duration(seconds)

    def set_stale_copy(self, user_id: str | int, branch: str, sha: str) -> None:
        """Make ``user_id``'s own copy of ``branch`` lag behind it at commit ``sha`` (Looker
        keeps a copy per user and pulls only when asked): checking the branch out gives that
        user the older code, with ``behind_count`` 1."""
        self._native.set_stale_copy(_user_id(user_id, "set_stale_copy()"), branch, sha)

    def set_production_checkout_gives_personal(self, on: bool) -> None:
        """Make checking out the production branch in the dev workspace give the user's personal
        branch instead, without an error, as Looker does."""
        self._native.set_production_checkout_gives_personal(on)

    def set_api_latency(self, min_seconds: float, max_seconds: float) -> None:
        """Delay every request by a random time in ``[min_seconds, max_seconds]``."""
        self._native.set_api_latency(min_seconds, max_seconds)

    def warehouse_counters(self) -> dict[str, int]:
        """queries_run, queries_cancelled, query_tasks_created, queries_created, max_running,
        max_running_per_user, running."""
        return self._native.warehouse_counters()

    def reset_warehouse_counters(self) -> None:
        self._native.reset_warehouse_counters()

    def stop(self) -> None:
        self._native.stop()

    def __enter__(self) -> FakeLooker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<FakeLooker base_url={self.base_url!r}>"


__all__ = ["FakeLooker"]
