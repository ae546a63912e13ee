"""Keys and tokens: each partner signs with its own Ed25519 key; a token counts only where its
issuer's key verifies it, for the service it names, until it expires."""
import json
import os
import time

import jwt
import pytest

from samen030.kernel import keys
from samen030.kernel.auth import Principal, issue_token
from samen030.kernel.config import Federation, Partner
from samen030.kernel.tokens import InvalidToken, audience, service_token, verify

A, B = "zorgbelang", "krachtstation"
CITY = Federation("http://gw", "nats://x", {p: Partner(p, p, {"members": f"http://127.0.0.1:9/{p}"}) for p in (A, B)},
                  source=None)


@pytest.fixture
def key_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("SAMEN030_KEYS", str(tmp_path / "keys"))
    keys.create(A)
    keys.create(B)
    return tmp_path / "keys"


def check(token, partner=A, service="members"):
    return Principal.of(verify(token, audience(partner, service), CITY, partner))


def test_a_partners_key_is_its_own_pem_and_its_public_keys_are_a_jwks(key_folder):
    pem = (key_folder / f"{A}.pem").read_bytes()
    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----") and oct((key_folder / f"{A}.pem").stat().st_mode)[-3:] == "600"
    [jwk] = json.loads((key_folder / f"{A}.jwks.json").read_text())["keys"]
    assert jwk["kty"] == "OKP" and jwk["crv"] == "Ed25519" and "d" not in jwk  # public only
    assert jwk["kid"] == keys.thumbprint(jwk) == keys.signing_key(A).kid
    assert keys.create(A) == jwk["kid"]  # made once


def test_the_thumbprint_is_rfc_7638():
    # RFC 8037 appendix A.3: the thumbprint of the example Ed25519 key
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
    assert keys.thumbprint(jwk) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"


def test_a_user_token_carries_the_registered_claims(key_folder):
    token = issue_token(A, "volunteer", "anna", account="acc-1")
    header, claims = jwt.get_unverified_header(token), jwt.decode(token, options={"verify_signature": False})
    assert header["alg"] == "EdDSA" and header["kid"] == keys.signing_key(A).kid
    assert claims["iss"] == A and claims["sub"] == "anna" and claims["role"] == "volunteer" and claims["acc"] == "acc-1"
    assert audience(A, "requests") in claims["aud"] and claims["exp"] - claims["iat"] == pytest.approx(12 * 3600, abs=1)
    principal = check(token)
    assert (principal.partner, principal.role, principal.user, principal.account) == (A, "volunteer", "anna", "acc-1")


def test_a_token_signed_with_another_partners_key_does_not_count(key_folder):
    forged = jwt.encode({"iss": A, "sub": "eve", "aud": audience(A, "members"), "role": "coordinator",
                         "iat": time.time(), "exp": time.time() + 60},
                        keys.signing_key(B).private_key, algorithm="EdDSA", headers={"kid": keys.signing_key(B).kid})
    with pytest.raises(InvalidToken, match="no key"):
        check(forged)
    own_kid = jwt.encode(jwt.decode(forged, options={"verify_signature": False}), keys.signing_key(B).private_key,
                         algorithm="EdDSA", headers={"kid": keys.signing_key(A).kid})
    with pytest.raises(InvalidToken, match="Signature verification failed"):
        check(own_kid)


def test_expired_wrong_audience_tampered_and_unknown_issuer_do_not_count(key_folder):
    with pytest.raises(InvalidToken) as expired:
        check(issue_token(A, "coordinator", "anna", seconds=-10))
    assert expired.value.expired
    with pytest.raises(InvalidToken, match="not meant for this service"):
        check(issue_token(B, "coordinator", "bob"), partner=A)  # B's token at A's service: wrong audience first
    token = issue_token(A, "coordinator", "anna")
    with pytest.raises(InvalidToken):
        check(token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB"))
    with pytest.raises(InvalidToken, match="not a partner"):
        check(jwt.encode({"iss": "nobody", "sub": "x"}, keys.signing_key(A).private_key, algorithm="EdDSA",
                         headers={"kid": "k"}))
    with pytest.raises(InvalidToken, match="EdDSA"):
        check(jwt.encode({"iss": A, "sub": "x"}, "a shared secret of at least thirty-two bytes!!", algorithm="HS256"))


def test_a_service_token_names_one_operation_for_one_service_and_lives_a_minute(key_folder):
    token = service_token(A, "service:requests", A, "members", "member.consent")
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["aud"] == audience(A, "members") and claims["scope"] == "member.consent"
    assert claims["exp"] - claims["iat"] <= 60
    assert check(token).scope == "member.consent" and check(token).role is None
    with pytest.raises(InvalidToken, match="not meant"):
        check(token, service="requests")
    long_lived = jwt.encode({**claims, "exp": claims["iat"] + 3600}, keys.signing_key(A).private_key,
                            algorithm="EdDSA", headers={"kid": keys.signing_key(A).kid})
    with pytest.raises(InvalidToken, match="at most 60"):
        check(long_lived)


def test_rotation_keeps_earlier_tokens_until_the_key_is_retired(key_folder):
    before = issue_token(A, "coordinator", "anna")
    old_kid = keys.signing_key(A).kid
    new_kid = keys.rotate(A)
    after = issue_token(A, "coordinator", "anna")
    assert new_kid != old_kid and jwt.get_unverified_header(after)["kid"] == new_kid
    assert [k["kid"] for k in keys.published(A)["keys"]] == [new_kid, old_kid]
    assert check(before).user == check(after).user == "anna"
    with pytest.raises(Exception, match="current key"):
        keys.retire(A, new_kid)
    keys.retire(A, old_kid)
    with pytest.raises(InvalidToken, match="no key"):
        check(before)
    assert check(after).user == "anna"


def test_without_its_key_a_partner_cannot_sign_and_is_told_what_is_missing(tmp_path, monkeypatch):
    monkeypatch.setenv("SAMEN030_KEYS", str(tmp_path / "empty"))
    with pytest.raises(keys.MissingKey, match=r"samen030 keys create --partner zorgbelang"):
        issue_token(A, "coordinator", "anna")
    assert not os.listdir(tmp_path / "empty")


def test_unknown_role_is_refused(key_folder):
    with pytest.raises(ValueError):
        issue_token(A, "admin", "eve")


def test_only_a_coordinator_of_the_owner_may_write(key_folder):
    coordinator = check(issue_token(A, "coordinator", "anna"))
    assert coordinator.may_write(A) and not coordinator.may_write(B)
    assert not check(issue_token(A, "volunteer", "bob")).may_write(A)
