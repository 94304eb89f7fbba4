"""Invitees who have not answered hear when the event moves or is cancelled.

Their invitation carried the event's .ics, so they hold a calendar entry: they get the
updated one with the notice. Invitees who answered are told as registrants (an acceptance
is a registration) or not at all (they declined); an invitation whose email failed, or that
was revoked, never reached anyone.
"""

from sqlalchemy import select

from eventhub.events.models import Event
from eventhub.events.notifications import EventChange
from eventhub.extensions import db
from eventhub.invitations.models import Invitation
from eventhub.invitations.services import event_invitations, invitation_token
from eventhub.notices.event_change import Addressee, queue_notices
from eventhub.registrations.models import Registration
from eventhub.urls import external_url

UNANSWERED = ("queued", "no_answer")


def _unanswered(event: Event) -> list[Invitation]:
    # Whoever registered is told as a registrant, once; whoever registered and then
    # cancelled or was turned down had their entry withdrawn and is not sent a new one.
    registered = set(
        db.session.scalars(select(Registration.email).where(Registration.event_id == event.id))
    )
    return [
        invitation
        for invitation in event_invitations(event)
        if invitation.state in UNANSWERED
        and invitation.registration_id is None
        and invitation.email not in registered
    ]


def count_invitees(event: Event) -> int:
    return len(_unanswered(event))


def tell_invitees(event: Event, change: EventChange) -> int:
    people = [
        Addressee(
            email=invitation.email,
            name=invitation.name,
            language=invitation.language,
            link=external_url("invitations.respond", token=invitation_token(invitation)),
            via="invitation",
            holds_calendar_entry=True,
        )
        for invitation in _unanswered(event)
    ]
    return queue_notices(event, change, people)
