from functools import wraps

from flask import abort, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from eventhub.activity import Done
from eventhub.addresses import email_key
from eventhub.auth import bp, services, sessions
from eventhub.auth.forms import LoginForm, PasswordChangeForm, PasswordResetForm, UserCreateForm
from eventhub.auth.models import User
from eventhub.errors import DomainError
from eventhub.extensions import db, limiter, login_manager
from eventhub.routing import commit_change
from eventhub.urls import safe_next

# Probes and static files never read the session (load balancers send no cookie anyway).
_SESSIONLESS_ENDPOINTS = {"static", "healthz", "readyz"}


@bp.before_app_request
def check_session():
    """Load the signed-in user before the route runs, so that the occasional last-seen write
    commits nothing but itself (the loader otherwise runs whenever ``current_user`` is first
    read, possibly halfway through a route's own changes)."""
    if request.endpoint in _SESSIONLESS_ENDPOINTS:
        return
    g.session_check = True
    current_user._get_current_object()


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    row = sessions.load_session(session_id)
    if row is None:
        return None
    if g.pop("session_check", False) and sessions.needs_touch(row):
        try:
            sessions.touch(row)
            db.session.commit()
        except SQLAlchemyError:
            # Last-seen is bookkeeping: a write that fails (a busy SQLite, a read-only
            # replica) must not fail the page; the next request tries again.
            db.session.rollback()
    return row.user


def admin_required(view):
    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def _login_limit() -> str:
    from flask import current_app

    return current_app.config["LOGIN_RATE_LIMIT"]


def _account_limit() -> str:
    from flask import current_app

    return current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"]


def _account_key() -> str:
    # Guessing one account's password from many addresses is throttled too.
    return "login-account:" + email_key((request.form.get("email") or "")[:254])


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@limiter.limit(_account_limit, methods=["POST"], key_func=_account_key)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("events.list_events"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is None:
            form.password.errors.append(_("Wrong email or password."))
        else:
            # A fresh session at sign-in: nothing from before (a planted session) carries over.
            language = session.get("lang")
            session.clear()
            if language:
                session["lang"] = language
            sessions.start_session(user, request.user_agent.string)
            db.session.commit()
            login_user(user)
            flash(_("Welcome, %(name)s.", name=user.name), "success")
            return redirect(safe_next(request.args.get("next")) or url_for("events.list_events"))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        # The row goes, not only the cookie: a copy of the cookie opens nothing afterwards.
        sessions.end_session(current_user._get_current_object())
        db.session.commit()
    logout_user()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        if not current_user.check_password(form.current_password.data):
            form.current_password.errors.append(_("The current password is wrong."))
        else:
            user = current_user._get_current_object()

            def change() -> None:
                services.reset_password(user, form.password.data)
                # The new password ended every session, this one included; this browser
                # gets a fresh one, the others stay signed out.
                sessions.start_session(user, request.user_agent.string)

            if commit_change(
                change, audit=None, success=_("Your password has been changed."), form=form
            ).done:
                login_user(user)
                return redirect(url_for("events.list_events"))
    return render_template("auth/change_password.html", form=form)


@bp.get("/account/")
@login_required
def account():
    user = current_user._get_current_object()
    return render_template("auth/account.html", sessions=sessions.active_sessions(user))


@bp.post("/account/sessions/<int:session_id>/end")
@login_required
def end_session(session_id: int):
    try:
        sessions.end_own_session(current_user._get_current_object(), session_id)
    except DomainError as error:
        abort(error.status_code, description=error.message)
    db.session.commit()
    flash(_("The session was ended."), "success")
    return redirect(url_for("auth.account"))


@bp.post("/account/sessions/end-others")
@login_required
def end_other_sessions():
    ended = sessions.end_other_sessions(current_user._get_current_object())
    db.session.commit()
    flash(
        ngettext("%(num)d other session was ended.", "%(num)d other sessions were ended.", ended),
        "success",
    )
    return redirect(url_for("auth.account"))


@bp.get("/users/")
@admin_required
def list_users():
    users = db.session.scalars(select(User).order_by(User.name)).all()
    return render_template("auth/users.html", users=users, action_form=FlaskForm())


@bp.route("/users/new", methods=["GET", "POST"])
@admin_required
def create_user():
    form = UserCreateForm()
    if (
        form.validate_on_submit()
        and commit_change(
            lambda: services.create_user(
                form.email.data, form.name.data, form.password.data, form.is_admin.data
            ),
            audit=lambda user: Done(
                "user.create", f"{user.email}{' (admin)' if user.is_admin else ''}"
            ),
            success=lambda user: _("Account created for %(email)s.", email=user.email),
            form=form,
        ).done
    ):
        return redirect(url_for("auth.list_users"))
    return render_template("auth/user_form.html", form=form)


@bp.post("/users/<int:user_id>/active")
@admin_required
def set_user_active(user_id: int):
    user = services.get_user(user_id)
    active = request.form.get("active") == "1"
    commit_change(
        lambda: services.set_active(user, active, current_user),
        audit=Done("user.activate" if active else "user.deactivate", user.email),
        success=_("Account reactivated.") if active else _("Account deactivated."),
    )
    return redirect(url_for("auth.list_users"))


@bp.route("/users/<int:user_id>/password", methods=["GET", "POST"])
@admin_required
def reset_user_password(user_id: int):
    user = services.get_user(user_id)
    form = PasswordResetForm()
    if (
        form.validate_on_submit()
        and commit_change(
            lambda: services.reset_password(user, form.password.data),
            audit=Done("user.password_reset", user.email),
            success=_("New password set for %(email)s.", email=user.email),
            form=form,
        ).done
    ):
        return redirect(url_for("auth.list_users"))
    return render_template("auth/password_reset.html", form=form, user=user)
