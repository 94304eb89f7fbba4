"""Messages from organisers: audiences, placeholders, opt-outs, preview, history, resend."""

from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy

import pytest
from sqlalchemy import func, select

from eventhub.audit.models import AuditEntry
from eventhub.events.models import EventOrganisation
from eventhub.extensions import db
from eventhub.invitations.models import Invitation, MailOptOut
from eventhub.invitations.services import invitation_token
from eventhub.mail.models import OutboxMessage
from eventhub.mail.worker import deliver_due
from eventhub.messages.models import MessageRecipient, OrganiserMessage
from eventhub.organisations.models import Organisation
from eventhub.registrations.models import Registration
from eventhub.registrations.services import registration_token
from eventhub.tokens import derive_token, new_salt, token_hash
from tests.conftest import login
from tests.factories import (
    ContactFactory,
    EventFactory,
    OrganisationFactory,
    RegistrationFactory,
    UserFactory,
)

BASE = "http://eventhub.test"
ENDED = datetime.now(UTC) - timedelta(days=2)

# Who each audience reaches in the world below.
EXPECTED = {
    "confirmed": {"conf@example.org", "door@example.org"},
    "waiting": {"wait@example.org"},
    "awaiting_approval": {"pend@example.org"},
    "checked_in": {"door@example.org"},
    "absent": {"conf@example.org"},
    "not_answered": {"inv@example.org"},
    "declined": {"no@example.org"},
    "contacts": {"ca@example.org", "cb@example.org"},
}


def invite(event, email: str, name: str | None, response: str = "pending", **fields):
    salt = new_salt()
    invitation = Invitation(
        event=event,
        email=email,
        name=name,
        token_salt=salt,
        token_hash=token_hash(derive_token("invitation", event.id, salt)),
        response=response,
        **fields,
    )
    db.session.add(invitation)
    return invitation


def build(app, *, ended: bool = True) -> dict:
    """One event with a person in every audience (and some in none)."""
    with app.app_context():
        UserFactory(email="organiser@example.org", name="Ana Organiser")
        db.session.flush()
        starts = ENDED if ended else datetime.now(UTC) + timedelta(days=10)
        event = EventFactory(
            published=True,
            registration_mode="open",
            title="Mesa de Lo Prado",
            starts_at=starts,
            ends_at=starts + timedelta(hours=3),
            venue_name="Municipalidad de Lo Prado",
            venue_address="San Pablo 5959",
        )
        host, guest, other = OrganisationFactory(), OrganisationFactory(), OrganisationFactory()
        db.session.flush()
        db.session.add_all(
            [
                EventOrganisation(event=event, organisation=host, role="host"),
                EventOrganisation(event=event, organisation=guest, role="participant"),
            ]
        )
        ContactFactory(organisation=host, email="cb@example.org", name="Carla Host")
        ContactFactory(organisation=guest, email="ca@example.org", name="Colin", language="en")
        ContactFactory(organisation=other, email="nobody@example.org")  # not taking part
        people = [
            ("conf@example.org", "Conchita", "confirmed", None, host),
            ("door@example.org", "Dora", "confirmed", ENDED, guest),
            ("wait@example.org", "Walter", "waiting", None, None),
            ("pend@example.org", "Pedro", "pending", None, None),
            ("gone@example.org", "Gonzalo", "cancelled", None, None),
        ]
        for email, name, status, checked_in_at, organisation in people:
            RegistrationFactory(
                event=event,
                email=email,
                name=name,
                status=status,
                checked_in_at=checked_in_at,
                organisation=organisation,
                language="en" if name == "Walter" else "es",
            )
        invite(event, "inv@example.org", "Inés", organisation_id=guest.id)
        invite(event, "no@example.org", None, "declined")
        invite(event, "yes@example.org", "Yolanda", "accepted")
        db.session.commit()
        return {"event": event.id, "host": host.id, "guest": guest.id}


@pytest.fixture
def world(app):
    return build(app)


@pytest.fixture
def writer(client, world):
    assert login(client, "organiser@example.org").status_code == 302
    return client


def post(client, world, audiences, subject="Aviso", body="Hola {name}", action="send", **more):
    data = {"audiences": audiences, "subject": subject, "body": body, action: "x", **more}
    return client.post(f"/events/{world['event']}/messages", data=data)


def delivered(sink) -> dict:
    return {
        envelope.rcpt_tos[0]: message_from_bytes(envelope.original_content, policy=policy.default)
        for envelope in sink.envelopes
    }


def text_of(mail) -> str:
    return mail.get_body(("plain",)).get_content()


def test_each_audience_reaches_its_people_over_smtp(make_app, smtp_sink):
    app = make_app(**smtp_sink.app_config())
    world = build(app)
    client = app.test_client()
    login(client, "organiser@example.org")
    for audience, emails in EXPECTED.items():
        smtp_sink.clear()
        response = post(client, world, [audience], subject=f"Para {audience}")
        assert response.status_code == 302, response.get_data(as_text=True)
        with app.app_context():
            deliver_due()
        assert set(delivered(smtp_sink)) == emails, audience


def test_placeholders_are_filled_per_person_in_their_language(make_app, smtp_sink):
    app = make_app(**smtp_sink.app_config())
    world = build(app)
    client = app.test_client()
    login(client, "organiser@example.org")
    body = (
        "Estimada {name}:\n\n**{event_title}** es el {event_date} en {lugar}.\n\n"
        "[Su página]({link})"
    )
    response = post(
        client, world, ["confirmed", "waiting", "not_answered"], "{evento}: aviso", body
    )
    assert response.status_code == 302
    with app.app_context():
        deliver_due()
        conf = db.session.scalar(select(Registration).filter_by(email="conf@example.org"))
        wait = db.session.scalar(select(Registration).filter_by(email="wait@example.org"))
        inv = db.session.scalar(select(Invitation).filter_by(email="inv@example.org"))
        links = {
            "conf@example.org": f"{BASE}/r/{registration_token(conf)}",
            "wait@example.org": f"{BASE}/r/{registration_token(wait)}",
            "inv@example.org": f"{BASE}/i/{invitation_token(inv)}",
        }
    mails = delivered(smtp_sink)
    assert set(mails) == {*links, "door@example.org"}
    conchita, walter = mails["conf@example.org"], mails["wait@example.org"]
    assert conchita["Subject"] == "Mesa de Lo Prado: aviso"
    text = text_of(conchita)
    assert "Estimada Conchita:" in text
    assert "es el " in text and "Municipalidad de Lo Prado, San Pablo 5959" in text
    assert links["conf@example.org"] in text
    assert links["wait@example.org"] not in text
    html = conchita.get_body(("html",)).get_content()
    assert f'<a href="{links["conf@example.org"]}' in html
    assert "<strong>Mesa de Lo Prado</strong>" in html
    assert "Un mensaje de los organizadores" in text
    # Walter reads English around the organiser's words, and his own link.
    walter_text = text_of(walter)
    assert "A message from the organisers of Mesa de Lo Prado" in walter_text
    assert "Estimada Walter:" in walter_text and links["wait@example.org"] in walter_text
    assert links["inv@example.org"] in text_of(mails["inv@example.org"])


def test_an_unknown_placeholder_is_refused_and_nothing_is_queued(app, writer, world):
    response = post(writer, world, ["confirmed"], body="Hola {nmae}, {name}")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "{nmae}" in page and "Unknown placeholder" not in page  # Spanish by default
    assert "Marcador desconocido" in page
    response = post(writer, world, ["confirmed"], subject="{fecha_x}", action="preview")
    assert response.status_code == 422 and "{fecha_x}" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0
        assert db.session.scalar(select(func.count(OrganiserMessage.id))) == 0


def test_preview_counts_skips_and_shows_both_languages_writing_nothing(app, writer, world):
    with app.app_context():
        db.session.add(MailOptOut(email="inv@example.org"))
        host = db.session.get(Organisation, world["host"])
        ContactFactory(organisation=host, email="conf@example.org", name="Conchita otra vez")
        db.session.commit()
    response = post(
        writer,
        world,
        ["confirmed", "not_answered", "contacts"],
        body="Hola {name}, <script>alert(1)</script>",
        action="preview",
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    # conf, door, ca, cb: inv opted out, conf's contact row is a duplicate.
    assert "4 personas recibirán el mensaje." in page
    assert "pidió no recibir más correos nuestros" in page
    assert "Conchita otra vez &lt;conf@example.org&gt; — repetido" in page
    assert 'id="sample-es"' in page and 'id="sample-en"' in page
    assert "Hola Conchita" in page and "Hola Colin" in page
    assert "<script>alert(1)" not in page and "&lt;script&gt;" in page
    with app.app_context():
        assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0
        assert db.session.scalar(select(func.count(OrganiserMessage.id))) == 0


def test_opt_outs_are_respected_except_about_the_persons_own_registration(make_app, smtp_sink):
    app = make_app(**smtp_sink.app_config())
    world = build(app)
    with app.app_context():
        db.session.add_all(
            [MailOptOut(email="inv@example.org"), MailOptOut(email="conf@example.org")]
        )
        db.session.commit()
    client = app.test_client()
    login(client, "organiser@example.org")
    assert post(client, world, ["absent", "not_answered", "contacts"]).status_code == 302
    with app.app_context():
        deliver_due()
    mails = delivered(smtp_sink)
    assert set(mails) == {"conf@example.org", "ca@example.org", "cb@example.org"}
    assert mails["conf@example.org"]["List-Unsubscribe"] is None
    unsubscribe = mails["ca@example.org"]["List-Unsubscribe"]
    assert unsubscribe.startswith(f"<{BASE}/unsubscribe/")
    assert unsubscribe[1:-1] in text_of(mails["ca@example.org"])


def test_a_person_in_several_audiences_gets_one_email(app, writer, world):
    with app.app_context():
        guest = db.session.get(Organisation, world["guest"])
        ContactFactory(organisation=guest, email="door@example.org", name="Dora")
        db.session.commit()
    assert post(writer, world, ["confirmed", "checked_in", "contacts"]).status_code == 302
    with app.app_context():
        addresses = db.session.scalars(select(OutboxMessage.to_address)).all()
        assert sorted(addresses) == sorted(
            ["conf@example.org", "door@example.org", "ca@example.org", "cb@example.org"]
        )
        kinds = dict(
            db.session.execute(select(MessageRecipient.email, MessageRecipient.audience)).all()
        )
        assert kinds["door@example.org"] == "confirmed"


def test_contacts_by_role_and_audiences_narrowed_by_organisation(app, writer, world):
    response = post(writer, world, ["contacts"], contact_roles=["host"])
    assert response.status_code == 302
    response = post(
        writer, world, ["confirmed", "not_answered"], organisation_ids=[str(world["guest"])]
    )
    assert response.status_code == 302
    with app.app_context():
        first, second = db.session.scalars(select(OrganiserMessage).order_by(OrganiserMessage.id))
        recipients = {
            m.id: {
                r.email
                for r in db.session.scalars(select(MessageRecipient).filter_by(message_id=m.id))
            }
            for m in (first, second)
        }
    assert recipients[first.id] == {"cb@example.org"}
    assert recipients[second.id] == {"door@example.org", "inv@example.org"}


def test_absent_only_after_the_event_and_an_empty_audience_is_refused(app, client):
    world = build(app, ended=False)
    login(client, "organiser@example.org")
    response = post(client, world, ["absent"])
    assert response.status_code == 422
    assert "todavía no ha terminado" in response.get_data(as_text=True)
    response = post(client, world, [])
    assert response.status_code == 422
    response = post(client, world, ["waiting"], organisation_ids=[str(world["host"])])
    assert response.status_code == 422
    assert "está vacío" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0


def test_history_counts_delivery_and_resends_the_failed_once(make_app, smtp_sink):
    app = make_app(**smtp_sink.app_config())
    world = build(app)
    smtp_sink.reject("door@example.org", "550 5.1.1 No such user")
    client = app.test_client()
    login(client, "organiser@example.org")
    assert post(client, world, ["confirmed"], subject="Recordatorio").status_code == 302
    with app.app_context():
        deliver_due()
        message_id = db.session.scalar(select(OrganiserMessage.id))
    page = client.get(f"/events/{world['event']}/messages").get_data(as_text=True)
    assert "Recordatorio" in page and "enviados 1 · fallidos 1" in page
    resend = f"/events/{world['event']}/messages/{message_id}/resend-failed"
    assert client.post(resend).status_code == 302
    assert client.post(resend).status_code == 302  # nothing failed any more: said, not queued
    with app.app_context():
        assert db.session.scalar(select(func.count(OutboxMessage.id))) == 3
        actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
        assert actions == ["message.send", "message.resend_failed"]
    smtp_sink.accept("door@example.org")
    with app.app_context():
        deliver_due()
    page = client.get(f"/events/{world['event']}/messages").get_data(as_text=True)
    assert "enviados 2 · fallidos 0" in page


def test_a_failed_email_resent_from_the_outbox_page_is_not_sent_twice(app, writer, world):
    assert post(writer, world, ["waiting"]).status_code == 302
    with app.app_context():
        failed = db.session.scalar(select(OutboxMessage))
        failed.status = "failed"
        message_id = db.session.scalar(select(OrganiserMessage.id))
        db.session.commit()
        failed_id = failed.id
    assert writer.post(f"/outbox/{failed_id}/resend").status_code == 302
    resend = f"/events/{world['event']}/messages/{message_id}/resend-failed"
    assert writer.post(resend).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count(OutboxMessage.id))) == 2
        pointed = db.session.scalar(select(MessageRecipient.outbox_message_id))
        assert pointed != failed_id
    page = writer.get(f"/events/{world['event']}/messages").get_data(as_text=True)
    assert "fallidos 0" in page


def test_another_events_message_cannot_be_resent_from_here(app, writer, world):
    assert post(writer, world, ["confirmed"]).status_code == 302
    with app.app_context():
        message_id = db.session.scalar(select(OrganiserMessage.id))
        other = EventFactory(published=True)
        db.session.commit()
        other_id = other.id
    response = writer.post(f"/events/{other_id}/messages/{message_id}/resend-failed")
    assert response.status_code == 404


def test_the_event_page_links_to_the_messages(app, writer, world):
    page = writer.get(f"/events/{world['event']}").get_data(as_text=True)
    assert f'href="/events/{world["event"]}/messages"' in page


def test_queries_stay_flat_for_a_350_organisation_audience(make_app, count_queries):
    from tests.test_query_counts import _count

    app = make_app(CACHE_TTL=0, FEED_CACHE_BYTES=0)
    world = build(app)
    client = app.test_client()
    login(client, "organiser@example.org")

    def grow(n: int) -> None:
        with app.app_context():
            from eventhub.events.models import Event

            event = db.session.get(Event, world["event"])
            for _ in range(n):
                organisation = OrganisationFactory()
                db.session.add(
                    EventOrganisation(event=event, organisation=organisation, role="invited")
                )
                ContactFactory(organisation=organisation)
                RegistrationFactory(event=event, organisation=organisation)
                invite(event, f"i{organisation.id}@example.org", None, organisation=organisation)
            db.session.commit()

    audiences = ["confirmed", "not_answered", "contacts"]

    def preview_queries() -> int:
        with count_queries(app) as statements:
            response = post(client, world, audiences, action="preview")
        assert response.status_code == 200
        return len(statements)

    def send_queries() -> int | None:
        with count_queries(app) as statements:
            assert post(client, world, audiences).status_code == 302
        if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
            return None  # SQLite gives the queued rows' ids one INSERT at a time (mail/services)
        return len(statements)

    page = f"/events/{world['event']}/messages"
    grow(5)
    small = (send_queries(), preview_queries(), _count(app, client, page))
    grow(345)
    large = (send_queries(), preview_queries(), _count(app, client, page))
    assert small == large
