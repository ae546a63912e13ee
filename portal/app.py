"""The shared web portal's Flask app: server-rendered pages on the federation's HTTP APIs, Dutch first
(message catalogues in translations/), CSRF on every form, a Content-Security-Policy without inline
script or style, nothing loaded from another host. It keeps no database."""
import os
import secrets
from pathlib import Path

from flask import Flask, render_template, request
from flask_babel import Babel
from flask_wtf.csrf import CSRFError, CSRFProtect

from samen030.kernel.config import load_federation, var_dir
from samen030.kernel.keys import write_private

from . import city_figures, i18n, labels, residents, staff, staff_accounts, staff_members, staff_offers, staff_requests

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
       "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
SECURITY_HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff",
                    "Referrer-Policy": "same-origin", "X-Frame-Options": "DENY",
                    "Permissions-Policy": "geolocation=(), camera=(), microphone=()"}
LOCAL_HOSTS = ("http://127.0.0.1", "http://localhost", "http://[::1]")


def create_app(federation=None, config: dict | None = None) -> Flask:
    app = Flask(__name__)
    federation = federation or load_federation()
    app.config.update(
        FEDERATION=federation, MAX_CONTENT_LENGTH=64 * 1024,
        SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_NAME="samen030",
        SESSION_COOKIE_SECURE=not federation.portal_url.startswith(LOCAL_HOSTS),  # https everywhere but here
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session: a slow typist is no attacker
        BABEL_DEFAULT_LOCALE="nl", BABEL_DEFAULT_TIMEZONE="Europe/Amsterdam", BABEL_TRANSLATION_DIRECTORIES=str(Path(__file__).parent / "translations"),
        SEND_FILE_MAX_AGE_DEFAULT=3600,
    )
    app.config.update(config or {})
    app.secret_key = app.config.get("SECRET_KEY") or _secret_key()
    Babel(app, locale_selector=i18n.locale)
    CSRFProtect(app)
    app.jinja_env.globals.update(i18n.template_globals())
    app.jinja_env.filters["spoken"] = i18n.spoken_language
    app.jinja_env.filters["shared_word"] = lambda code: labels.word(labels.SHARED, code)
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    app.jinja_env.globals.update(labels=labels, word=labels.word, moment=staff.moment, staff_partner=staff.partner_name)
    app.register_blueprint(residents.bp)
    app.register_blueprint(staff.bp)
    app.register_blueprint(city_figures.bp)
    app.register_blueprint(staff_offers.bp)
    app.register_blueprint(staff_members.bp)
    app.register_blueprint(staff_accounts.bp)
    app.register_blueprint(staff_requests.bp)

    @app.after_request
    def secure(response):
        response.headers.update(SECURITY_HEADERS)
        if request.endpoint != "static":
            response.headers.setdefault("Cache-Control", "no-store")  # a resident's answers are not cached
        return response

    @app.errorhandler(CSRFError)
    def csrf_refused(error):
        return render_template("error.html", status=400, title=i18n.gettext("Dit formulier is verlopen"),
                               message=i18n.gettext(
                                   "Om je te beschermen sturen we een formulier alleen met de beveiligingscode die "
                                   "we erin zetten, en die ontbrak of klopte niet. Ga terug, laad de pagina opnieuw "
                                   "en verstuur het formulier nog een keer. Wat je had ingevuld is niet verstuurd.")), 400

    for status, title in ((404, "Deze pagina bestaat niet"), (405, "Dat kan hier niet"),
                          (413, "Dat is te veel tekst"), (400, "Dat begrijpen we niet")):
        app.register_error_handler(status, _error_page(status, title))

    @app.get("/health")
    def health():
        return {"status": "ok"}
    return app


def _error_page(status: int, title: str):
    def page(_error):
        return render_template("error.html", status=status, title=i18n.gettext(title),
                               message=i18n.gettext("Ga naar de startpagina en probeer het opnieuw.")), status
    return page


def _secret_key() -> str:
    """The key that signs the portal's session and CSRF tokens: SAMEN030_PORTAL_SECRET_KEY, else made
    once and kept in var/ (0600), so that a restart does not void the forms residents have open."""
    if key := os.environ.get("SAMEN030_PORTAL_SECRET_KEY"):
        return key
    path = var_dir() / "portal" / "secret_key"
    if not path.exists():
        write_private(path, secrets.token_urlsafe(48))
    return path.read_text().strip()
