"""``python -m looker_ci``: the ``looker-ci`` command (the same Rust implementation as the
``looker-ci`` script the wheel installs and ``npx looker-ci``)."""

from __future__ import annotations

import sys

from looker_ci._native import run_cli


def main() -> None:
    sys.exit(run_cli(["looker-ci", *sys.argv[1:]]))


if __name__ == "__main__":
    main()
