"""A CI gate in Python: validate the LookML project, run its data tests, validate content, and
deploy to production only if all three are clean. Against LOOKERSDK_* when set, else an embedded
FakeLooker. Every call is a generated method named like the API operation.

    pip install ./looker-ci-py && python examples/ci-workflow/ci_workflow.py
"""

from __future__ import annotations

import os
import sys

import looker_ci
from looker_ci.testing import FakeLooker


def main() -> int:
    project = os.environ.get("LOOKER_PROJECT", "thelook")
    fake = None if os.environ.get("LOOKERSDK_BASE_URL") else FakeLooker()
    if fake is not None:
        client = looker_ci.LookerClient(
            base_url=fake.base_url, client_id=fake.client_id, client_secret=fake.client_secret
        )
    else:
        client = looker_ci.LookerClient.from_env()
    with client:
        errors = client.validate_project(project)["errors"]
        tests = client.run_lookml_test(project)
        failed = [t["test_name"] for t in tests if not t["success"]]
        broken = client.content_validation()["content_with_errors"]
        print(f"LookML errors: {len(errors)}, failed data tests: {len(failed)}, broken content: {len(broken)}")
        if errors or failed or broken:
            return 1
        client.deploy_ref_to_production(project, branch="main")
        print("deployed main to production")
    return 0


if __name__ == "__main__":
    sys.exit(main())
