"""looker-ci: the Looker API 4.0 for CI jobs.

``LookerClient`` (sync, thread-safe) and ``AsyncLookerClient`` (asyncio) share one Rust core:
settings read like the official SDKs, a session token refreshed ahead of expiry by one shared
login, retries with backoff, and errors that never carry a secret.

Log records of the core go to the standard ``logging`` module under ``looker_ci_core.*``. Levels
are cached for speed: call :func:`refresh_logging` after changing them.
"""

from looker_ci import errors, gate
from looker_ci._client import AsyncLookerClient, LookerClient
from looker_ci._native import __version__, refresh_logging

__all__ = [
    "AsyncLookerClient",
    "LookerClient",
    "errors",
    "gate",
    "refresh_logging",
    "__version__",
]
