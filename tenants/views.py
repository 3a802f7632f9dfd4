"""Sign-in, second factor, sign-out and the account page (API tokens, TOTP enrolment)."""
from urllib.parse import urlsplit

import pyotp
from flask import (
    Blueprint,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user

from core import audit
from core.crypto import decrypt_text, encrypt
from core.errors import respond
from core.extensions import db, limiter
from core.i18n import localtime
from core.permissions import ROLE_ACTIONS
from core.tenancy import load, set_request_tenant
from core.timeutil import utcnow
from tenants import services, throttle
from tenants.auth import start_session
from tenants.forms import ROLE_LABELS, ConfirmForm, LoginForm, TokenForm, TotpForm
from tenants.models import ApiToken

bp = Blueprint("tenants", __name__, template_folder="templates")

PENDING_KEY = "pending_2fa_user"


def _login_limit():
    return current_app.config["RATELIMIT_LOGIN"]


def _safe_next(target):
    """Only same-site paths: `next` must never send a user to another site after sign-in."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _needs_totp(user):
    """A second factor is required for roles that may reveal reporter identity, when the tenant requires it."""
    may_reveal = any("tip.reveal" in ROLE_ACTIONS.get(m.role, ()) for m in user.memberships)
    return user.totp_enabled or (current_app.config["REQUIRE_TOTP"] and (may_reveal or user.is_platform_admin))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    form = LoginForm()
    if form.validate_on_submit():
        account = throttle.account_key(form.email.data)
        held = _held_back(account, throttle.ACCOUNT, account)
        if held is not None:
            return held
        user = services.authenticate(form.email.data, form.password.data)
        if user is None:
            known = services.user_by_email(form.email.data)
            throttle.note_failure(account, throttle.client_key())
            if known is not None:
                set_request_tenant(known.tenant_id)
            audit.record("auth.login_failed", tenant_id=known.tenant_id if known else None, actor=(None, ""),
                         details={"known_account": known is not None})
            db.session.commit()
            flash(_("E-mail hoặc mật khẩu không đúng."), "error")
            return render_template("tenants/login.html", form=form), 200
        throttle.forget(account)
        if _needs_totp(user):
            session.clear()  # nothing of the anonymous session carries into the signed-in one
            session[PENDING_KEY] = user.get_id()
            session["login_next"] = _safe_next(request.args.get("next"))
            db.session.commit()
            return redirect(url_for("tenants.second_factor"))
        return _complete_login(user, _safe_next(request.args.get("next")))
    return render_template("tenants/login.html", form=form)


def _held_back(key, rule, account):
    """A 429 while the client, or `key` of the account (unless this browser is the account's known device),
    must still wait after failed attempts; None when the attempt may go on. The same answer for any e-mail."""
    checks = [(throttle.client_key(), throttle.CLIENT)]
    if not throttle.known_device(account):
        checks.append((key, rule))
    wait = throttle.wait_seconds(checks)
    if not wait:
        return None
    return respond(429, _("Đăng nhập sai nhiều lần. Vui lòng thử lại sau %(seconds)s giây.", seconds=wait),
                   headers={"Retry-After": str(wait)})


def _complete_login(user, next_url):
    start_session(user)
    set_request_tenant(user.tenant_id)
    user.last_login_at = utcnow()
    audit.record("auth.login", target=user, tenant_id=user.tenant_id, actor=(user.id, user.email))
    # Read before the commit expires the user: a platform admin's row is not reloaded outside a tenant scope.
    account = throttle.account_key(user.email)
    db.session.commit()
    return throttle.remember_device(redirect(next_url or url_for("core.home")), account)


def _pending_user():
    from tenants.auth import load_user

    pending = session.get(PENDING_KEY)
    return load_user(pending) if pending else None


@bp.route("/login/totp", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def second_factor():
    user = _pending_user()
    if user is None:
        return redirect(url_for("tenants.login"))
    set_request_tenant(user.tenant_id)
    enrolling = not user.totp_enabled
    if enrolling and user.totp_secret is None:
        user.totp_secret = encrypt(pyotp.random_base32())
        db.session.commit()
    secret = decrypt_text(user.totp_secret)
    form = TotpForm()
    if form.validate_on_submit():
        held = _held_back(throttle.second_factor_key(user), throttle.SECOND_FACTOR, throttle.account_key(user.email))
        if held is not None:
            return held
        if services.verify_second_factor(user, form.code.data):
            if enrolling:
                user.totp_enabled = True
                audit.record("auth.totp_enrolled", target=user, actor=(user.id, user.email))
            return _complete_login(user, session.pop("login_next", None))
        throttle.note_failure(throttle.second_factor_key(user), throttle.client_key())
        audit.record("auth.totp_failed", target=user, actor=(user.id, user.email))
        db.session.commit()
        flash(_("Mã xác thực không đúng."), "error")
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name="Kết Nối") if enrolling else None
    return render_template("tenants/totp.html", form=form, enrolling=enrolling, secret=secret if enrolling else None,
                           uri=uri)


@bp.post("/logout")
@login_required
def logout():
    """Ends the session server-side: the session version moves on, so a copy of the cookie (and any other
    session of the account) stops working too."""
    audit.record("auth.logout", target=current_user)
    services.end_sessions(current_user)
    db.session.commit()
    logout_user()
    session.clear()
    return redirect(url_for("tenants.login"))


@bp.get("/app/account")
@login_required
def account():
    return _account_page()


def _account_page(new_token=None, status=200):
    tokens = services.active_tokens(current_user)
    response = make_response(render_template("tenants/account.html", tokens=tokens, form=TokenForm(formdata=None),
                                             confirm=ConfirmForm(), role_labels=ROLE_LABELS, new_token=new_token),
                             status)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/app/account/tokens")
@login_required
def create_token():
    form = TokenForm()
    if not form.validate_on_submit():
        return respond(422, fields=form.errors)
    secret, token = services.create_token(current_user, form.name.data)
    db.session.commit()
    # Shown once, in this response only: never stored in plaintext, never put in the session cookie.
    return _account_page(new_token=(secret, token))


@bp.post("/app/account/tokens/<int:token_id>/renew")
@login_required
def renew_token(token_id):
    token = load(ApiToken, token_id, user_id=current_user.id)
    if token is None:
        return respond(404)
    services.renew_token(token)
    db.session.commit()
    flash(_("Đã gia hạn token đến %(day)s.", day=localtime(token.expires_at, "dd/MM/yyyy")), "success")
    return redirect(url_for("tenants.account"))


@bp.post("/app/account/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id):
    token = load(ApiToken, token_id, user_id=current_user.id)
    if token is None:
        return respond(404)
    services.revoke_token(token)
    db.session.commit()
    flash(_("Đã thu hồi token."), "success")
    return redirect(url_for("tenants.account"))
