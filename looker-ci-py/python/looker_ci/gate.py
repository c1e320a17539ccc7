"""The CI gate's types: what ``LookerClient.validate`` takes and returns, and report rendering.

The result is a plain ``dict`` (the documented ``--json`` document of docs/ci.md); these
``TypedDict`` types describe it for type checkers and editors.
"""

from __future__ import annotations

import json
from typing import Literal, TypedDict

from looker_ci._native import render_report as _render_report

Validator = Literal["lookml", "sql", "assert", "content"]
Severity = Literal["info", "warning", "error", "fatal"]
ReportFormat = Literal["json", "junit", "codequality", "github", "markdown", "text"]


class ValidateOptions(TypedDict, total=False):
    """Keyword arguments of ``validate``; ``project`` is required. See docs/ci.md."""

    project: str
    branch: str | None
    commit: str | None
    explores: list[str]
    concurrency: int
    query_timeout: float | None
    fail_fast: bool
    skip_hidden: bool
    dimensions_only: bool
    chunk_size: int
    poll_interval: float
    shard: str | None
    shard_timings: str | None
    severity: Severity | None
    folders: list[str]
    exclude_folders: list[str]
    exclude_personal: bool
    incremental: str | None
    import_refs: dict[str, str]
    path_prefix: str | None


class Finding(TypedDict, total=False):
    """One problem; keys that do not apply to a validator are absent."""

    severity: Severity
    scope: Literal["lookml", "field", "join", "explore", "test", "content"]
    message: str
    model: str
    explore: str
    field: str
    fields: list[str]
    view: str
    file: str
    line: int
    sql: str
    test: str
    content_type: str
    content_id: str
    title: str
    folder: str
    dashboard_id: str
    dashboard_title: str
    url: str


class Counts(TypedDict):
    explores_checked: int
    fields_checked: int
    queries_run: int
    queries_cancelled: int
    tests_run: int
    content_checked: int
    api_requests: int
    findings: int
    findings_existing_on_target: int
    seconds: float


class ImportedRef(TypedDict, total=False):
    """An imported project's code during the validation (docs/ci.md, "Imported projects")."""

    project: str
    kind: Literal["branch", "production", "ref", "remote"]
    name: str
    commit: str


class GitRef(TypedDict, total=False):
    kind: Literal["production", "branch", "commit"]
    name: str
    commit: str
    imports: list[ImportedRef]


class _CheckedExploreRequired(TypedDict):
    model: str
    explore: str
    status: Literal["passed", "failed", "skipped", "timed_out", "unchecked"]
    fields: int
    queries: int
    seconds: float


class CheckedExplore(_CheckedExploreRequired, total=False):
    """One explore checked; ``query_seconds`` (its queries' time in Looker, summed) is absent
    when no query ran."""

    query_seconds: float


class Shard(TypedDict):
    index: int
    total: int


class _ValidationResultRequired(TypedDict):
    format_version: int
    validator: Validator
    project: str
    ref: GitRef
    passed: bool
    findings: list[Finding]
    counts: Counts


class ValidationResult(_ValidationResultRequired, total=False):
    """The result of one validation (``format_version`` 1)."""

    explores: list[CheckedExplore]
    shard: Shard
    split: str
    incremental_target: str
    path_prefix: str


def render_report(result: ValidationResult, format: ReportFormat) -> str:
    """The result as JSON, JUnit XML, GitLab Code Quality JSON, GitHub annotations, Markdown or
    the human summary (the same renderings as the ``looker-ci`` command writes)."""
    return _render_report(json.dumps(result), format)


__all__ = [
    "CheckedExplore",
    "Counts",
    "Finding",
    "GitRef",
    "ImportedRef",
    "ReportFormat",
    "Severity",
    "Shard",
    "ValidateOptions",
    "ValidationResult",
    "Validator",
    "render_report",
]
