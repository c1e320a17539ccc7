"""`import looker_ci` stays light: the generated TypedDicts are for type checkers only."""

from __future__ import annotations

import subprocess
import sys


def test_import_does_not_execute_the_models_module() -> None:
    code = "import sys, looker_ci; print('looker_ci.models' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert out.stdout.strip() == "False"


def test_the_models_stay_importable_for_annotations() -> None:
    from looker_ci import models

    user: models.User = {"id": "1", "display_name": "Ada"}
    assert user["id"] == "1"
