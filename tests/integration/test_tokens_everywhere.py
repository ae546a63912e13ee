"""Every endpoint of every partner service, found from its URL map: a token that its issuer's key
does not verify, that is meant for another service or partner, or that has expired is a 401; a service
token opens only the endpoint of its own operation (403 elsewhere). And a partner's process does not
start without its partner's key."""
import subprocess
import sys
import time
import uuid

import jwt
import pytest

from samen030.kernel import keys
from samen030.kernel.operations import received_by
from samen030.kernel.tokens import audience, service_token
from samen030.registry import service_app
from tests.conftest import auth
from tests.endpoints import every_endpoint

A, B = "krachtstation", "zorgbelang"
VALUES = {name: str(uuid.uuid4()) for name in ("offer_id", "request_id", "member_id", "consent_id", "account_id",
                                               "referral_id")} | {"purpose": "contact_phone", "service_id": "x",
                                                                  "sal_id": "x", "organization_id": "x", "taxonomy_id": "x",
                                                                  "term_id": "x"}


def signed(claims: dict, key_of: str, kid_of: str | None = None, algorithm: str = "EdDSA") -> dict:
    key = keys.signing_key(key_of)
    token = jwt.encode({"iat": time.time(), "exp": time.time() + 600, "sub": "eve", **claims}, key.private_key,
                       algorithm=algorithm, headers={"kid": keys.signing_key(kid_of or key_of).kid})
    return {"Authorization": f"Bearer {token}"}


def refused_tokens(service: str) -> dict[str, dict]:
    mine = {"iss": A, "aud": audience(A, service), "role": "coordinator"}
    expired = jwt.decode(auth(A)["Authorization"][7:], options={"verify_signature": False})
    expired.update(iat=time.time() - 7200, exp=time.time() - 3600)
    other = "members" if service != "members" else "requests"
    return {
        "B's key, claiming to be A": signed(mine, key_of=B),
        "B's key under A's key id": signed(mine, key_of=B, kid_of=A),
        "expired": signed({**expired}, key_of=A),
        "A's token for another service": {"Authorization": f"Bearer {service_token(A, 'service:x', A, other, 'member.check')}"},
        "B's coordinator": auth(B),
        "no such issuer": signed({**mine, "iss": "nobody"}, key_of=A),
        "a scope that is not a name": signed({"iss": A, "aud": audience(A, service), "scope": ["member.check"]}, key_of=A),
        "an operation given as an object": signed({"iss": A, "aud": audience(A, service), "scope": {"x": 1}}, key_of=A),
        "an account that is not an id": signed({**mine, "acc": ["x"]}, key_of=A),
        "not signed": {"Authorization": "Bearer " + jwt.encode({**mine, "iat": time.time(), "exp": time.time() + 60,
                                                                 "sub": "eve"}, None, algorithm="none")},
    }


@pytest.fixture(params=["directory", "requests", "members"])
def service(request, databases, monkeypatch):
    if schema := databases.schema(A, request.param):
        monkeypatch.setenv("DATABASE_SCHEMA", schema)
    app = service_app(request.param, A, databases.url(A, request.param))
    app.config["TESTING"] = True
    databases.opened.append(app.extensions["samen030.db"])
    return request.param, app


def test_a_token_that_does_not_verify_is_refused_at_every_endpoint(service):
    name, app = service
    endpoints = every_endpoint(app, VALUES, ("/login",))
    assert len(endpoints) >= 8
    client = app.test_client()
    for what, headers in refused_tokens(name).items():
        for method, path in endpoints:
            response = getattr(client, method)(path, json={}, headers=headers)
            assert response.status_code == 401, (what, method, path, response.json)


def test_a_service_token_opens_only_its_own_operation(service):
    name, app = service
    client = app.test_client()
    scopes = received_by(name) or {"member.check": None}  # the directory receives no service calls
    for scope, operation in scopes.items():
        headers = {"Authorization": f"Bearer {service_token(A, 'service:test', A, name, scope)}"}
        for method, path in every_endpoint(app, VALUES, ("/login",)):
            rule = next(r.rule for r in app.url_map.iter_rules() if _fills(r.rule, path))
            if operation and (method.upper(), rule) == (operation.method, operation.rule):
                continue
            if name == "directory" and method == "get":
                continue  # public reads
            response = getattr(client, method)(path, json={}, headers=headers)
            assert response.status_code == 403, (scope, method, path, response.json)


def _fills(rule: str, path: str) -> bool:
    filled = rule
    for key, value in VALUES.items():
        filled = filled.replace(f"<{key}>", value)
    return filled == path


def test_without_its_key_a_partner_process_refuses_to_start(tmp_path):
    env = {"SAMEN030_KEYS": str(tmp_path / "no-keys"), "SAMEN030_VAR": str(tmp_path / "var"),
           "PATH": "/usr/bin:/bin"}
    for command in (["serve", "directory", "--partner", A, "--port", "1"], ["serve", "members", "--partner", A],
                    ["followup", "--partner", A], ["relay", "--partner", A]):
        done = subprocess.run([sys.executable, "-m", "samen030", *command], env=env, capture_output=True, text=True,
                              timeout=60)
        assert done.returncode != 0, command
        assert f"no signing key for partner '{A}'" in done.stderr and f"{A}.pem" in done.stderr, done.stderr
