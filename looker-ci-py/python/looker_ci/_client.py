"""The public clients: thin wrappers over the native client, adding Python conventions
(keyword arguments, context managers, JSON-able bodies)."""

from __future__ import annotations

import json
import os
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Union, cast

if TYPE_CHECKING:
    from typing_extensions import Self, Unpack

    from looker_ci import models
    from looker_ci.gate import ValidateOptions, ValidationResult, Validator

from looker_ci._checks import user_id as checked_user_id
from looker_ci._native import NativeClient
from looker_ci._operations import AsyncOperations, SyncOperations

JSON = Any
PathLike = Union[str, "os.PathLike[str]"]


def _dumps(value: Any) -> str | None:
    return None if value is None else json.dumps(value)


def _args(args: dict[str, Any]) -> str:
    """JSON of an operation's arguments, leaving out those not given."""
    return json.dumps({name: value for name, value in args.items() if value is not None})


class _Base:
    _native: NativeClient

    def __init__(
        self,
        *,
        base_url: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        verify_ssl: bool | None = None,
        timeout: float | None = None,
        ca_bundle: PathLike | None = None,
        https_proxy: str | None = None,
        dev_workspace: bool = False,
        config_file: PathLike | None = None,
        section: str | None = None,
        read_env: bool = False,
        credentials: Callable[[], Mapping[str, str] | Awaitable[Mapping[str, str]]] | None = None,
        env: Mapping[str, str] | None = None,
        audit_file: PathLike | None = None,
    ) -> None:
        """Settings from the keyword arguments. With ``read_env=True`` the ``looker.ini`` file
        and ``LOOKERSDK_*`` variables are read first (the arguments override them) and, without
        an API key, the default credential chain finds one (CI OIDC token -> AWS STS -> Secrets
        Manager). ``config_file`` names a ``looker.ini`` to read (with or without ``read_env``);
        ``section`` picks its section, or that of ``./looker.ini`` with ``read_env`` (default:
        the first; a section that does not exist raises ``ConfigError``). ``credentials`` is a
        callable returning ``{"client_id": ..., "client_secret": ...}``, called at every login;
        an ``async def`` works too (its coroutine runs on an event loop of its own in a worker
        thread, so it must not use objects bound to your application's loop).
        ``env`` lays variables of the environment contract (``AWS_ROLE_ARN``,
        ``LOOKER_CI_OKTA_*``...) over the process environment for this client only; a
        ``LOOKERSDK_*`` or ``LOOKER_CI_*`` name that looker-ci does not read raises
        ``InvalidArgumentError`` (other names are allowed). ``audit_file`` appends the audit
        trail there (one JSON line per request, never a secret; docs/security.md); with
        ``read_env`` the variable ``LOOKER_CI_AUDIT_FILE`` does the same. ``client_secret`` is
        held only in the native core."""
        self._native = NativeClient.from_settings(
            base_url=base_url,
            client_id=client_id,
            client_secret=client_secret,
            verify_ssl=verify_ssl,
            timeout=timeout,
            ca_bundle=os.fspath(ca_bundle) if ca_bundle is not None else None,
            https_proxy=https_proxy,
            dev_workspace=dev_workspace,
            config_file=os.fspath(config_file) if config_file is not None else None,
            section=section,
            read_env=read_env,
            credentials=credentials,
            env=dict(env) if env is not None else None,
            audit_file=os.fspath(audit_file) if audit_file is not None else None,
        )

    @classmethod
    def from_env(
        cls,
        config_file: PathLike | None = None,
        section: str | None = None,
        env: Mapping[str, str] | None = None,
    ) -> Self:
        """Settings from ``./looker.ini`` (or ``config_file``) and ``LOOKERSDK_*`` variables;
        credentials from the default chain (see :meth:`describe`). ``section`` picks the file's
        section (default: the first; one that does not exist raises ``ConfigError`` naming the
        file and its sections). ``env`` lays variables over the process environment for this
        client only; a ``LOOKERSDK_*`` or ``LOOKER_CI_*`` name that looker-ci does not read
        raises ``InvalidArgumentError``."""
        client = cls.__new__(cls)
        client._native = NativeClient.from_env(
            os.fspath(config_file) if config_file is not None else None,
            section,
            dict(env) if env is not None else None,
        )
        return client

    def _sudo(self, user_id: str | int) -> Self:
        sudo = type(self).__new__(type(self))
        sudo._native = self._native.login_user(str(user_id))
        return sudo

    @property
    def base_url(self) -> str:
        """The Looker API host in use."""
        return self._native.base_url

    def describe(self) -> dict[str, Any]:
        """Which credential source is used and why: ``source`` (``settings`` for an API key in
        the arguments, ``looker.ini`` or ``LOOKERSDK_*``; ``aws-secrets-manager``; ``okta``; or the
        name of a ``credentials`` callable), ``detail``, ``skipped`` (the sources passed over,
        with reasons), ``proxy`` (the identity-aware proxy's header, when one is sent) and a
        one-line ``summary``. Never holds a secret."""
        return self._native.describe()

    def stats(self) -> dict[str, int]:
        """Counts of logins, requests and re-authentications after a 401 so far."""
        return self._native.stats()

    def identity(self) -> dict[str, Any]:
        """The identity behind the client as facts: ``source``, ``detail``, ``skipped``, the CI
        token's non-secret ``claims`` (under ``ci_token``), the ``aws`` role ARN and STS session
        name, the ``okta`` client, and ``ci``: the CI run its requests are attributed to (their
        ``User-Agent`` and the audit trail name it). Never holds a token or secret."""
        return self._native.identity()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} base_url={self.base_url!r}>"


def _options(options: Mapping[str, Any]) -> str:
    """JSON of validator options; the core refuses unknown keys, naming the valid ones."""
    return json.dumps({name: value for name, value in options.items() if value is not None})


class LookerClient(_Base, SyncOperations):
    """A synchronous Looker API 4.0 client. Safe to share between threads.

    Construct it with keyword settings (see ``_Base.__init__``) or :meth:`from_env`.
    """

    def _call(self, operation_id: str, args: dict[str, Any]) -> Any:
        return self._native.call(operation_id, _args(args))

    def me(self, *, fields: str | None = None) -> models.User:
        """The current user (``GET /user``, operation ``me``), called as the generated methods
        are: ``me()`` or ``me(fields="id,display_name")``."""
        return self._call("me", {"fields": fields})

    def request(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, Any] | None = None,
        body: JSON = None,
        raw: bool = False,
    ) -> Any:
        """Call any API path, e.g. ``request("GET", "/lookml_models", query={"fields": "name"})``.

        Returns decoded JSON (built straight from the reply, as the generated methods' results
        are), or ``bytes`` with ``raw=True``. List values in ``query`` are joined with commas, as
        the Looker API expects.
        """
        return self._native.request(method, path, _dumps(query), _dumps(body), raw)

    def validate(
        self, validator: Validator, **options: Unpack[ValidateOptions]
    ) -> ValidationResult:
        """Run a validator of the CI gate (``"lookml"``, ``"sql"``, ``"assert"``, ``"content"``)
        with the options of docs/ci.md, e.g. ``validate("sql", project="thelook",
        commit=sha, explores=["thelook/*"])``. Returns the result document; render it with
        :func:`looker_ci.gate.render_report`. A commit is checked out on a temporary branch that
        is removed afterwards."""
        return cast("ValidationResult", self._native.validate(validator, _options(options)))

    def deploy(self, project: str, *, branch: str | None = None, commit: str | None = None) -> None:
        """Deploy the head of ``branch``, or ``commit``, of ``project`` to production."""
        self._native.deploy(project, branch, commit)

    def doctor(self, commands: Sequence[str] | None = None) -> dict[str, JSON]:
        """Check the set-up as ``looker-ci doctor`` does: identity, stored secrets, the API
        user's privileges against what ``commands`` need (default: ``lookml``, ``sql``,
        ``assert``, ``content``) and lifetimes. Returns the report (``passed``, ``findings`` each
        with ``area``, ``level``, ``code``, ``message``, ``fix``; docs/security.md lists them)."""
        return self._native.doctor(list(commands) if commands is not None else None)

    def run_schedule(self, plan_id: str | int) -> dict[str, JSON]:
        """Run scheduled plan ``plan_id`` once now; returns the plan Looker ran."""
        return self._native.run_schedule(str(plan_id))

    def trigger_datagroup(self, model: str, datagroup: str) -> dict[str, JSON]:
        """Mark ``datagroup`` of ``model`` stale now so Looker rebuilds what depends on it."""
        return self._native.trigger_datagroup(model, datagroup)

    def login_user(self, user_id: str | int) -> LookerClient:
        """A client acting as another user (sudo). Close it when done."""
        sudo = LookerClient.__new__(LookerClient)
        sudo._native = self._native.login_user(checked_user_id(user_id, "login_user()"))
        return sudo

    def close(self) -> None:
        """Log out. Later calls raise :class:`looker_ci.errors.ClientClosedError`."""
        self._native.close()

    def __enter__(self) -> LookerClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncLookerClient(_Base, AsyncOperations):
    """An asyncio Looker API 4.0 client; the same settings as :class:`LookerClient`."""

    async def _call_async(self, operation_id: str, args: dict[str, Any]) -> Any:
        return await self._native.call_async(operation_id, _args(args))

    async def me(self, *, fields: str | None = None) -> models.User:
        """As :meth:`LookerClient.me`, awaited."""
        return await self._call_async("me", {"fields": fields})

    async def request(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, Any] | None = None,
        body: JSON = None,
        raw: bool = False,
    ) -> Any:
        """As :meth:`LookerClient.request`, awaited."""
        return await self._native.request_async(method, path, _dumps(query), _dumps(body), raw)

    async def validate(
        self, validator: Validator, **options: Unpack[ValidateOptions]
    ) -> ValidationResult:
        """As :meth:`LookerClient.validate`, awaited."""
        result = await self._native.validate_async(validator, _options(options))
        return cast("ValidationResult", result)

    async def deploy(
        self, project: str, *, branch: str | None = None, commit: str | None = None
    ) -> None:
        """As :meth:`LookerClient.deploy`, awaited."""
        await self._native.deploy_async(project, branch, commit)

    async def doctor(self, commands: Sequence[str] | None = None) -> dict[str, JSON]:
        """As :meth:`LookerClient.doctor`, awaited."""
        return await self._native.doctor_async(list(commands) if commands is not None else None)

    async def run_schedule(self, plan_id: str | int) -> dict[str, JSON]:
        """As :meth:`LookerClient.run_schedule`, awaited."""
        return await self._native.run_schedule_async(str(plan_id))

    async def trigger_datagroup(self, model: str, datagroup: str) -> dict[str, JSON]:
        """As :meth:`LookerClient.trigger_datagroup`, awaited."""
        return await self._native.trigger_datagroup_async(model, datagroup)

    def login_user(self, user_id: str | int) -> AsyncLookerClient:
        """A client acting as another user (sudo). Close it when done."""
        sudo = AsyncLookerClient.__new__(AsyncLookerClient)
        sudo._native = self._native.login_user(checked_user_id(user_id, "login_user()"))
        return sudo

    async def close(self) -> None:
        """Log out. Later calls raise :class:`looker_ci.errors.ClientClosedError`."""
        await self._native.close_async()

    async def __aenter__(self) -> AsyncLookerClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
