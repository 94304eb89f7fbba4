from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from eventhub.activity import Done
from eventhub.events.permissions import managed_event
from eventhub.reminders import bp, services
from eventhub.reminders.forms import AT_START, ReminderForm, RemoveReminderForm
from eventhub.routing import commit_change

# The panel of what was sent, for the invitations and participants pages (lower or beside
# this domain: they include "reminders/_sent.html", which calls these).
bp.add_app_template_global(services.sent_reminders, "reminders_sent")
bp.add_app_template_global(services.describe, "reminder_timing")


def _schedule_page(event_id: int):
    return redirect(url_for("reminders.schedule", event_id=event_id))


@bp.route("/events/<int:event_id>/reminders", methods=["GET", "POST"])
@login_required
def schedule(event_id: int):
    """The event's reminder schedule; the form adds one."""
    event = managed_event(event_id)
    form = ReminderForm()
    if form.validate_on_submit():
        timing = form.timing()
        outcome = commit_change(
            lambda: services.add_reminder(event, timing),
            audit=Done("reminder.add", services.record(timing), event),
            success=_("Reminder added to the schedule."),
            form=form,
        )
        if outcome.done:
            return _schedule_page(event.id)
    return render_template(
        "reminders/schedule.html",
        event=event,
        form=form,
        lines=services.schedule(event),
        written=services.has_schedule(event.id),
        at_start=AT_START,
    ), (422 if request.method == "POST" else 200)


@bp.post("/events/<int:event_id>/reminders/remove")
@login_required
def remove(event_id: int):
    event = managed_event(event_id)
    form = RemoveReminderForm()
    if form.validate_on_submit():
        timing = form.timing()
        commit_change(
            lambda: services.remove_reminder(event, timing),
            audit=Done("reminder.remove", services.record(timing), event),
            success=_("Reminder removed from the schedule."),
        )
    else:
        flash(_("This reminder is not in the schedule."), "error")
    return _schedule_page(event.id)
