"""Start moto (IAM, STS, Secrets Manager) on 127.0.0.1 for the tests of every language.

Seeds a role that may read one secret holding a Looker API key, a role that may not, then
switches SigV4 checking on, so every Secrets Manager call must be signed with credentials that
STS issued. ``AssumeRoleWithWebIdentity`` stays unsigned, as it is on AWS (the web identity
token is the credential); moto cannot verify that token, which the tests do not rely on.

Usage: python moto_peer.py FIXTURE.json   (writes the fixture, then serves until terminated)
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import signal
import sys
import threading
import urllib.request

import boto3
from moto.core.authorization import ActionAuthenticatorMixin
from moto.server import ThreadedMotoServer

REGION = "us-east-1"
ISSUER = "gitlab.example.test"

_check = ActionAuthenticatorMixin._authenticate_and_authorize_action


def _check_unless_web_identity(self, iam_request_cls, resource="*"):  # type: ignore[no-untyped-def]
    if self._get_action() == "AssumeRoleWithWebIdentity":
        return None
    return _check(self, iam_request_cls, resource)


ActionAuthenticatorMixin._authenticate_and_authorize_action = _check_unless_web_identity  # type: ignore[method-assign]


def main(fixture_path: str) -> None:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    port = server._server.server_port  # type: ignore[union-attr]
    url = f"http://127.0.0.1:{port}"
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "seed")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "seed")
    iam = boto3.client("iam", endpoint_url=url, region_name=REGION)
    sm = boto3.client("secretsmanager", endpoint_url=url, region_name=REGION)
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": f"arn:aws:iam::123456789012:oidc-provider/{ISSUER}"},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {"StringEquals": {f"{ISSUER}:aud": "sts.amazonaws.com"}},
            }
        ],
    }
    role = iam.create_role(RoleName="looker-ci", AssumeRolePolicyDocument=json.dumps(trust))
    denied = iam.create_role(RoleName="looker-ci-denied", AssumeRolePolicyDocument=json.dumps(trust))
    client_secret = secrets.token_urlsafe(24)
    sm.create_secret(
        Name="looker-ci/looker-api-key",
        SecretString=json.dumps({"client_id": "looker-ci-e2e", "client_secret": client_secret}),
    )
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            # moto authorizes every action against resource "*", so the ARN cannot be named here.
            {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}
        ],
    }
    iam.put_role_policy(
        RoleName="looker-ci", PolicyName="read-looker-key", PolicyDocument=json.dumps(policy)
    )
    # From here on every request must be signed by an identity moto knows.
    reset = urllib.request.Request(
        f"{url}/moto-api/reset-auth", data=b"0", headers={"Content-Type": "text/plain"}
    )
    urllib.request.urlopen(reset).close()
    fixture = {
        "url": url,
        "region": REGION,
        "issuer": f"https://{ISSUER}",
        "role_arn": role["Role"]["Arn"],
        "denied_role_arn": denied["Role"]["Arn"],
        "secret_id": "looker-ci/looker-api-key",
        "client_id": "looker-ci-e2e",
        "client_secret": client_secret,
    }
    tmp = fixture_path + ".tmp"
    with open(tmp, "w") as handle:
        json.dump(fixture, handle)
    os.replace(tmp, fixture_path)
    print(f"moto peer on {url}", flush=True)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    server.stop()


if __name__ == "__main__":
    main(sys.argv[1])
