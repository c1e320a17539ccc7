"""Exceptions raised by looker-ci.

Every exception derives from :class:`LookerCIError` and carries a stable ``code`` plus the
fields of the core error (HTTP status, method, path, Looker's message...). None of them ever
holds a secret.
"""

from __future__ import annotations

import builtins
from typing import Any


class LookerCIError(Exception):
    """Base class of every looker-ci error. ``code`` is stable across Rust, Python and Node."""

    code: str = "LOOKER_CI"

    def __init__(self, message: str, **fields: Any) -> None:
        super().__init__(message)
        self.message = message
        for name, value in fields.items():
            setattr(self, name, value)


class ConfigError(LookerCIError):
    """A setting is missing or invalid; ``setting`` and ``origin`` say which and from where."""

    code = "LOOKER_CI_CONFIG"
    setting: str
    origin: str


class ApiError(LookerCIError):
    """Looker answered with an error status."""

    code = "LOOKER_CI_API"
    status: int
    method: str
    path: str
    api_message: str
    documentation_url: str | None
    request_id: str | None
    #: Looker's per-field validation errors (422): ``[{"field", "code", "message"}]``.
    field_errors: list[dict[str, str]]
    #: What the error means and what to do, where looker-ci knows more than Looker says
    #: (e.g. a rejected API key, which Looker answers with a bare 404).
    hint: str | None


class TimeoutError(LookerCIError, builtins.TimeoutError):  # noqa: A001 - mirrors the builtin
    """The request did not finish within the configured ``timeout``."""

    code = "LOOKER_CI_TIMEOUT"
    method: str
    path: str
    timeout_secs: float


class RedirectError(LookerCIError):
    """The server answered with a redirect, which looker-ci never follows (it could carry a
    secret to another origin). ``location`` says where it pointed (never its query)."""

    code = "LOOKER_CI_REDIRECT"
    method: str
    path: str
    status: int
    location: str


class ConnectionError(LookerCIError, builtins.ConnectionError):  # noqa: A001
    """The connection failed after all retries."""

    code = "LOOKER_CI_CONNECTION"
    method: str
    path: str


class DecodeError(LookerCIError):
    """The reply could not be decoded."""

    code = "LOOKER_CI_DECODE"
    method: str
    path: str


class CredentialsError(LookerCIError):
    """A credential provider could not produce credentials."""

    code = "LOOKER_CI_CREDENTIALS"
    provider: str


class InvalidArgumentError(LookerCIError, ValueError):
    """An argument is invalid; ``argument`` names it."""

    code = "LOOKER_CI_INVALID_ARGUMENT"
    argument: str


class ClientClosedError(LookerCIError):
    """The client was closed; create a new one."""

    code = "LOOKER_CI_CLOSED"


class InternalError(LookerCIError):
    """A bug stopped the call (a panic in looker-ci or in a credential callback); nothing shared
    was left half-done, so the next call starts afresh. Please report it."""

    code = "LOOKER_CI_INTERNAL"


class CancelledError(LookerCIError):
    """The operation was cancelled (SIGINT/SIGTERM from a CI runner) after cleaning up what it
    had changed in Looker (a temporary branch, the user's checked-out branch)."""

    code = "LOOKER_CI_CANCELLED"


class NativeCause(Exception):
    """The lower-level cause of an error (e.g. the socket error), chained as ``__cause__``."""


_BY_CODE: dict[str, type[LookerCIError]] = {
    cls.code: cls
    for cls in (
        ConfigError,
        ApiError,
        TimeoutError,
        ConnectionError,
        RedirectError,
        DecodeError,
        CredentialsError,
        InvalidArgumentError,
        ClientClosedError,
        CancelledError,
        InternalError,
    )
}


def _from_native(details: dict[str, Any]) -> LookerCIError:
    """Build the exception for an error of the native core (called from Rust)."""
    fields = dict(details)
    code = fields.pop("code", "LOOKER_CI")
    message = fields.pop("message", "looker-ci error")
    cause = fields.pop("cause", None)
    error = _BY_CODE.get(code, LookerCIError)(message, **fields)
    if cause:
        error.__cause__ = NativeCause(cause)
    return error


__all__ = [
    "ApiError",
    "ClientClosedError",
    "ConfigError",
    "ConnectionError",
    "CredentialsError",
    "DecodeError",
    "InternalError",
    "CancelledError",
    "InvalidArgumentError",
    "LookerCIError",
    "NativeCause",
    "RedirectError",
    "TimeoutError",
]
