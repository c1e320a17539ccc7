"""``python -m looker_ci``: the ``looker-ci`` command (the same Rust implementation as the
``looker-ci`` script the wheel installs and ``npx looker-ci``)."""

from __future__ import annotations

import signal
import sys
import threading

from looker_ci._native import run_cli


def main() -> None:
    if threading.current_thread() is threading.main_thread():
        # The command handles SIGINT itself: it restores the Looker branch and exits with 130.
        # Python's handler would also take note and raise KeyboardInterrupt once it returned.
        signal.signal(signal.SIGINT, signal.SIG_DFL)
    sys.exit(run_cli(["looker-ci", *sys.argv[1:]]))


if __name__ == "__main__":
    main()
