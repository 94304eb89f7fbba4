"""The Outbox: what EventHub sent or tried to send, for organisers; failed mail can be resent."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from eventhub.extensions import db
from eventhub.listing import filter_args, paginate
from eventhub.mail import access, bp, services, topics
from eventhub.mail.models import OutboxMessage, OutboxStatus
from eventhub.routing import commit_change

FILTERS = (
    OutboxStatus.QUEUED,
    OutboxStatus.RETRY,
    OutboxStatus.SENT,
    OutboxStatus.KEPT,
    OutboxStatus.FAILED,
)
# The stored HTML is shown in a sandboxed frame and may run nothing, fetch nothing.
HTML_PREVIEW_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; sandbox"
)


@bp.context_processor
def _topic_labels():
    return {"topic_label": topics.label}


def _require_reader(message: OutboxMessage) -> None:
    if not access.can_read_body(current_user, message):
        abort(
            403,
            description=_(
                "This message belongs to an event you do not manage: its text holds the "
                "recipient's personal links. Its managers and administrators can open it."
            ),
        )


@bp.get("/outbox/")
@login_required
def outbox():
    status = request.args.get("status") or None
    if status not in FILTERS:
        status = None
    page = paginate(services.outbox_query(status), "EVENTS_PER_PAGE")
    return render_template(
        "mail/outbox.html",
        page=page,
        status=status,
        filters=FILTERS,
        counts=services.status_counts(),
        args=filter_args(),
        kept_here=current_app.config["MAIL_BACKEND"] == "sink",
    )


@bp.get("/outbox/<int:message_id>")
@login_required
def show_message(message_id: int):
    message = db.session.get(OutboxMessage, message_id) or abort(404)
    return render_template(
        "mail/message.html",
        message=message,
        can_read_body=access.can_read_body(current_user, message),
        sender=current_app.config["MAIL_DEFAULT_SENDER"],
        resent_as=services.resent_as(message)
        if message.status == OutboxStatus.FAILED.value
        else None,
    )


@bp.get("/outbox/<int:message_id>/html")
@login_required
def message_html(message_id: int):
    message = db.session.get(OutboxMessage, message_id) or abort(404)
    _require_reader(message)
    if not message.html_body:
        abort(404)
    response = current_app.response_class(message.html_body, mimetype="text/html")
    # Set here, so the app-wide policy (added with setdefault) does not apply.
    response.headers["Content-Security-Policy"] = HTML_PREVIEW_CSP
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/outbox/<int:message_id>/resend")
@login_required
def resend_message(message_id: int):
    _require_reader(db.session.get(OutboxMessage, message_id) or abort(404))
    outcome = commit_change(
        lambda: services.resend_failed_message(message_id),
        audit=None,
        success=_("The message was queued again."),
        missing_is_404=True,
    )
    if not outcome.done:
        return redirect(url_for("mail.show_message", message_id=message_id))
    assert outcome.result is not None
    return redirect(url_for("mail.show_message", message_id=outcome.result.id))


@bp.post("/outbox/resend-failed")
@login_required
def resend_failed():
    queued = services.resend_all_failed(access.readable_condition(current_user))
    db.session.commit()
    if queued:
        flash(
            ngettext(
                "%(num)d failed message was queued again.",
                "%(num)d failed messages were queued again.",
                len(queued),
            ),
            "success",
        )
    else:
        flash(_("There are no failed messages to send again."), "info")
    return redirect(url_for("mail.outbox"))
