"""The "Duplicar" form of an event: one date (and a title), one POST, the copy's page."""

from flask import redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from eventhub.activity import Done
from eventhub.events import bp, cloning, permissions
from eventhub.events.forms import CloneEventForm
from eventhub.events.timezones import utc_to_local
from eventhub.routing import commit_change


@bp.route("/events/<int:event_id>/clone", methods=["GET", "POST"])
@login_required
def clone_event(event_id: int):
    """Only the event's managers duplicate it: the copy carries its questions, its team and
    its settings, which they alone see whole (and anyone may create an event from scratch)."""
    source = permissions.managed_event(event_id)
    form = CloneEventForm()
    if not form.is_submitted():
        form.title.data = cloning.default_title(source.title)
    outcome = form.validate_on_submit() and commit_change(
        lambda: cloning.clone_event(
            source,
            cloning.CloneRequest(starts_on=form.starts_on.data, title=form.title.data),
            current_user,
        ),
        audit=lambda copy: Done(
            "event.clone", f"copy of #{source.id} {source.title}", copy, {"subject": source.title}
        ),
        success=_("Copy created as a draft: check it, then publish it."),
        form=form,
    )
    if outcome and outcome.done:
        assert outcome.result is not None
        return redirect(url_for("events.show_event", event_id=outcome.result.id))
    return render_template(
        "events/clone.html",
        event=source,
        form=form,
        starts=utc_to_local(source.starts_at, source.timezone),
    ), 422 if form.is_submitted() else 200
