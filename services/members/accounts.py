"""Staff accounts: the partner's coordinators and volunteers who log in. Usernames, display names and
password hashes stay in this database; no event is emitted (nobody outside the partner needs them).
Tokens name the account by its id only. Disabling an account, resetting its password or changing its
role ends its sessions: tokens issued before `sessions_since` no longer count (kernel/account_status.py)."""
import uuid
from datetime import datetime, timezone
from functools import cache

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from samen030.kernel.account_status import AccountStatus
from samen030.kernel.database import Database

from .tables import accounts, members

ROLES = ("coordinator", "volunteer")
MIN_PASSWORD = 10
MAX_PASSWORD = 200
LOGIN_REFUSED = ("Gebruikersnaam of wachtwoord klopt niet, of het account is uitgeschakeld "
                 "(wrong username or password, or the account is disabled).")


@cache
def _no_one() -> str:
    """Compared against when the username is unknown, so that an unknown user costs as much as a wrong password."""
    return generate_password_hash("no such account: the same work as a real one")


class InvalidAccount(Exception):
    def __init__(self, errors: dict):
        super().__init__(str(errors))
        self.errors = errors


class LastCoordinator(Exception):
    def __init__(self):
        super().__init__("Dit is het laatste actieve coördinatoraccount van de partner: maak eerst een ander "
                         "coördinatoraccount aan (this is the partner's last active coordinator account: create "
                         "another coordinator account first, or nobody could manage accounts any more).")


def normalise_username(username: str) -> str:
    return username.strip().lower()


def password_problem(password: str) -> str | None:
    if len(password) < MIN_PASSWORD:
        return f"Must be at least {MIN_PASSWORD} characters."
    if len(password) > MAX_PASSWORD:
        return f"Must be at most {MAX_PASSWORD} characters."
    if not password.strip():
        return "Must not be only spaces."
    return None


def hash_password(password: str) -> str:
    if problem := password_problem(password):
        raise InvalidAccount({"password": [problem]})
    return generate_password_hash(password)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _taken() -> InvalidAccount:
    return InvalidAccount({"username": ["Deze gebruikersnaam is al in gebruik (this username is taken)."]})


def create_account(db: Database, fields: dict, user: str) -> dict:
    now = _now()
    account = {"id": str(uuid.uuid4()), "username": normalise_username(fields["username"]),
               "password_hash": hash_password(fields["password"]), "role": fields["role"],
               "member_id": fields.get("member_id"), "display_name": fields.get("display_name"),
               "disabled_at": None, "sessions_since": now, "last_login_at": None,
               "created_at": now, "updated_at": now, "updated_by": user}
    try:
        with db.begin() as conn:
            _check_member(conn, account["member_id"])
            if conn.execute(select(accounts.c.id).where(accounts.c.username == account["username"])).first():
                raise _taken()
            conn.execute(insert(accounts), account)
            return load_account(conn, account["id"])
    except IntegrityError:  # the same username at the same moment
        raise _taken() from None


def change_account(db: Database, account_id: str, changes: dict, user: str) -> dict | None:
    """Role, display name or member; a change of role ends the account's sessions."""
    with db.begin() as conn:
        current = _lock(conn, account_id)
        if current is None:
            return None
        if "member_id" in changes:
            _check_member(conn, changes["member_id"])
        values = {**changes, "updated_at": _now(), "updated_by": user}
        if changes.get("role", current["role"]) != current["role"]:
            if current["role"] == "coordinator" and current["disabled_at"] is None:
                _refuse_last_coordinator(conn, account_id)
            values["sessions_since"] = values["updated_at"]
        conn.execute(update(accounts).where(accounts.c.id == account_id).values(values))
        return load_account(conn, account_id)


def disable_account(db: Database, account_id: str, user: str) -> dict | None:
    with db.begin() as conn:
        current = _lock(conn, account_id)
        if current is None or current["disabled_at"] is not None:
            return current
        if current["role"] == "coordinator":
            _refuse_last_coordinator(conn, account_id)
        now = _now()
        conn.execute(update(accounts).where(accounts.c.id == account_id).values(
            disabled_at=now, sessions_since=now, updated_at=now, updated_by=user))
        return load_account(conn, account_id)


def enable_account(db: Database, account_id: str, user: str) -> dict | None:
    """Enabled again; tokens from before it was disabled stay void."""
    with db.begin() as conn:
        current = _lock(conn, account_id)
        if current is None or current["disabled_at"] is None:
            return current
        conn.execute(update(accounts).where(accounts.c.id == account_id).values(
            disabled_at=None, updated_at=_now(), updated_by=user))
        return load_account(conn, account_id)


def set_password(db: Database, account_id: str, password: str, user: str) -> dict | None:
    """A new password (a coordinator's reset, or the person's own change); ends the account's sessions."""
    password_hash = hash_password(password)
    with db.begin() as conn:
        if _lock(conn, account_id) is None:
            return None
        now = _now()
        conn.execute(update(accounts).where(accounts.c.id == account_id).values(
            password_hash=password_hash, sessions_since=now, updated_at=now, updated_by=user))
        return load_account(conn, account_id)


def authenticate(db: Database, username: str, password: str) -> dict | None:
    """The active account with this username and password, its last login recorded; None otherwise,
    whichever of the three was wrong."""
    with db.connect() as conn:
        row = conn.execute(select(accounts).where(accounts.c.username == normalise_username(username))).mappings().first()
    if row is None:
        check_password_hash(_no_one(), password)
        return None
    if not check_password_hash(row["password_hash"], password) or row["disabled_at"] is not None:
        return None
    with db.begin() as conn:
        conn.execute(update(accounts).where(accounts.c.id == row["id"]).values(last_login_at=_now()))
        return load_account(conn, row["id"])


def status(db: Database, account_id: str) -> AccountStatus | None:
    """What other services need to judge a token of this account."""
    try:
        account_id = str(uuid.UUID(account_id))
    except ValueError:
        return None
    with db.connect() as conn:
        row = conn.execute(select(accounts.c.role, accounts.c.disabled_at, accounts.c.sessions_since)
                           .where(accounts.c.id == account_id)).first()
    if row is None:
        return None
    return AccountStatus(row.disabled_at is None, row.role, epoch_ms(row.sessions_since))


def epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def get_account(db: Database, account_id: str) -> dict | None:
    with db.connect() as conn:
        return load_account(conn, account_id)


def find_accounts(db: Database, page: int, per_page: int, role: str | None = None,
                  active: bool | None = None) -> tuple[list[dict], int]:
    where = []
    if role:
        where.append(accounts.c.role == role)
    if active is not None:
        where.append(accounts.c.disabled_at.is_(None) if active else accounts.c.disabled_at.is_not(None))
    with db.connect() as conn:
        total = conn.execute(select(func.count()).select_from(accounts).where(*where)).scalar_one()
        rows = conn.execute(select(accounts).where(*where).order_by(accounts.c.username)
                            .limit(per_page).offset((page - 1) * per_page)).mappings()
        return [_public(row) for row in rows], total


def load_account(conn: Connection, account_id: str) -> dict | None:
    row = conn.execute(select(accounts).where(accounts.c.id == account_id)).mappings().first()
    return _public(row) if row else None


def _lock(conn: Connection, account_id: str) -> dict | None:
    row = conn.execute(select(accounts).where(accounts.c.id == account_id).with_for_update()).mappings().first()
    return _public(row) if row else None


def _refuse_last_coordinator(conn: Connection, account_id: str) -> None:
    """Locks every active coordinator account (PostgreSQL; SQLite's write transactions are serial), so two
    coordinators disabling each other at once cannot both succeed."""
    active = conn.execute(select(accounts.c.id).where(accounts.c.role == "coordinator", accounts.c.disabled_at.is_(None))
                          .with_for_update()).scalars().all()
    if set(active) <= {account_id}:
        raise LastCoordinator()


def _check_member(conn: Connection, member_id: str | None) -> None:
    if member_id is not None and not conn.execute(select(members.c.id).where(members.c.id == member_id)).first():
        raise InvalidAccount({"member_id": ["Geen lid met dit id bij deze partner (no such member)."]})


def _public(row) -> dict:
    account = dict(row)
    del account["password_hash"]
    account["active"] = account["disabled_at"] is None
    return account
