"""One Python client fetching the dashboard list, in its own process (so peak memory is its own):
`ours` (looker_ci `all_dashboards()`), `request` (looker_ci's generic
`request("GET", "/dashboards")`), `requests` (`requests.get(...).json()`) or `looker_sdk`
(`sdk.all_dashboards()`). Prints one JSON line: median and best seconds per call, peak RSS.

    python dashboards.py CLIENT BASE_URL ROUNDS
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any


def client(name: str, base_url: str) -> Callable[[], Any]:
    if name in ("ours", "request"):
        import looker_ci

        ours = looker_ci.LookerClient(
            base_url=base_url, client_id="bench", client_secret="bench"
        )
        if name == "request":
            return lambda: ours.request("GET", "/dashboards")
        return ours.all_dashboards
    if name == "requests":
        import requests

        session = requests.Session()
        token = session.post(
            f"{base_url}/api/4.0/login",
            data={"client_id": "bench", "client_secret": "bench"},
        ).json()["access_token"]
        session.headers["Authorization"] = f"Bearer {token}"
        return lambda: session.get(f"{base_url}/api/4.0/dashboards").json()
    if name == "looker_sdk":
        os.environ.update(
            LOOKERSDK_BASE_URL=base_url,
            LOOKERSDK_CLIENT_ID="bench",
            LOOKERSDK_CLIENT_SECRET="bench",
            LOOKERSDK_VERIFY_SSL="false",
        )
        import looker_sdk

        sdk = looker_sdk.init40()
        return sdk.all_dashboards
    raise SystemExit(f"unknown client {name}")


def main() -> None:
    name, base_url, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
    fetch = client(name, base_url)
    count = len(fetch())  # warm-up: login, connection, imports
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        result = fetch()
        times.append(time.perf_counter() - started)
        del result
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "client": name,
                "dashboards": count,
                "median_s": statistics.median(times),
                "best_s": min(times),
                "peak_rss_mib": peak_kib / 1024,
            }
        )
    )


if __name__ == "__main__":
    main()
