"""looker-ci quickstart (Python): log in, call me() from many threads across a token expiry,
log out, print a summary. Runs against LOOKERSDK_* / looker.ini when set, else a FakeLooker.

    pip install ./looker-ci-py && python examples/quickstart/quickstart.py
"""

from __future__ import annotations

import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import looker_ci
from looker_ci.testing import FakeLooker

THREADS = 16


def main() -> int:
    fake = None
    if os.environ.get("LOOKERSDK_BASE_URL") or os.path.exists("looker.ini"):
        print("looker-ci quickstart (Python) against the configured Looker instance")
        client = looker_ci.LookerClient.from_env()
        duration = 3.0
    else:
        fake = FakeLooker()
        fake.set_token_lifetime(2)  # short tokens, so the run crosses two expiries
        print(f"looker-ci quickstart (Python) against an embedded FakeLooker at {fake.base_url}")
        client = looker_ci.LookerClient(
            base_url=fake.base_url, client_id=fake.client_id, client_secret=fake.client_secret
        )
        duration = 4.5

    with client:
        me = client.me()
        print(f"  logged in as: {me.get('display_name')} (user id {me.get('id')})")
        deadline = time.monotonic() + duration

        def worker(_: int) -> tuple[int, int]:
            ok = failed = 0
            while time.monotonic() < deadline:
                try:
                    client.me()
                    ok += 1
                except looker_ci.errors.LookerCIError as error:
                    failed += 1
                    print(f"  call failed: {error}", file=sys.stderr)
            return ok, failed

        with ThreadPoolExecutor(THREADS) as pool:
            results = list(pool.map(worker, range(THREADS)))
    calls = sum(ok for ok, _ in results)
    errors = sum(failed for _, failed in results)
    stats = client.stats()
    print(f"  {calls} me() calls from {THREADS} threads in {duration:.1f}s, {errors} errors")
    print(f"  logins: {stats['logins']}, re-authentications after 401: {stats['reauthentications']}")
    if fake is not None:
        seen = fake.counters()
        print(
            f"  FakeLooker saw {seen['logins']} logins, {seen['logouts']} logouts, "
            f"{fake.live_tokens()} live tokens left"
        )
        fake.stop()
    print("  logged out: yes")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
