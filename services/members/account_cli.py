"""`samen030 account create`: a staff account made straight in the partner's members database, for the
first coordinator (after that, coordinators manage accounts over `/accounts`). The password comes from
SAMEN030_ACCOUNT_PASSWORD or is asked twice on the terminal; it is never printed."""
import getpass
import os
import sys

PASSWORD_ENV = "SAMEN030_ACCOUNT_PASSWORD"


def add_arguments(parser) -> None:
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = actions.add_parser("create", help="create a staff account (e.g. a partner's first coordinator)")
    create.add_argument("--partner", required=True)
    create.add_argument("--username", required=True, help="the login, e.g. an e-mail address")
    create.add_argument("--role", default="coordinator", choices=["coordinator", "volunteer"])
    create.add_argument("--display-name")
    create.add_argument("--member-id", help="the member this person is, if any")


def _password() -> str:
    if password := os.environ.get(PASSWORD_ENV):
        return password
    if not sys.stdin.isatty():
        sys.exit(f"samen030 account: set {PASSWORD_ENV} or run on a terminal to be asked for the password")
    first = getpass.getpass("Wachtwoord (password, at least 10 characters): ")
    if getpass.getpass("Nogmaals (again): ") != first:
        sys.exit("samen030 account: the two passwords differ; nothing was created")
    return first


def run(args) -> None:
    from marshmallow import ValidationError

    from samen030.kernel.config import load_federation
    from samen030.kernel.database import open_database

    from . import accounts
    from .account_schemas import AccountSchema
    from .tables import metadata

    load_federation().partner(args.partner)  # an unknown partner is a ConfigError, before anything is made
    fields = {"username": args.username, "role": args.role, "password": _password(),
              "display_name": args.display_name, "member_id": args.member_id}
    try:
        fields = AccountSchema().load(fields)
        account = accounts.create_account(open_database(args.partner, "members", metadata), fields, "cli")
    except ValidationError as exc:
        sys.exit(f"samen030 account: {_errors(exc.messages)}; nothing was created")
    except accounts.InvalidAccount as exc:
        sys.exit(f"samen030 account: {_errors(exc.errors)}; nothing was created")
    print(f"account {account['id']} ({account['role']}) created at {args.partner}: "
          f"log in with POST /login at its members service")


def _errors(errors: dict) -> str:
    return "; ".join(f"{field}: {' '.join(map(str, messages))}" for field, messages in errors.items())
