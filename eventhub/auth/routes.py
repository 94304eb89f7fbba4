from functools import wraps

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import select

from eventhub.addresses import email_key
from eventhub.audit import services as audit
from eventhub.auth import bp, services
from eventhub.auth.forms import LoginForm, PasswordChangeForm, PasswordResetForm, UserCreateForm
from eventhub.auth.models import User
from eventhub.errors import DomainError
from eventhub.extensions import db, limiter, login_manager
from eventhub.forms import show_domain_error
from eventhub.urls import safe_next


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    return services.load_user_from_session(session_id)


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
            login_user(user)
            flash(_("Welcome, %(name)s.", name=user.name), "success")
            return redirect(safe_next(request.args.get("next")) or url_for("events.list_events"))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout():
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
            try:
                services.reset_password(user, form.password.data)
            except DomainError as error:
                show_domain_error(form, error)
            else:
                db.session.commit()
                login_user(user)  # the new password ended every session, this one included
                flash(_("Your password has been changed."), "success")
                return redirect(url_for("events.list_events"))
    return render_template("auth/change_password.html", form=form)


@bp.get("/users/")
@admin_required
def list_users():
    users = db.session.scalars(select(User).order_by(User.name)).all()
    return render_template("auth/users.html", users=users, action_form=FlaskForm())


@bp.route("/users/new", methods=["GET", "POST"])
@admin_required
def create_user():
    form = UserCreateForm()
    if form.validate_on_submit():
        try:
            user = services.create_user(
                form.email.data, form.name.data, form.password.data, form.is_admin.data
            )
            audit.log("user.create", f"{user.email}{' (admin)' if user.is_admin else ''}")
        except DomainError as error:
            show_domain_error(form, error)
        else:
            db.session.commit()
            flash(_("Account created for %(email)s.", email=user.email), "success")
            return redirect(url_for("auth.list_users"))
    return render_template("auth/user_form.html", form=form)


@bp.post("/users/<int:user_id>/active")
@admin_required
def set_user_active(user_id: int):
    user = services.get_user(user_id)
    active = request.form.get("active") == "1"
    try:
        services.set_active(user, active, current_user)
        audit.log("user.activate" if active else "user.deactivate", user.email)
    except DomainError as error:
        flash(error.message, "error")
    else:
        db.session.commit()
        message = _("Account reactivated.") if active else _("Account deactivated.")
        flash(message, "success")
    return redirect(url_for("auth.list_users"))


@bp.route("/users/<int:user_id>/password", methods=["GET", "POST"])
@admin_required
def reset_user_password(user_id: int):
    user = services.get_user(user_id)
    form = PasswordResetForm()
    if form.validate_on_submit():
        try:
            services.reset_password(user, form.password.data)
        except DomainError as error:
            show_domain_error(form, error)
        else:
            audit.log("user.password_reset", user.email)
            db.session.commit()
            flash(_("New password set for %(email)s.", email=user.email), "success")
            return redirect(url_for("auth.list_users"))
    return render_template("auth/password_reset.html", form=form, user=user)
