"""Used by examples/gitlab-ci/.gitlab-ci.yml: show where the credentials came from, then check
that the job can reach Looker. Prints no secret."""

import looker_ci

with looker_ci.LookerClient.from_env() as client:
    print(client.describe()["summary"])
    me = client.me()
    print(f"connected to {client.base_url} as {me.get('display_name')}")
