"""scripts/check_snippets.py: which snippets it runs, and how it runs them."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import check_snippets  # the script is not a package: imported from its directory

GUIDE = """# A guide

```python
print("runs")
```

<!-- snippet: no-run (needs AWS) -->
```python
print("parsed only")
```

<!-- snippet: no-run (needs AWS) -->

Some text, so the comment is not the fence's.

```js
console.log('runs too')
```
"""


def test_a_no_run_comment_right_before_a_fence_skips_only_that_snippet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = tmp_path / "guide.md"
    doc.write_text(GUIDE)
    monkeypatch.setattr(check_snippets, "DOCS", [doc])
    monkeypatch.setattr(check_snippets, "ROOT", tmp_path)
    python = check_snippets.snippets("python")
    assert [(s.where, s.no_run) for s in python] == [
        ("guide.md:3", None),
        ("guide.md:8", "needs AWS"),
    ]
    (js,) = check_snippets.snippets("js")
    assert js.no_run is None


def test_snippets_run_with_the_fakes_settings_and_nothing_of_the_callers_ci(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CI_COMMIT_SHA", "0" * 40)
    monkeypatch.setenv("LOOKER_CI_OIDC_TOKEN_FILE", "/nope")
    env = check_snippets.snippet_env({"LOOKERSDK_BASE_URL": "http://127.0.0.1:1"})
    assert env["LOOKERSDK_BASE_URL"] == "http://127.0.0.1:1"
    assert "CI_COMMIT_SHA" not in env and "LOOKER_CI_OIDC_TOKEN_FILE" not in env
    assert env["PATH"]


def test_a_snippet_that_fails_or_prints_a_secret_fails(tmp_path: Path) -> None:
    ok = tmp_path / "ok.py"
    ok.write_text(
        "import looker_ci\n"
        "with looker_ci.LookerClient.from_env() as c:\n"
        "    print(c.me()['display_name'])\n"
    )
    assert check_snippets.run_against_fake("ok", [sys.executable, str(ok)], tmp_path)
    leak = tmp_path / "leak.py"
    leak.write_text(
        "import os, looker_ci\n"
        "with looker_ci.LookerClient.from_env() as c:\n"
        "    c.me()\n"
        "print(os.environ['LOOKERSDK_CLIENT_SECRET'])\n"
    )
    assert not check_snippets.run_against_fake("leak", [sys.executable, str(leak)], tmp_path)
    failing = tmp_path / "failing.py"
    failing.write_text("raise SystemExit(3)\n")
    assert not check_snippets.run_against_fake("failing", [sys.executable, str(failing)], tmp_path)
