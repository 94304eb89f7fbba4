"""Every route, every method, against five kinds of visitor: the status each one gets.

The table below has one row per (rule, method) of ``app.url_map``: a new route without a row
fails ``test_every_route_has_a_row``. Each case runs on a fresh copy of one database built once
(a copy of the SQLite file; on PostgreSQL a database made from a template database, after each
case that may have written), so state-changing requests never affect the next case.

Roles, and how they fill URL arguments:
- anonymous: no session; token arguments get well-formed tokens that match nothing.
- invitee: no session; holds an invitation, a registration, a calendar feed and an opt-out link
  of ANOTHER event (B): token arguments get those. Everything about event A must stay closed.
- organiser: signed in, does not manage event A (the directory is shared, A is not).
- manager: co-organiser of event A (added by its creator, another organiser).
- admin.
Signed-in roles use event A's own tokens. Bodies are empty (CSRF is off in tests): what is
checked is who gets in, not what the forms accept (an empty POST to an edit form keeps the
stored values, so it saves and redirects). "login" means a redirect to the sign-in page.
"""

import secrets
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from eventhub import create_app
from eventhub.agenda.models import AgendaItem
from eventhub.auth import links as account_links
from eventhub.auth.models import AccountLinkPurpose, User, UserSession
from eventhub.calendar.feeds import FeedKind
from eventhub.calendar.services import rotate_feed_token
from eventhub.events import images
from eventhub.events.models import Event, EventManager, EventOrganisation
from eventhub.extensions import db
from eventhub.files import Upload
from eventhub.followup.commitments import services as commitments
from eventhub.followup.minutes import services as followup_services
from eventhub.invitations import services as invitation_services
from eventhub.invitations.mail import opt_out_token
from eventhub.invitations.models import Invitation
from eventhub.mail.models import OutboxMessage
from eventhub.messages import services as message_services
from eventhub.messages.audiences import Choice
from eventhub.messages.models import Audience
from eventhub.questions import services as question_services
from eventhub.registrations import services as registration_services
from tests.conftest import DATABASES, base_config, login
from tests.db_copies import SqliteCopies, built, copies_for, fresh_copy
from tests.factories import (
    ContactFactory,
    EventFactory,
    OrganisationFactory,
    ProgrammeFactory,
    SpeakerFactory,
    UserFactory,
)

ROLES = ("anonymous", "invitee", "organiser", "manager", "admin")
L = "login"

PUBLIC = (200, 200, 200, 200, 200)
SIGNED_IN = (L, L, 200, 200, 200)  # the shared directory and the organiser's own pages
SIGNED_IN_POST = (L, L, 302, 302, 302)
MANAGE = (L, L, 403, 200, 200)  # pages of event A
MANAGE_POST = (L, L, 403, 302, 302)  # actions on event A
ADMIN = (L, L, 403, 403, 200)
ADMIN_POST = (L, L, 403, 403, 302)
TOKEN = (404, 200, 200, 200, 200)  # the link is the key, whoever holds it
OWN_EVENT_TOKEN = (404, 404, 200, 200, 200)  # another event's link opens nothing of event A
READ_BY_ORGANISERS = (404, 404, 200, 200, 200)
REFUSED_FOR_MANAGERS = (L, L, 403, 422, 422)  # empty form: managers get the form back

REVOKE_OWNER_LINK = (
    "/organisations/<int:organisation_id>/contacts/<int:contact_id>/commitment-link/revoke"
)

RESEND_FAILED_MESSAGE = "/events/<int:event_id>/messages/<int:organiser_message_id>/resend-failed"

QUESTION_MOVE = "/{}/questions/<int:question_id>/<any(up, down):direction>"

EXPECTED: dict[tuple[str, str], tuple] = {
    ("/", "GET"): (302, 302, 200, 200, 200),  # the events for visitors, the home signed in
    ("/healthz", "GET"): PUBLIC,
    ("/readyz", "GET"): PUBLIC,
    ("/static/<path:filename>", "GET"): PUBLIC,
    ("/language", "POST"): (302,) * 5,
    ("/login", "GET"): (200, 200, 302, 302, 302),
    ("/login", "POST"): (200, 200, 302, 302, 302),
    # a forgotten password: the form for anyone; the mailed link is the key
    ("/password/forgot", "GET"): PUBLIC,
    ("/password/forgot", "POST"): PUBLIC,  # empty: the form again
    ("/password/reset/<token>", "GET"): TOKEN,
    ("/password/reset/<token>", "POST"): TOKEN,
    ("/welcome/<token>", "GET"): TOKEN,
    ("/welcome/<token>", "POST"): TOKEN,
    ("/logout", "POST"): (L,) * 5,  # signing out ends on the sign-in page
    ("/account/", "GET"): SIGNED_IN,
    # the organiser's own session: ended; anyone else's is not found
    ("/account/sessions/<int:session_id>/end", "POST"): (L, L, 302, 404, 404),
    ("/account/sessions/end-others", "POST"): SIGNED_IN_POST,
    ("/account/password", "GET"): SIGNED_IN,
    ("/account/password", "POST"): SIGNED_IN,
    ("/account/calendar", "GET"): SIGNED_IN,
    ("/account/calendar", "POST"): SIGNED_IN_POST,
    # user administration
    ("/users/", "GET"): ADMIN,
    ("/users/new", "GET"): ADMIN,
    ("/users/new", "POST"): ADMIN,
    ("/users/<int:user_id>/active", "POST"): ADMIN_POST,
    ("/users/<int:user_id>/password", "GET"): ADMIN,
    ("/users/<int:user_id>/password", "POST"): ADMIN,
    ("/users/invite", "GET"): ADMIN,
    ("/users/invite", "POST"): ADMIN,
    ("/users/<int:user_id>/invitation/resend", "POST"): ADMIN_POST,
    ("/users/<int:user_id>/invitation/revoke", "POST"): ADMIN_POST,
    # the whole audit log; an event's managers read its part with ?event= (test_audit.py)
    ("/admin/audit", "GET"): ADMIN,
    # events: the list and pages are readable, management is for the event's managers
    ("/events/", "GET"): PUBLIC,
    ("/events/new", "GET"): SIGNED_IN,
    ("/events/new", "POST"): SIGNED_IN,
    ("/events/<int:event_id>", "GET"): PUBLIC,
    ("/events/<int:event_id>.ics", "GET"): PUBLIC,
    ("/events/<int:event_id>/agenda", "GET"): PUBLIC,
    ("/events/<int:event_id>/agenda.csv", "GET"): PUBLIC,
    ("/events/<int:event_id>/agenda.xlsx", "GET"): PUBLIC,
    ("/events/<int:event_id>/edit", "GET"): MANAGE,
    ("/events/<int:event_id>/edit", "POST"): MANAGE,
    ("/events/<int:event_id>/publish", "POST"): MANAGE_POST,
    ("/events/<int:event_id>/unpublish", "POST"): MANAGE_POST,
    ("/events/<int:event_id>/cancel", "GET"): MANAGE,
    ("/events/<int:event_id>/cancel", "POST"): MANAGE_POST,
    ("/events/<int:event_id>/organisations", "POST"): MANAGE_POST,
    ("/events/<int:event_id>/organisations/<int:participation_id>/delete", "POST"): MANAGE_POST,
    ("/events/<int:event_id>/organisations/<int:participation_id>/delete", "GET"): MANAGE,
    ("/events/<int:event_id>/co-organisers", "POST"): MANAGE_POST,
    ("/events/<int:event_id>/co-organisers/<int:user_id>/delete", "POST"): MANAGE_POST,
    ("/events/<int:event_id>/clone", "GET"): MANAGE,  # "Duplicar": the copy's one form
    ("/events/<int:event_id>/clone", "POST"): REFUSED_FOR_MANAGERS,  # empty: no date
    # the event's image: its managers change it; whoever reads the page reads the image
    ("/events/<int:event_id>/image", "GET"): MANAGE,
    ("/events/<int:event_id>/image", "POST"): MANAGE_POST,  # no file: the same image kept
    ("/events/<int:event_id>/image/delete", "POST"): MANAGE_POST,
    ("/events/<int:event_id>/image/<string(length=64):digest>", "GET"): PUBLIC,
    # agenda
    ("/events/<int:event_id>/agenda/manage", "GET"): MANAGE,
    ("/events/<int:event_id>/agenda/new", "GET"): MANAGE,
    ("/events/<int:event_id>/agenda/new", "POST"): MANAGE,
    ("/events/<int:event_id>/agenda/<int:item_id>/edit", "GET"): MANAGE,
    ("/events/<int:event_id>/agenda/<int:item_id>/edit", "POST"): MANAGE,
    ("/events/<int:event_id>/agenda/<int:item_id>/delete", "POST"): MANAGE_POST,
    ("/events/<int:event_id>/agenda/<int:item_id>/delete", "GET"): MANAGE,
    ("/events/<int:event_id>/agenda/<int:item_id>/shift", "POST"): MANAGE_POST,
    # invitations: organisers' side, then the invitee's
    ("/events/<int:event_id>/invitations", "GET"): MANAGE,
    ("/events/<int:event_id>/invitations.csv", "GET"): MANAGE,
    ("/events/<int:event_id>/invitations.xlsx", "GET"): MANAGE,
    ("/events/<int:event_id>/invitations/new", "GET"): MANAGE,
    ("/events/<int:event_id>/invitations/new", "POST"): MANAGE,
    ("/events/<int:event_id>/invitations/remind", "POST"): MANAGE_POST,
    ("/events/<int:event_id>/invitations/resend-failed", "POST"): MANAGE_POST,
    ("/events/<int:event_id>/invitations/<int:invitation_id>/resend", "POST"): MANAGE_POST,
    ("/events/<int:event_id>/invitations/<int:invitation_id>/revoke", "POST"): MANAGE_POST,
    ("/i/<token>", "GET"): TOKEN,
    ("/i/<token>/accept", "POST"): (404, 422, 422, 422, 422),  # empty name: refused
    ("/i/<token>/decline", "POST"): (404, 302, 302, 302, 302),
    ("/unsubscribe/<token>", "GET"): TOKEN,
    ("/unsubscribe/<token>", "POST"): TOKEN,
    # registrations: the public form, the registrant's link, the organisers' pages, the door
    ("/events/<int:event_id>/register", "POST"): (422,) * 5,  # empty form: refused
    ("/r/<token>", "GET"): TOKEN,
    ("/r/<token>", "POST"): (404, 422, 422, 422, 422),  # empty form: refused
    ("/r/<token>/cancel", "GET"): TOKEN,  # the reminders' "free your place": a question
    ("/r/<token>/cancel", "POST"): (404, 302, 302, 302, 302),
    ("/r/<token>/feed", "POST"): (404, 302, 302, 302, 302),
    ("/r/<token>/confirm", "POST"): (404, 302, 302, 302, 302),
    ("/events/<int:event_id>/participants", "GET"): MANAGE,
    # reminders before the event: the schedule (an empty form is refused), removing one
    ("/events/<int:event_id>/reminders", "GET"): MANAGE,
    ("/events/<int:event_id>/reminders", "POST"): REFUSED_FOR_MANAGERS,
    ("/events/<int:event_id>/reminders/remove", "POST"): MANAGE_POST,
    ("/events/<int:event_id>/participants.csv", "GET"): MANAGE,
    ("/events/<int:event_id>/participants.xlsx", "GET"): MANAGE,
    ("/events/<int:event_id>/participants.csv", "POST"): MANAGE,
    ("/events/<int:event_id>/participants.xlsx", "POST"): MANAGE,
    ("/events/<int:event_id>/participants/sheet", "GET"): MANAGE,
    ("/events/<int:event_id>/participants/<int:registration_id>/approve", "POST"): MANAGE_POST,
    ("/events/<int:event_id>/participants/<int:registration_id>/reject", "POST"): MANAGE_POST,
    ("/events/<int:event_id>/participants/<int:registration_id>/promote", "POST"): MANAGE_POST,
    ("/events/<int:event_id>/participants/<int:registration_id>/wait", "POST"): MANAGE_POST,
    ("/events/<int:event_id>/participants/<int:registration_id>/remove", "POST"): MANAGE_POST,
    ("/events/<int:event_id>/participants/<int:registration_id>/remove", "GET"): MANAGE,
    ("/events/<int:event_id>/participants/<int:registration_id>/restore", "POST"): MANAGE_POST,
    ("/events/<int:event_id>/registration/toggle", "POST"): MANAGE_POST,
    ("/events/<int:event_id>/checkin", "GET"): MANAGE,
    ("/events/<int:event_id>/checkin/<int:registration_id>", "POST"): MANAGE_POST,
    ("/events/<int:event_id>/checkin/walk-in", "POST"): (L, L, 403, 422, 422),  # empty form
    ("/checkin/<code>", "GET"): MANAGE,
    ("/checkin/<code>", "POST"): MANAGE_POST,
    ("/checkin/<code>/undo", "POST"): MANAGE_POST,
    # calendars
    ("/calendar", "GET"): PUBLIC,
    ("/calendar.ics", "GET"): PUBLIC,
    ("/feeds/<token>.ics", "GET"): TOKEN,
    ("/organisations/<int:organisation_id>/feed", "POST"): SIGNED_IN_POST,
    # the shared directory
    ("/organisations/", "GET"): SIGNED_IN,
    ("/organisations/new", "GET"): SIGNED_IN,
    ("/organisations/new", "POST"): SIGNED_IN,
    ("/organisations/import", "GET"): SIGNED_IN,
    ("/organisations/import", "POST"): SIGNED_IN,
    ("/organisations/import/template.csv", "GET"): SIGNED_IN,
    ("/organisations/<int:organisation_id>", "GET"): SIGNED_IN,
    ("/organisations/<int:organisation_id>/edit", "GET"): SIGNED_IN,
    ("/organisations/<int:organisation_id>/edit", "POST"): SIGNED_IN_POST,
    ("/organisations/<int:organisation_id>/delete", "GET"): SIGNED_IN,
    ("/organisations/<int:organisation_id>/delete", "POST"): SIGNED_IN_POST,
    ("/organisations/<int:organisation_id>/contacts/new", "GET"): SIGNED_IN,
    ("/organisations/<int:organisation_id>/contacts/new", "POST"): SIGNED_IN,
    ("/organisations/<int:organisation_id>/contacts/<int:contact_id>/edit", "GET"): SIGNED_IN,
    ("/organisations/<int:organisation_id>/contacts/<int:contact_id>/edit", "POST"): SIGNED_IN_POST,
    ("/organisations/<int:organisation_id>/contacts/<int:contact_id>/delete", "POST"): (
        SIGNED_IN_POST
    ),
    ("/speakers/", "GET"): SIGNED_IN,
    ("/speakers/new", "GET"): SIGNED_IN,
    ("/speakers/new", "POST"): SIGNED_IN,
    ("/speakers/<int:speaker_id>", "GET"): PUBLIC,  # speakers' public profiles
    ("/speakers/<int:speaker_id>/edit", "GET"): SIGNED_IN,
    ("/speakers/<int:speaker_id>/edit", "POST"): SIGNED_IN_POST,
    ("/speakers/<int:speaker_id>/delete", "GET"): SIGNED_IN,
    ("/speakers/<int:speaker_id>/delete", "POST"): SIGNED_IN_POST,
    ("/programmes/", "GET"): SIGNED_IN,
    ("/programmes/new", "GET"): SIGNED_IN,
    ("/programmes/new", "POST"): SIGNED_IN,
    ("/programmes/<int:programme_id>", "GET"): SIGNED_IN,
    ("/programmes/<int:programme_id>/edit", "GET"): SIGNED_IN,
    ("/programmes/<int:programme_id>/edit", "POST"): SIGNED_IN_POST,
    # registration questions: an event's managers build its form; a programme's template is
    # built by any organiser, as the programme itself. The script's order names every question.
    ("/events/<int:event_id>/questions", "GET"): MANAGE,
    ("/events/<int:event_id>/questions/new", "GET"): MANAGE,
    ("/events/<int:event_id>/questions/new", "POST"): REFUSED_FOR_MANAGERS,  # no label
    ("/events/<int:event_id>/questions/<int:question_id>/edit", "GET"): MANAGE,
    ("/events/<int:event_id>/questions/<int:question_id>/edit", "POST"): MANAGE_POST,
    ("/events/<int:event_id>/questions/<int:question_id>/delete", "GET"): MANAGE,
    ("/events/<int:event_id>/questions/<int:question_id>/delete", "POST"): MANAGE_POST,
    (QUESTION_MOVE.format("events/<int:event_id>"), "POST"): MANAGE_POST,
    ("/events/<int:event_id>/questions/order", "POST"): (L, L, 403, 409, 409),
    ("/events/<int:event_id>/questions/library", "POST"): MANAGE_POST,  # no key: a message
    ("/events/<int:event_id>/questions/purpose", "POST"): MANAGE_POST,
    ("/events/<int:event_id>/questions/copy", "GET"): MANAGE,
    ("/events/<int:event_id>/questions/copy", "POST"): REFUSED_FOR_MANAGERS,  # no source
    ("/programmes/<int:programme_id>/questions", "GET"): SIGNED_IN,
    ("/programmes/<int:programme_id>/questions/new", "GET"): SIGNED_IN,
    ("/programmes/<int:programme_id>/questions/new", "POST"): (L, L, 422, 422, 422),
    ("/programmes/<int:programme_id>/questions/<int:question_id>/edit", "GET"): SIGNED_IN,
    ("/programmes/<int:programme_id>/questions/<int:question_id>/edit", "POST"): SIGNED_IN_POST,
    ("/programmes/<int:programme_id>/questions/<int:question_id>/delete", "GET"): SIGNED_IN,
    ("/programmes/<int:programme_id>/questions/<int:question_id>/delete", "POST"): (SIGNED_IN_POST),
    (QUESTION_MOVE.format("programmes/<int:programme_id>"), "POST"): SIGNED_IN_POST,
    ("/programmes/<int:programme_id>/questions/order", "POST"): (L, L, 409, 409, 409),
    ("/programmes/<int:programme_id>/questions/library", "POST"): SIGNED_IN_POST,
    ("/programmes/<int:programme_id>/questions/purpose", "POST"): SIGNED_IN_POST,
    ("/programmes/<int:programme_id>/questions/copy", "GET"): SIGNED_IN,
    ("/programmes/<int:programme_id>/questions/copy", "POST"): (L, L, 422, 422, 422),
    # follow-up: an event's managers keep its minutes, files and commitments; files are read
    # by organisers, by holders of the event's personal links (participants visibility here)
    ("/events/<int:event_id>/followup", "GET"): MANAGE,
    ("/events/<int:event_id>/followup/mail", "GET"): MANAGE,
    ("/events/<int:event_id>/followup/mail", "POST"): MANAGE,  # empty: preview only
    ("/events/<int:event_id>/minutes", "POST"): MANAGE_POST,  # empty minutes are allowed
    ("/events/<int:event_id>/materials", "POST"): REFUSED_FOR_MANAGERS,  # no file
    ("/events/<int:event_id>/materials/<int:material_id>", "GET"): READ_BY_ORGANISERS,
    ("/events/<int:event_id>/materials/<int:material_id>/edit", "GET"): MANAGE,
    ("/events/<int:event_id>/materials/<int:material_id>/edit", "POST"): MANAGE_POST,
    ("/events/<int:event_id>/materials/<int:material_id>/delete", "POST"): MANAGE_POST,
    ("/events/<int:event_id>/commitments", "POST"): REFUSED_FOR_MANAGERS,  # nothing agreed
    ("/events/<int:event_id>/commitments/<int:commitment_id>/edit", "GET"): MANAGE,
    ("/events/<int:event_id>/commitments/<int:commitment_id>/edit", "POST"): MANAGE_POST,
    ("/events/<int:event_id>/commitments/<int:commitment_id>/status", "POST"): MANAGE_POST,
    ("/events/<int:event_id>/commitments/<int:commitment_id>/delete", "POST"): MANAGE_POST,
    ("/r/<token>/materials/<int:material_id>", "GET"): OWN_EVENT_TOKEN,
    ("/i/<token>/materials/<int:material_id>", "GET"): OWN_EVENT_TOKEN,
    # an owner's link reaches only its own organisation's commitments
    ("/c/<token>", "GET"): TOKEN,
    ("/c/<token>/commitments/<int:commitment_id>", "POST"): (404, 404, 422, 422, 422),
    (REVOKE_OWNER_LINK, "POST"): SIGNED_IN_POST,
    ("/programmes/<int:programme_id>/commitments.csv", "GET"): SIGNED_IN,
    ("/programmes/<int:programme_id>/commitments.xlsx", "GET"): SIGNED_IN,
    ("/programmes/<int:programme_id>/figures.csv", "GET"): SIGNED_IN,
    ("/programmes/<int:programme_id>/figures.xlsx", "GET"): SIGNED_IN,
    # figures by answer: small counts hidden; an event's own for its managers
    ("/programmes/<int:programme_id>/answer-figures.csv", "GET"): SIGNED_IN,
    ("/programmes/<int:programme_id>/answer-figures.xlsx", "GET"): SIGNED_IN,
    ("/events/<int:event_id>/answer-figures.csv", "GET"): MANAGE,
    ("/events/<int:event_id>/answer-figures.xlsx", "GET"): MANAGE,
    # every organiser follows delivery; the body of a message of event A (its personal
    # links) is for A's managers: others get the page without it (test_outbox_access.py)
    ("/outbox/", "GET"): SIGNED_IN,
    ("/outbox/<int:message_id>", "GET"): SIGNED_IN,
    ("/outbox/<int:message_id>/html", "GET"): MANAGE,
    ("/outbox/<int:message_id>/resend", "POST"): MANAGE_POST,  # not failed: a message
    ("/outbox/resend-failed", "POST"): SIGNED_IN_POST,  # each resends what they manage
    # messages from organisers: an event's managers write to its people
    ("/events/<int:event_id>/messages", "GET"): MANAGE,
    ("/events/<int:event_id>/messages", "POST"): REFUSED_FOR_MANAGERS,  # no subject, no body
    (RESEND_FAILED_MESSAGE, "POST"): MANAGE_POST,  # nothing failed: said, then redirected
}

TOKEN_KINDS = {
    "invitations.respond": "invitation",
    "invitations.accept": "invitation",
    "invitations.decline": "invitation",
    "invitations.opt_out": "opt_out",
    "registrations.manage": "registration",
    "registrations.update": "registration",
    "registrations.cancel": "registration",
    "registrations.confirm_cancel": "registration",
    "registrations.personal_feed": "registration",
    "registrations.confirm": "registration",
    "calendar.private_feed": "feed",
    "followup.registrant_material": "registration",
    "followup.invitee_material": "invitation",
    "followup.owner_commitments": "commitments",
    "followup.owner_update": "commitments",
    "auth.reset_password": "password_reset",
    "auth.accept_invitation": "account_invitation",
}


def _cases(app: Flask):
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def _invite(event: Event, organisation_id: int, organiser) -> Invitation:
    plan = invitation_services.plan_invitations(event, [organisation_id], True, [], "")
    invitation_services.send_invitations(event, plan, organiser)
    db.session.flush()
    return db.session.scalar(select(Invitation).where(Invitation.event_id == event.id))


def _registration(event: Event, email: str):
    data = registration_services.RegistrantData(name="Rosa Invitada", email=email)
    return registration_services.register(event, data)


def _build_world(app: Flask) -> dict:
    """Event A (managed by a co-organiser) with one of everything; event B for the invitee."""
    starts = datetime.now(UTC) + timedelta(days=30)
    with app.app_context(), app.test_request_context():
        db.create_all()
        UserFactory(email="admin@example.org", is_admin=True)
        creator = UserFactory(email="creator@example.org")
        manager = UserFactory(email="manager@example.org")
        outsider = UserFactory(email="outsider@example.org")
        invited = account_links.invite_organiser(
            "invited@example.org", "Invitada", False, "es", creator
        )
        # The account links are nobody's but their holder's: every holder gets a live one.
        account_tokens = {
            holder: {
                "password_reset": account_links.issue_link(
                    UserFactory(email=f"forgetful-{holder}@example.org"),
                    AccountLinkPurpose.PASSWORD_RESET,
                    "es",
                ),
                "account_invitation": account_links.issue_link(
                    invited, AccountLinkPurpose.INVITATION, "es"
                ),
            }
            for holder in ("signed_in", "invitee")
        }
        organisation = OrganisationFactory()
        ContactFactory(organisation=organisation, email="alcaldia@example.org")
        other_organisation = OrganisationFactory()
        ContactFactory(organisation=other_organisation, email="invitee@example.org")
        speaker = SpeakerFactory(organisation=organisation)
        programme = ProgrammeFactory()
        event_a, event_b = (
            EventFactory(
                published=True,
                registration_mode="open",
                created_by_id=creator.id,
                starts_at=starts,
                ends_at=starts + timedelta(hours=3),
            )
            for _ in range(2)
        )
        db.session.flush()
        db.session.add(EventManager(event_id=event_a.id, user_id=manager.id))
        participation = EventOrganisation(
            event=event_a, organisation=other_organisation, role="host"
        )
        db.session.add(participation)
        item = AgendaItem(
            title="Apertura", kind="talk", starts_at=starts, ends_at=starts + timedelta(minutes=30)
        )
        event_a.agenda_items.append(item)
        invitation_a = _invite(event_a, organisation.id, creator)
        invitation_b = _invite(event_b, other_organisation.id, creator)
        registration_a = _registration(event_a, "participante@example.org")
        registration_b = _registration(event_b, "invitee@example.org")
        material = followup_services.add_material(
            event_a,
            followup_services.Upload("acta.pdf", b"%PDF-1.4 acta"),
            "Acta",
            "participants",
            None,
            creator,
        )
        images.save_image(event_a, Upload("cartel.png", b"\x89PNG\r\n\x1a\n cartel"), "", creator)
        commitment = commitments.create_commitment(
            event_a,
            commitments.CommitmentData("Mapear oficinas", organisation.id),
            creator,
        )
        organiser_message = message_services.send_message(
            event_a, Choice(frozenset({Audience.CONFIRMED})), "Aviso", "Hola {name}", creator
        )
        db.session.flush()
        event_question = question_services.add_question(
            question_services.ensure_event_form(event_a),
            question_services.QuestionSpec(kind="short_text", label_es="Cargo"),
        )
        programme_question = question_services.add_question(
            question_services.ensure_programme_form(programme),
            question_services.QuestionSpec(kind="yes_no", label_es="¿Primera vez?"),
        )
        world = {
            "ids": {
                "event_id": event_a.id,
                "item_id": item.id,
                "invitation_id": invitation_a.id,
                "registration_id": registration_a.id,
                "participation_id": participation.id,
                "organisation_id": organisation.id,
                "contact_id": organisation.contacts[0].id,
                "speaker_id": speaker.id,
                "programme_id": programme.id,
                "message_id": db.session.scalar(
                    select(OutboxMessage.id)
                    .where(OutboxMessage.event_id == event_a.id)
                    .order_by(OutboxMessage.id)
                    .limit(1)
                ),
                "filename": "style.css",
                "code": registration_services.checkin_code(registration_a),
                "material_id": material.id,
                "digest": event_a.image.digest,
                "commitment_id": commitment.id,
                "organiser_message_id": organiser_message.id,
                "question_id": event_question.id,
                "programme_question_id": programme_question.id,
                "direction": "up",
            },
            "user_ids": {"users": outsider.id, "events": manager.id, "invited": invited.id},
            "tokens": {
                "signed_in": {
                    "invitation": invitation_services.invitation_token(invitation_a),
                    "registration": registration_services.registration_token(registration_a),
                    "feed": rotate_feed_token(FeedKind.ORGANISATION, organisation.id),
                    "opt_out": opt_out_token("alcaldia@example.org"),
                    "commitments": commitments.ensure_link(organisation.contacts[0]),
                    **account_tokens["signed_in"],
                },
                "invitee": {
                    "invitation": invitation_services.invitation_token(invitation_b),
                    "registration": registration_services.registration_token(registration_b),
                    "feed": rotate_feed_token(FeedKind.REGISTRANT, "invitee@example.org"),
                    "opt_out": opt_out_token("invitee@example.org"),
                    "commitments": commitments.ensure_link(other_organisation.contacts[0]),
                    **account_tokens["invitee"],
                },
                "anonymous": {
                    kind: secrets.token_urlsafe(32)
                    for kind in (
                        "invitation",
                        "registration",
                        "feed",
                        "opt_out",
                        "commitments",
                        "password_reset",
                        "account_invitation",
                    )
                },
            },
        }
        db.session.commit()
    return world


def _url(app: Flask, rule, role: str, world: dict) -> str:
    values = {}
    for name in rule.arguments:
        if name == "token":
            holder = role if role in ("anonymous", "invitee") else "signed_in"
            values[name] = world["tokens"][holder][TOKEN_KINDS[rule.endpoint]]
        elif name == "user_id":
            # /users/<id>: the organiser's account (an invited one for its invitation);
            # /events/<id>/co-organisers/<id>: the manager
            scope = "users" if rule.endpoint.startswith("auth.") else "events"
            if "invitation" in rule.rule:
                scope = "invited"
            values[name] = world["user_ids"][scope]
        elif name == "question_id" and rule.rule.startswith("/programmes/"):
            values[name] = world["ids"]["programme_question_id"]
        else:
            values[name] = world["ids"][name]
    return rule.build(values, append_unknown=False)[1]


@pytest.fixture(scope="module", params=DATABASES)
def matrix(request, tmp_path_factory):
    """One app on a database that is replaced by a pristine copy before each case."""
    folder = tmp_path_factory.mktemp("matrix")
    copies = copies_for(request.param, folder)
    builder = create_app(base_config(copies.template_url, folder))
    world = _build_world(builder)
    cookies = {}
    for role in ("organiser", "manager", "admin"):
        email = {"organiser": "outsider", "manager": "manager", "admin": "admin"}[role]
        client = builder.test_client()
        assert login(client, f"{email}@example.org").status_code == 302
        cookies[role] = client.get_cookie("session").value
    with builder.app_context():
        world["ids"]["session_id"] = db.session.scalar(
            select(UserSession.id)
            .join(UserSession.user)
            .where(User.email == "outsider@example.org")
        )
    built(builder, copies, folder)
    app = create_app(base_config(copies.live_url, folder))
    yield app, copies, world, cookies
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    copies.close()


def _status(response) -> int | str:
    location = response.headers.get("Location", "")
    if response.status_code == 302 and location.startswith("/login"):
        return L
    return response.status_code


def test_every_route_has_a_row(matrix):
    app = matrix[0]
    routes = {(rule.rule, method) for rule, method in _cases(app)}
    assert sorted(routes - EXPECTED.keys()) == [], "new routes need a row in EXPECTED"
    assert sorted(EXPECTED.keys() - routes) == [], "rows for routes that no longer exist"


def test_authorisation_matrix(matrix):
    app, copies, world, cookies = matrix
    wrong, checked = [], 0
    dirty = True
    for rule, method in sorted(_cases(app), key=lambda case: (case[0].rule, case[1])):
        expected = EXPECTED.get((rule.rule, method))
        if expected is None:
            continue  # reported by test_every_route_has_a_row
        for role, want in zip(ROLES, expected, strict=True):
            if dirty:
                fresh_copy(app, copies)
            client = app.test_client()
            if role in cookies:
                client.set_cookie("session", cookies[role])
            url = _url(app, rule, role, world)
            response = client.open(url, method=method)
            got = _status(response)
            response.close()
            # A database made from a template costs a tenth of a second or more: on PostgreSQL
            # a new one follows only a request that may have written, a POST that was let in
            # (a GET changes no state here; a refusal is checked before any write). Signing
            # out also ends in the sign-in page: only a visitor without a session is refused.
            refused = (403, 404, 405) if role in cookies else (L, 403, 404, 405)
            dirty = isinstance(copies, SqliteCopies) or (method != "GET" and got not in refused)
            checked += 1
            if got != want:
                wrong.append(f"{method} {url} as {role}: expected {want}, got {got}")
    print(f"authorisation matrix: {checked} route × role cases checked")
    assert wrong == [], "\n".join(wrong)
    assert checked == len(EXPECTED) * len(ROLES)
