"""Validation of staff accounts and logins. Passwords are load-only: no answer ever carries one."""
from marshmallow import Schema, ValidationError, fields, validate

from samen030.kernel.web import Text

from .accounts import MAX_PASSWORD, ROLES, password_problem

USERNAME = validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9._%+@-]{2,199}\Z",
                           error="Must be 3 to 200 letters, digits or . _ % + @ - (e.g. an e-mail address).")


def _password(value: str) -> None:
    if problem := password_problem(value):
        raise ValidationError(problem)


def _uuid(value: str) -> None:
    import uuid
    try:
        uuid.UUID(value)
    except ValueError:
        raise ValidationError("Must be a member id (a UUID).") from None


def _role():
    return validate.OneOf(ROLES, error="Must be one of: {choices}.")


class AccountSchema(Schema):
    id = fields.String(dump_only=True)
    partner = fields.String(dump_only=True)
    username = Text(required=True, validate=USERNAME, metadata={"description": "the login, unique at the partner; "
                                                                              "stored in lower case"})
    password = Text(required=True, load_only=True, validate=_password,
                    metadata={"description": "the initial password, at least 10 characters; never returned"})
    role = fields.String(required=True, validate=_role(), metadata={"description": "coordinator or volunteer"})
    display_name = Text(allow_none=True, load_default=None, validate=validate.Length(max=200))
    member_id = fields.String(allow_none=True, load_default=None, validate=_uuid,
                              metadata={"description": "the member this person is, if any"})
    active = fields.Boolean(dump_only=True)
    disabled_at = fields.DateTime(dump_only=True)
    last_login_at = fields.DateTime(dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)
    updated_by = fields.String(dump_only=True)


class AccountChangeSchema(Schema):
    role = fields.String(validate=_role())
    display_name = Text(allow_none=True, validate=validate.Length(max=200))
    member_id = fields.String(allow_none=True, validate=_uuid)


class AccountQuerySchema(Schema):
    role = fields.String(validate=_role())
    active = fields.Boolean()


class PasswordResetSchema(Schema):
    password = Text(required=True, load_only=True, validate=_password,
                    metadata={"description": "the new password, at least 10 characters"})


class AccountStatusSchema(Schema):
    account_id = fields.String()
    active = fields.Boolean()
    role = fields.String()
    sessions_since_ms = fields.Integer(metadata={"description": "tokens issued before this moment "
                                                                "(ms since the epoch) no longer count"})


class LoginSchema(Schema):
    # Only lengths are checked here: a login never says which part was wrong.
    username = Text(required=True, validate=validate.Length(min=1, max=200))
    password = Text(required=True, load_only=True, validate=validate.Length(min=1, max=MAX_PASSWORD))


class TokenSchema(Schema):
    token = fields.String()
    token_type = fields.String()
    expires_at = fields.DateTime()
    account_id = fields.String()
    partner = fields.String()
    role = fields.String()


class OwnPasswordSchema(LoginSchema):
    new_password = Text(required=True, load_only=True, validate=_password)
