"""An event's messages: write, preview and send one; the history; resend the failed."""

from flask import redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from eventhub import activity
from eventhub.activity import Done
from eventhub.errors import DomainError
from eventhub.events.models import Event
from eventhub.events.permissions import managed_event
from eventhub.loaders import event_child
from eventhub.messages import bp, services
from eventhub.messages.audiences import Choice, organisations_to_narrow
from eventhub.messages.forms import MessageForm
from eventhub.messages.models import Audience, OrganiserMessage
from eventhub.messages.writing import PLACEHOLDERS
from eventhub.organisations.models import LANGUAGES
from eventhub.routing import commit_change, show_domain_error


def _choice(form: MessageForm) -> Choice:
    return Choice(
        audiences=frozenset(Audience(value) for value in form.audiences.data or []),
        contact_roles=frozenset(form.contact_roles.data or []),
        organisation_ids=frozenset(i for i in form.organisation_ids.data or [] if i),
    )


def _to_history(event: Event):
    return redirect(url_for("messages.event_messages", event_id=event.id, _anchor="history"))


@bp.route("/events/<int:event_id>/messages", methods=["GET", "POST"])
@login_required
def event_messages(event_id: int):
    event = managed_event(event_id)
    form = MessageForm()
    form.organisation_ids.choices = [(o.id, o.name) for o in organisations_to_narrow(event)]
    preview, refused = None, False
    if form.validate_on_submit():
        choice = _choice(form)
        if form.send.data:
            outcome = commit_change(
                lambda: services.send_message(
                    event, choice, form.subject.data, form.body.data, current_user
                ),
                audit=lambda message: Done(
                    "message.send",
                    f"{message.subject}: "
                    + activity.counted(message.recipient_count, "recipient", "recipients"),
                    event,
                    {
                        "subject": message.subject,
                        "count": ["recipients", message.recipient_count],
                    },
                ),
                success=lambda message: ngettext(
                    "Message queued for %(num)d person. It is sent from the outbox.",
                    "Message queued for %(num)d people. It is sent from the outbox.",
                    message.recipient_count,
                ),
                form=form,
            )
            if outcome.done:
                return _to_history(event)
            refused = True
        else:
            try:
                preview = services.preview(event, choice, form.subject.data, form.body.data)
            except DomainError as error:
                show_domain_error(form, error)
                refused = True
    status = 422 if form.errors or refused else 200
    return render_template(
        "messages/event.html",
        event=event,
        form=form,
        preview=preview,
        history=services.history(event),
        placeholders=PLACEHOLDERS,
        language_names=LANGUAGES,
    ), status


@bp.post("/events/<int:event_id>/messages/<int:organiser_message_id>/resend-failed")
@login_required
def resend_failed(event_id: int, organiser_message_id: int):
    event = managed_event(event_id)
    commit_change(
        lambda: services.resend_failed(
            event_child(OrganiserMessage, organiser_message_id, event, _("No such message."))
        ),
        audit=lambda count: Done(
            "message.resend_failed",
            activity.counted(count, "message", "messages"),
            event,
            {"count": ["messages", count]},
        ),
        success=lambda count: ngettext(
            "%(num)d failed email queued again.", "%(num)d failed emails queued again.", count
        ),
        missing_is_404=True,
    )
    return _to_history(event)
