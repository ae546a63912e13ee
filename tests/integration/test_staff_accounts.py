"""Staff accounts on real databases (SQLite and PostgreSQL), with the members service served over HTTP
so the partner's directory and requests services check tokens against it: create, log in, use the
token everywhere, disable (login and existing tokens refused), enable, the last coordinator, roles and
password resets ending sessions, another partner, bad input, and passwords never shown."""
import json

import pytest
from sqlalchemy import func, select

from samen030.kernel.auth import Principal, issue_token
from samen030.kernel.config import load_federation
from samen030.kernel.tokens import audience, verify
from samen030.members.accounts import LOGIN_REFUSED
from samen030.members.tables import accounts, metadata, outbox
from tests.conftest import auth
from tests.live import City

A, B = "krachtstation", "powerbypeers"
PASSWORD = "lange-zin met spaties 42"
OFFER = {"name": "Taalcafé", "category": "informatie", "buurt": "BU03440832"}


def read_token(token: str) -> Principal:
    return Principal.of(verify(token, audience(A, "members"), load_federation(), A))


@pytest.fixture
def city(databases, monkeypatch, tmp_path):
    monkeypatch.setenv("SAMEN030_ACCOUNT_CHECK_SECONDS", "0")  # every request asks; tests of the window set it
    city = City(databases, monkeypatch, tmp_path, {A: ("members", "directory", "requests"), B: ("members",)})
    city.start(A, "members")
    city.start(B, "members")
    yield city
    city.close()


@pytest.fixture
def members_app(databases, monkeypatch):
    """A's members service alone, in-process: enough where no other service takes part."""
    from samen030.members.app import create_app
    if schema := databases.schema(A, "members"):
        monkeypatch.setenv("DATABASE_SCHEMA", schema)
    app = create_app(A, databases.url(A, "members"), {"TESTING": True})
    databases.opened.append(app.extensions["samen030.db"])
    return app


def members(city, partner=A):
    return city.client(partner, "members")


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def create(city, username, role="coordinator", partner=A, headers=None, **fields):
    response = members(city, partner).post("/accounts", json={"username": username, "password": PASSWORD, "role": role,
                                                               **fields}, headers=headers or auth(partner))
    assert response.status_code == 201, response.json
    return response.json


def login(city, username, password=PASSWORD, partner=A):
    return members(city, partner).post("/login", json={"username": username, "password": password})


def token_of(city, username, password=PASSWORD, partner=A) -> dict:
    response = login(city, username, password, partner)
    assert response.status_code == 200, response.json
    return bearer(response.json["token"])


def works_everywhere(city, headers) -> dict[str, int]:
    """The status at each service of A: members (read), directory (a write), requests (a read)."""
    return {"members": members(city).get("/accounts", headers=headers).status_code,
            "directory": city.client(A, "directory").post("/offers", json=OFFER, headers=headers).status_code,
            "requests": city.client(A, "requests").get("/requests", headers=headers).status_code}


ALL_OK = {"members": 200, "directory": 201, "requests": 200}
ALL_REFUSED = {"members": 401, "directory": 401, "requests": 401}


def test_a_coordinator_logs_in_and_the_token_works_at_every_service_of_the_partner(city):
    account = create(city, "Anna.de.Vries@Example.nl", display_name="Anna de Vries")
    assert (account["username"], account["role"], account["active"], account["partner"]) == \
        ("anna.de.vries@example.nl", "coordinator", True, A)
    assert "password" not in account and "password_hash" not in account

    answer = login(city, "  ANNA.de.vries@example.nl ")
    assert answer.status_code == 200, answer.json
    assert (answer.json["account_id"], answer.json["role"], answer.json["partner"]) == (account["id"], "coordinator", A)
    principal = read_token(answer.json["token"])
    assert (principal.partner, principal.role, principal.user, principal.account) == (A, "coordinator", account["id"], account["id"])
    assert 11.9 * 3600 < principal.expires - principal.issued_ms / 1000 <= 12 * 3600
    claims = json.dumps(principal.__dict__)
    assert "anna" not in claims.lower() and "vries" not in claims.lower()  # tokens appear in logs: ids only

    headers = bearer(answer.json["token"])
    assert works_everywhere(city, headers) == ALL_OK
    shown = members(city).get(f"/accounts/{account['id']}", headers=headers).json
    assert shown["last_login_at"] and shown["display_name"] == "Anna de Vries"
    created = members(city).post("/members", json={"type": "person", "kind": "bewoner", "membership_number": "KK-1",
                                                   "name": "X"}, headers=headers)
    assert created.status_code == 201, created.json


def test_a_disabled_account_cannot_log_in_and_its_tokens_stop_working(city):
    anna, bob = create(city, "anna@example.nl"), create(city, "bob@example.nl")
    annas, bobs = token_of(city, "anna@example.nl"), token_of(city, "bob@example.nl")
    assert works_everywhere(city, bobs) == ALL_OK

    disabled = members(city).post(f"/accounts/{bob['id']}/disable", headers=annas)
    assert disabled.status_code == 200 and disabled.json["active"] is False and disabled.json["disabled_at"]
    assert works_everywhere(city, bobs) == ALL_REFUSED
    refused = members(city).get("/accounts", headers=bobs)
    assert "disabled" in refused.json["message"]

    # the same answer whichever part was wrong: no one learns which usernames exist
    answers = [login(city, "bob@example.nl"), login(city, "anna@example.nl", "wrong password!"),
               login(city, "nobody@example.nl")]
    assert {(r.status_code, r.json["message"]) for r in answers} == {(401, LOGIN_REFUSED)}
    assert members(city).post(f"/accounts/{bob['id']}/disable", headers=annas).status_code == 200  # again: no change

    enabled = members(city).post(f"/accounts/{bob['id']}/enable", headers=annas)
    assert enabled.status_code == 200 and enabled.json["active"] is True and enabled.json["disabled_at"] is None
    assert works_everywhere(city, bobs) == ALL_REFUSED  # tokens from before stay void
    assert works_everywhere(city, token_of(city, "bob@example.nl")) == ALL_OK
    assert works_everywhere(city, annas) == ALL_OK


def test_the_other_services_learn_of_a_disabled_account_within_the_check_window(city, monkeypatch):
    create(city, "anna@example.nl")
    bob = create(city, "bob@example.nl")
    bobs = token_of(city, "bob@example.nl")
    monkeypatch.setenv("SAMEN030_ACCOUNT_CHECK_SECONDS", "30")
    assert works_everywhere(city, bobs) == ALL_OK  # the directory and requests services now know bob for 30 s
    members(city).post(f"/accounts/{bob['id']}/disable", headers=auth(A))
    # inside the window: the members service knows at once, the others still use their answer
    assert works_everywhere(city, bobs) == {"members": 401, "directory": 201, "requests": 200}
    monkeypatch.setenv("SAMEN030_ACCOUNT_CHECK_SECONDS", "0")  # the window has passed
    assert works_everywhere(city, bobs) == ALL_REFUSED


def test_when_the_members_service_is_down_the_last_answer_counts_for_a_while_then_503(city, monkeypatch):
    create(city, "anna@example.nl")
    annas = token_of(city, "anna@example.nl")
    assert works_everywhere(city, annas) == ALL_OK
    city.stop(A, "members")
    directory = city.client(A, "directory")
    assert directory.post("/offers", json=OFFER, headers=annas).status_code == 201  # the answer of a moment ago
    monkeypatch.setenv("SAMEN030_ACCOUNT_STALE_SECONDS", "0")  # the last answer is too old now: fail closed
    down = directory.post("/offers", json=OFFER, headers=annas)
    assert down.status_code == 503 and "members service" in down.json["message"] and "krachtstation" in down.json["message"]
    assert city.client(A, "requests").get("/requests", headers=annas).status_code == 503
    # tokens without an account (operators, services) do not depend on the members service
    assert directory.post("/offers", json=OFFER, headers=auth(A)).status_code == 201
    city.start(A, "members")
    assert directory.post("/offers", json=OFFER, headers=annas).status_code == 201


def test_the_last_active_coordinator_cannot_be_disabled_or_demoted(city):
    anna = create(city, "anna@example.nl")
    annas = token_of(city, "anna@example.nl")
    for headers in (annas, auth(A)):
        alone = members(city).post(f"/accounts/{anna['id']}/disable", headers=headers)
        assert alone.status_code == 409 and "last active coordinator" in alone.json["message"]
        demoted = members(city).patch(f"/accounts/{anna['id']}", json={"role": "volunteer"}, headers=headers)
        assert demoted.status_code == 409
    volunteer = create(city, "vera@example.nl", role="volunteer")
    assert members(city).post(f"/accounts/{anna['id']}/disable", headers=annas).status_code == 409  # volunteers don't count
    bob = create(city, "bob@example.nl")
    assert members(city).post(f"/accounts/{anna['id']}/disable", headers=annas).status_code == 200
    bobs = token_of(city, "bob@example.nl")
    assert members(city).post(f"/accounts/{bob['id']}/disable", headers=bobs).status_code == 409
    assert members(city).post(f"/accounts/{volunteer['id']}/disable", headers=bobs).status_code == 200
    listed = members(city).get("/accounts?role=coordinator&active=true", headers=bobs).json
    assert [a["username"] for a in listed["items"]] == ["bob@example.nl"]
    assert members(city).get("/accounts?active=false", headers=bobs).json["total_items"] == 2


def test_volunteers_log_in_but_may_do_nothing_yet_and_changes_end_sessions(city):
    create(city, "anna@example.nl")
    vera = create(city, "vera@example.nl", role="volunteer")
    veras = token_of(city, "vera@example.nl")
    assert read_token(veras["Authorization"][7:]).role == "volunteer"
    assert works_everywhere(city, veras) == {"members": 403, "directory": 403, "requests": 403}
    assert city.client(A, "directory").get("/offers", headers=veras).status_code == 200  # public reads stay public

    promoted = members(city).patch(f"/accounts/{vera['id']}", json={"role": "coordinator"}, headers=auth(A))
    assert promoted.status_code == 200 and promoted.json["role"] == "coordinator"
    stale = members(city).get("/accounts", headers=veras)  # the token still says volunteer: refused
    assert stale.status_code == 403
    veras = token_of(city, "vera@example.nl")
    assert works_everywhere(city, veras) == ALL_OK

    reset = members(city).post(f"/accounts/{vera['id']}/password", json={"password": "een nieuw wachtwoord"},
                               headers=auth(A))
    assert reset.status_code == 200 and "password" not in reset.json
    assert works_everywhere(city, veras) == ALL_REFUSED
    assert login(city, "vera@example.nl").status_code == 401
    assert login(city, "vera@example.nl", "een nieuw wachtwoord").status_code == 200

    own = members(city).post("/login/password", json={"username": "vera@example.nl", "password": "een nieuw wachtwoord",
                                                      "new_password": "mijn eigen wachtwoord"})
    assert own.status_code == 204
    assert login(city, "vera@example.nl", "een nieuw wachtwoord").status_code == 401
    assert login(city, "vera@example.nl", "mijn eigen wachtwoord").status_code == 200
    wrong = members(city).post("/login/password", json={"username": "vera@example.nl", "password": "not it at all",
                                                        "new_password": "mijn eigen wachtwoord"})
    assert wrong.status_code == 401 and wrong.json["message"] == LOGIN_REFUSED


def test_a_changed_role_is_refused_even_where_the_token_would_be_enough(city):
    create(city, "anna@example.nl")
    bob = create(city, "bob@example.nl")
    bobs = token_of(city, "bob@example.nl")
    members(city).patch(f"/accounts/{bob['id']}", json={"role": "volunteer"}, headers=auth(A))
    refused = city.client(A, "directory").post("/offers", json=OFFER, headers=bobs)
    assert refused.status_code == 401 and "role" in refused.json["message"]


def test_another_partners_coordinator_can_neither_see_nor_change_our_accounts(city):
    anna = create(city, "anna@example.nl")
    create(city, "bea@example.nl", partner=B)
    # another partner's tokens are not meant for A's services (401); A's own viewer may not (403)
    outsiders = [(auth(B), 401), (token_of(city, "bea@example.nl", partner=B), 401), (auth(A, role="viewer"), 403),
                 (auth("samen030", "viewer"), 401)]
    calls = [("get", "/accounts", None), ("post", "/accounts", {"username": "eve@example.nl", "password": PASSWORD,
                                                                "role": "coordinator"}),
             ("get", f"/accounts/{anna['id']}", None), ("patch", f"/accounts/{anna['id']}", {"role": "volunteer"}),
             ("post", f"/accounts/{anna['id']}/disable", None), ("post", f"/accounts/{anna['id']}/enable", None),
             ("post", f"/accounts/{anna['id']}/password", {"password": "overgenomen!!"}),
             ("get", f"/accounts/{anna['id']}/status", None)]
    for headers, status in outsiders:
        for method, path, body in calls:
            response = getattr(members(city), method)(path, json=body, headers=headers)
            assert response.status_code == status, (method, path, response.json)
            assert "anna" not in response.get_data(as_text=True)
    for method, path, body in calls:
        assert getattr(members(city), method)(path, json=body).status_code == 401
    # B's members service does not know A's accounts, and a login there is B's own
    assert members(city, B).get(f"/accounts/{anna['id']}", headers=auth(B)).status_code == 404
    assert login(city, "anna@example.nl", partner=B).status_code == 401
    assert members(city).get(f"/accounts/{anna['id']}", headers=auth(A)).json["active"] is True
    # a token of B's account is B's: at A's services it is refused
    beas = token_of(city, "bea@example.nl", partner=B)
    assert works_everywhere(city, beas) == ALL_REFUSED


@pytest.mark.parametrize(("body", "field"), [
    ({"password": PASSWORD, "role": "coordinator"}, "username"),
    ({"username": "x", "password": PASSWORD, "role": "coordinator"}, "username"),
    ({"username": "met spatie@example.nl", "password": PASSWORD, "role": "coordinator"}, "username"),
    ({"username": "nul\x00@example.nl", "password": PASSWORD, "role": "coordinator"}, "username"),
    ({"username": "a" * 201, "password": PASSWORD, "role": "coordinator"}, "username"),
    ({"username": "eve@example.nl\n", "password": PASSWORD, "role": "coordinator"}, "username"),  # "$" let it through
    ({"username": 42, "password": PASSWORD, "role": "coordinator"}, "username"),
    ({"username": "eve@example.nl", "role": "coordinator"}, "password"),
    ({"username": "eve@example.nl", "password": "kort", "role": "coordinator"}, "password"),
    ({"username": "eve@example.nl", "password": " " * 12, "role": "coordinator"}, "password"),
    ({"username": "eve@example.nl", "password": "x" * 201, "role": "coordinator"}, "password"),
    ({"username": "eve@example.nl", "password": PASSWORD, "role": "admin"}, "role"),
    ({"username": "eve@example.nl", "password": PASSWORD}, "role"),
    ({"username": "eve@example.nl", "password": PASSWORD, "role": "viewer"}, "role"),
    ({"username": "eve@example.nl", "password": PASSWORD, "role": "volunteer", "member_id": "lid 7"}, "member_id"),
    ({"username": "eve@example.nl", "password": PASSWORD, "role": "volunteer",
      "member_id": "00000000-0000-4000-8000-000000000000"}, "member_id"),
    ({"username": "eve@example.nl", "password": PASSWORD, "role": "volunteer", "display_name": "x" * 201}, "display_name"),
    ({"username": "eve@example.nl", "password": PASSWORD, "role": "volunteer", "is_admin": True}, "is_admin"),
])
def test_bad_accounts_are_refused_naming_the_field(members_app, body, field):
    client = members_app.test_client()
    response = client.post("/accounts", json=body, headers=auth(A))
    assert response.status_code == 422, response.json
    assert field in response.json["errors"]["json"]
    assert PASSWORD not in response.get_data(as_text=True)
    assert client.get("/accounts", headers=auth(A)).json["total_items"] == 0


def test_usernames_are_unique_at_the_partner_whatever_the_case_and_other_bad_requests(city):
    anna = create(city, "anna@example.nl")
    taken = members(city).post("/accounts", json={"username": "ANNA@example.nl", "password": PASSWORD,
                                                  "role": "volunteer"}, headers=auth(A))
    assert taken.status_code == 422 and "username" in taken.json["errors"]["json"]
    assert create(city, "anna@example.nl", partner=B)["username"] == "anna@example.nl"  # another partner's own
    member = members(city).post("/members", json={"type": "person", "kind": "vrijwilliger", "membership_number": "KK-7",
                                                  "name": "Vera"}, headers=auth(A)).json
    linked = create(city, "vera@example.nl", role="volunteer", member_id=member["id"])
    assert linked["member_id"] == member["id"]
    cases = [("patch", f"/accounts/{anna['id']}", {}, 422, "_schema"),
             ("patch", f"/accounts/{anna['id']}", {"role": "boss"}, 422, "role"),
             ("patch", f"/accounts/{anna['id']}", {"member_id": "00000000-0000-4000-8000-000000000000"}, 422, "member_id"),
             ("patch", f"/accounts/{anna['id']}", {"username": "other"}, 422, "username"),
             ("post", f"/accounts/{anna['id']}/password", {"password": "kort"}, 422, "password"),
             ("post", f"/accounts/{anna['id']}/password", {}, 422, "password"),
             ("get", "/accounts?role=boss", None, 422, "role"),
             ("get", "/accounts?active=maybe", None, 422, "active"),
             ("get", "/accounts?per_page=0", None, 422, "per_page")]
    for method, path, body, status, field in cases:
        response = getattr(members(city), method)(path, json=body, headers=auth(A))
        assert response.status_code == status, (path, body, response.json)
        assert field in json.dumps(response.json["errors"]), (path, response.json)
    for path in ("/accounts/nope", "/accounts/00000000-0000-4000-8000-000000000000",
                 "/accounts/00000000-0000-4000-8000-000000000000/status"):
        assert members(city).get(path, headers=auth(A)).status_code == 404
    for action in ("disable", "enable"):
        assert members(city).post(f"/accounts/nope/{action}", headers=auth(A)).status_code == 404
    for body, field in [({}, "username"), ({"username": "anna@example.nl"}, "password"),
                        ({"username": "anna@example.nl", "password": ["x"]}, "password"),
                        ({"username": "anna@example.nl", "password": "x" * 201}, "password")]:
        response = members(city).post("/login", json=body)
        assert response.status_code == 422 and field in response.json["errors"]["json"]
    assert members(city).post("/login", data="not json", content_type="application/json").status_code in (400, 422)
    assert members(city).post("/login/password", json={"username": "anna@example.nl", "password": PASSWORD,
                                                       "new_password": "kort"}).status_code == 422
    assert members(city).get("/login").status_code == 405


def test_passwords_are_never_shown_stored_in_clear_or_put_on_the_bus(city):
    seen = []
    account = create(city, "anna@example.nl")
    headers = token_of(city, "anna@example.nl")
    client = members(city)
    seen += [client.get("/accounts", headers=headers), client.get(f"/accounts/{account['id']}", headers=headers),
             client.patch(f"/accounts/{account['id']}", json={"display_name": "Anna"}, headers=headers),
             client.post(f"/accounts/{account['id']}/password", json={"password": PASSWORD + "!"}, headers=auth(A)),
             client.post("/login", json={"username": "anna@example.nl", "password": PASSWORD + "!"}),
             client.get("/openapi.json")]
    for response in seen:
        text = response.get_data(as_text=True)
        assert PASSWORD not in text and "password_hash" not in text and "scrypt" not in text and "pbkdf2" not in text
    assert seen[-1].json["components"]["schemas"]["Account"]["properties"]["password"]["writeOnly"] is True
    db = city.apps[(A, "members")].extensions["samen030.db"]
    with db.connect() as conn:
        stored = " ".join(str(v) for table in metadata.sorted_tables for row in conn.execute(select(table)) for v in row)
        assert conn.execute(select(func.count()).select_from(outbox)).scalar_one() == 0  # accounts make no events
        hashes = conn.execute(select(accounts.c.password_hash)).scalars().all()
    assert PASSWORD not in stored and all(h.startswith(("scrypt:", "pbkdf2:")) for h in hashes)


def test_operator_tokens_without_an_account_work_and_expired_ones_do_not(city):
    assert works_everywhere(city, auth(A)) == ALL_OK  # `samen030 token`: no account, signed with the key
    assert works_everywhere(city, auth(A, user="service:requests")) == ALL_OK
    account = create(city, "anna@example.nl")
    expired = bearer(issue_token(A, "coordinator", account["id"], account=account["id"], seconds=-60))
    refused = members(city).get("/accounts", headers=expired)
    assert refused.status_code == 401 and "expired" in refused.json["message"]
    assert city.client(A, "directory").post("/offers", json=OFFER, headers=expired).status_code == 401
    unknown = bearer(issue_token(A, "coordinator", "x", account="00000000-0000-4000-8000-000000000000"))
    assert works_everywhere(city, unknown) == ALL_REFUSED


def test_the_first_coordinator_is_made_on_the_command_line(city, databases, monkeypatch, capsys):
    from samen030.cli import main
    for name, value in databases.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SAMEN030_ACCOUNT_PASSWORD", PASSWORD)
    main(["account", "create", "--partner", A, "--username", "Eerste@Example.nl", "--display-name", "De eerste"])
    out = capsys.readouterr().out
    assert "coordinator" in out and PASSWORD not in out and "eerste" not in out.lower()
    assert works_everywhere(city, token_of(city, "eerste@example.nl")) == ALL_OK
    with pytest.raises(SystemExit) as taken:
        main(["account", "create", "--partner", A, "--username", "eerste@example.nl"])
    assert "username" in str(taken.value)
    monkeypatch.setenv("SAMEN030_ACCOUNT_PASSWORD", "kort")
    with pytest.raises(SystemExit) as short:
        main(["account", "create", "--partner", A, "--username", "tweede@example.nl"])
    assert "password" in str(short.value) and "kort" not in str(short.value)
    assert members(city).get("/accounts", headers=auth(A)).json["total_items"] == 1


def test_erasing_a_member_erases_their_account_too(city):
    member = members(city).post("/members", headers=auth(A), json={
        "type": "person", "kind": "vrijwilliger", "membership_number": "KK-77", "name": "Joke Smit"}).json
    account = create(city, "joke.smit@example.nl", role="volunteer", member_id=member["id"], display_name="Joke Smit")
    assert login(city, "joke.smit@example.nl").status_code == 200
    assert members(city).post(f"/members/{member['id']}/erase", headers=auth(A)).status_code == 200
    assert login(city, "joke.smit@example.nl").status_code == 401
    shown = members(city).get(f"/accounts/{account['id']}", headers=auth(A)).json
    assert shown["disabled_at"] and shown.get("display_name") is None
    assert "joke" not in json.dumps(shown).lower()
