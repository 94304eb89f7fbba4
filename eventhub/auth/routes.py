from functools import wraps

from flask import (
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from eventhub.activity import Done
from eventhub.addresses import email_key
from eventhub.auth import bp, links, services, sessions
from eventhub.auth.forms import (
    ChoosePasswordForm,
    ForgotPasswordForm,
    InviteOrganiserForm,
    LoginForm,
    PasswordChangeForm,
    PasswordResetForm,
    UserCreateForm,
)
from eventhub.auth.models import MIN_PASSWORD_LENGTH, AccountLinkPurpose, User
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
    return current_app.config["LOGIN_RATE_LIMIT"]


def _account_limit() -> str:
    return current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"]


def _typed_account() -> str:
    """The account the form names, as it is looked up: every spelling of one address (case,
    spaces, Unicode composition) counts against the same limit."""
    return email_key((request.form.get("email") or "")[:254])


def _account_key() -> str:
    # Guessing one account's password from many addresses is throttled too.
    return "login-account:" + _typed_account()


def _sign_in(user: User) -> None:
    """A fresh session for this browser: nothing from before (a planted session) carries
    over but the chosen language. The caller commits."""
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language
    sessions.start_session(user, request.user_agent.string)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@limiter.limit(_account_limit, methods=["POST"], key_func=_account_key)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is None:
            form.password.errors.append(_("Wrong email or password."))
        else:
            _sign_in(user)
            db.session.commit()
            login_user(user)
            flash(_("Welcome, %(name)s.", name=user.name), "success")
            return redirect(safe_next(request.args.get("next")) or url_for("main.index"))
    return render_template("auth/login.html", form=form)


# --- a forgotten password, and an invitation: a mailed link to choose one ----------------------


def _reset_limit() -> str:
    return current_app.config["RESET_LINK_RATE_LIMIT"]


def _reset_account_limit() -> str:
    return current_app.config["RESET_LINK_ACCOUNT_RATE_LIMIT"]


def _reset_account_key() -> str:
    # One mailbox flooded with links from many addresses is throttled too; unknown addresses
    # are counted the same way, so a 429 tells nothing about the account either.
    return "reset-account:" + _typed_account()


def _too_many_resets() -> str:
    return _(
        "Too many requests for a new password. Wait an hour, or ask an administrator "
        "to set one for you."
    )


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(_reset_limit, methods=["POST"], error_message=_too_many_resets)
@limiter.limit(
    _reset_account_limit,
    methods=["POST"],
    key_func=_reset_account_key,
    error_message=_too_many_resets,
)
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        language = str(get_locale())
        if commit_change(
            lambda: links.request_password_reset(form.email.data, language),
            audit=None,  # nothing has changed yet: the reset itself is recorded
            success=None,
            form=form,
        ).done:
            # The same answer whether or not the account exists.
            flash(
                _(
                    "If an account exists for this address, a link to choose a new password "
                    "is on its way. It works once, for one hour."
                ),
                "info",
            )
            return redirect(url_for("auth.login"))
    return render_template("auth/forgot_password.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    return _choose_password(token, AccountLinkPurpose.PASSWORD_RESET)


@bp.route("/welcome/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    return _choose_password(token, AccountLinkPurpose.INVITATION)


def _choose_password(token: str, purpose: AccountLinkPurpose):
    """The link's form (a GET changes nothing); its POST sets the password, uses the link
    up, ends every other session and signs this browser in."""
    try:
        link = links.usable_link(token, purpose)
    except links.LinkGoneError as gone:
        page = render_template("auth/link_gone.html", message=gone.message, purpose=purpose)
        return page, gone.status_code
    except DomainError as error:
        abort(error.status_code, description=error.message)
    user = link.user
    form = ChoosePasswordForm()
    if form.validate_on_submit():

        def choose() -> None:
            links.choose_password(link, form.password.data)
            _sign_in(user)
            # Signed in before the audit entry is written: its author is the account holder.
            login_user(user)

        invited = purpose is AccountLinkPurpose.INVITATION
        action = "user.invitation_accept" if invited else "user.password_reset_link"
        if commit_change(
            choose,
            audit=Done(action, user.email),
            success=_("Welcome, %(name)s. Your password is set.", name=user.name)
            if invited
            else _("Your password has been changed. Other sessions were ended."),
            form=form,
        ).done:
            return redirect(url_for("main.index"))  # the organiser's home: what to do first
    return render_template(
        "auth/choose_password.html",
        form=form,
        user=user,
        purpose=purpose,
        min_length=MIN_PASSWORD_LENGTH,
    )


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
    users = db.session.scalars(
        select(User).where(User.password_hash != "").order_by(User.name)
    ).all()
    return render_template(
        "auth/users.html",
        users=users,
        invitations=links.pending_invitations(),
        link_state=links.link_state,
        action_form=FlaskForm(),
    )


def _new_account(action: str, user: User) -> Done:
    return Done(action, f"{user.email}{' (admin)' if user.is_admin else ''}")


@bp.route("/users/invite", methods=["GET", "POST"])
@admin_required
def invite_user():
    form = InviteOrganiserForm()
    if not form.is_submitted():
        form.language.data = str(get_locale())
    if (
        form.validate_on_submit()
        and commit_change(
            lambda: links.invite_organiser(
                form.email.data,
                form.name.data,
                form.is_admin.data,
                form.language.data,
                current_user._get_current_object(),
            ),
            audit=lambda user: _new_account("user.invite", user),
            success=lambda user: _("Invitation sent to %(email)s.", email=user.email),
            form=form,
        ).done
    ):
        return redirect(url_for("auth.list_users"))
    return render_template("auth/invite_form.html", form=form)


@bp.post("/users/<int:user_id>/invitation/resend")
@admin_required
def resend_invitation(user_id: int):
    user = links.get_invited_user(user_id)
    commit_change(
        lambda: links.resend_invitation(user, current_user._get_current_object()),
        audit=Done("user.invitation_resend", user.email),
        success=_("Invitation sent again to %(email)s.", email=user.email),
    )
    return redirect(url_for("auth.list_users"))


@bp.post("/users/<int:user_id>/invitation/revoke")
@admin_required
def revoke_invitation(user_id: int):
    user = links.get_invited_user(user_id)
    commit_change(
        lambda: links.revoke_invitation(user),
        audit=Done("user.invitation_revoke", user.email),
        success=_("The invitation to %(email)s was withdrawn.", email=user.email),
    )
    return redirect(url_for("auth.list_users"))


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
            audit=lambda user: _new_account("user.create", user),
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
