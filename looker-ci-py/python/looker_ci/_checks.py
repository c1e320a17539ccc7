"""Argument checks shared by the clients and FakeLooker's controls."""

from __future__ import annotations

from looker_ci.errors import InvalidArgumentError


def user_id(value: object, what: str) -> str:
    """A user id as the core takes it: a string, or a non-negative integer. Anything else
    (``None``, a float, a bool) is refused rather than turned into text."""
    if isinstance(value, str) and value.strip():
        return value
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return str(value)
    raise InvalidArgumentError(
        f"invalid argument `user_id`: {what} expects a user id (a string or a non-negative "
        f"integer), got {type(value).__name__}",
        argument="user_id",
    )
