"""The speaker page: who the speaker is and the events they speak at."""

from flask import abort, render_template
from flask_login import current_user

from eventhub.agenda.services import events_of
from eventhub.extensions import db
from eventhub.people import bp, services


@bp.get("/speakers/<int:speaker_id>")
def show_speaker(speaker_id: int):
    """Public: published event pages link here. The email is for signed-in organisers only."""
    speaker = db.session.scalar(services.speaker_page_query(speaker_id))
    if speaker is None:
        abort(404)
    events = events_of(speaker, public_only=not current_user.is_authenticated)
    return render_template("people/show.html", speaker=speaker, events=events)
