"""The follow-up blueprint as create_app loads it: the event's follow-up page and the follow-up
message here; the minutes', commitments' and programme's routes register on the same blueprint
when their modules are imported below."""

from flask import render_template
from flask_babel import ngettext
from flask_login import current_user, login_required

from eventhub import activity, cache
from eventhub.activity import Done
from eventhub.events.permissions import managed_event
from eventhub.followup import bp
from eventhub.followup import mail as followup_mail
from eventhub.followup.commitments import routes as commitment_routes
from eventhub.followup.forms import FollowupMailForm
from eventhub.followup.minutes import routes as minutes_routes
from eventhub.followup.page import followup_page, to_followup
from eventhub.followup.programme import routes as programme_routes
from eventhub.routing import commit_change

__all__ = ["bp", "commitment_routes", "minutes_routes", "programme_routes"]


@bp.get("/events/<int:event_id>/followup")
@login_required
@cache.for_each_reader
def event_followup(event_id: int):
    return followup_page(managed_event(event_id))


@bp.route("/events/<int:event_id>/followup/mail", methods=["GET", "POST"])
@login_required
def followup_mail_page(event_id: int):
    event = managed_event(event_id)
    form = FollowupMailForm()
    audience = followup_mail.audience(event)
    preview, refused = None, False
    if form.validate_on_submit():
        if form.send.data:
            outcome = commit_change(
                lambda: followup_mail.send_followup(
                    event, form.summary.data, form.include_absent.data, current_user
                ),
                audit=lambda mailing: Done(
                    "followup.send",
                    activity.counted(mailing.recipients, "recipient", "recipients"),
                    event,
                    {"count": ["recipients", mailing.recipients]},
                ),
                success=lambda mailing: ngettext(
                    "Follow-up queued for %(num)d person. It is sent from the outbox.",
                    "Follow-up queued for %(num)d people. It is sent from the outbox.",
                    mailing.recipients,
                ),
                form=form,
            )
            if outcome.done:
                return to_followup(event, "followup-mail")
            refused = True
        recipients = audience.chosen(form.include_absent.data)
        if recipients:
            preview = followup_mail.render(event, recipients[0], form.summary.data, preview=True)
    status = 422 if form.errors or refused else 200
    return render_template(
        "followup/mail.html", event=event, form=form, audience=audience, preview=preview
    ), status
