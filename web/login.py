"""The sign-in and sign-out pages (``/login``, ``/logout``).

``POST /login`` checks the name and password through
:func:`citygrid.services.accounts.users.authenticate`. Failed sign-ins are
counted per account name and per client address (successful ones are not);
once either count reaches the configured number within the window, further
tries get 429 with the time to try again (see
:mod:`citygrid.web.error_handlers`). After signing in the user goes to the
page they asked for (``next``), which must be a path on this site.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, Response, g, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import UserMixin, current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import Field, HiddenField, PasswordField, StringField, ValidationError

from citygrid.errors import Unauthorized
from citygrid.i18n import translate
from citygrid.services.accounts import passwords, users
from citygrid.services.accounts.users import MAX_NAME, User
from citygrid.web.state import request_context


class SessionUser(UserMixin):  # type: ignore[misc]
    """The signed-in user of a session, as Flask-Login wants it."""

    def __init__(self, user: User) -> None:
        self.user = user

    def get_id(self) -> str:
        """``STAMP:NAME``: the session ends when the user's password, role or scope change
        (:attr:`~citygrid.services.accounts.users.User.session_stamp`)."""
        return f"{self.user.session_stamp}:{self.user.name}"


class LoginForm(FlaskForm):  # type: ignore[misc]
    """User name and password, with the CSRF token; messages in the request's language."""

    username = StringField()
    password = PasswordField()
    next = HiddenField()

    def validate_username(self, field: Field) -> None:
        """Refuse an empty or overlong name."""
        _check_length(
            field, "Enter your user name.", "A user name has at most {limit} characters.", MAX_NAME
        )

    def validate_password(self, field: Field) -> None:
        """Refuse an empty or overlong password."""
        _check_length(
            field,
            "Enter your password.",
            "A password has at most {limit} characters.",
            passwords.MAX_LENGTH,
        )


def _check_length(field: Field, empty: str, overlong: str, limit: int) -> None:
    text = field.data or ""
    if not text.strip():
        raise ValidationError(translate(empty))
    if len(text) > limit:
        raise ValidationError(translate(overlong, limit=limit))


def blueprint(limiter: Limiter, failures: str) -> Blueprint:
    """The pages, with ``failures`` (``"9 per 15 minutes"``) per account name and address."""
    bp = Blueprint("auth", __name__)
    counted = {"methods": ["POST"], "deduct_when": _failed}
    per_address = limiter.limit(failures, key_func=_address, **counted)  # type: ignore[arg-type]
    per_account = limiter.limit(failures, key_func=_account, **counted)  # type: ignore[arg-type]
    bp.add_url_rule("/login", "login", per_account(per_address(sign_in)), methods=["GET", "POST"])
    bp.add_url_rule("/logout", "logout", sign_out, methods=["POST"])
    return bp


def sign_in() -> ResponseReturnValue:
    """Show the form (GET); sign in and go on to ``next`` (POST)."""
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
        if current_user.is_authenticated:
            return redirect(_target(form.next.data))
        return render_template("login.html", form=form)
    if not form.validate():
        return render_template("login.html", form=form), 400
    ctx = request_context()
    try:
        users.authenticate(ctx, form.username.data, form.password.data)
    except Unauthorized as error:
        g.login_failed = True
        return render_template("login.html", form=form, error=error.message()), 401
    user = users.get_user(ctx, form.username.data)
    session.clear()
    session.permanent = True
    login_user(SessionUser(user))
    return redirect(_target(form.next.data))


def sign_out() -> ResponseReturnValue:
    """End the session and show the sign-in page."""
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))


def safe_next(target: str | None) -> str | None:
    """``target`` when it is a path on this site (``/map?x=1``), else None.

    Refuses absolute and scheme-relative URLs (``https://evil``, ``//evil``,
    ``/\\evil``) and control characters, so ``next`` cannot send a user
    elsewhere after signing in.
    """
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    if any(ord(ch) < 32 or ord(ch) == 127 or ch == "\\" for ch in target):
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


def _target(asked: str | None) -> str:
    return safe_next(asked) or url_for("pages.map_page")


def _failed(_response: Response) -> bool:
    return bool(g.get("login_failed"))


def _address() -> str:
    return f"address:{get_remote_address()}"


def _account() -> str:
    return f"account:{request.form.get('username', '').strip()[:MAX_NAME]}"
