"""The outbox is shared, its bodies are not: a message's text holds the recipient's personal
links, so only the managers of its event (and admins) read it or send it again."""

import re

import pytest
from sqlalchemy import func, select, update

from eventhub.events.models import EventManager
from eventhub.extensions import db
from eventhub.invitations import services as invitation_services
from eventhub.mail import services as outbox
from eventhub.mail.models import OutboxMessage, OutboxStatus
from eventhub.mail.services import OutgoingMail
from eventhub.registrations import services as registration_services
from tests.conftest import login
from tests.factories import ContactFactory, EventFactory, OrganisationFactory, UserFactory

PERSONAL_LINK = re.compile(r"/(i|r|unsubscribe)/[A-Za-z0-9_-]{43}")


@pytest.fixture
def world(app):
    """Event A by its creator, co-organised by a manager; its invitation and registration
    mail; one failed message of A; one message about no event."""
    with app.app_context(), app.test_request_context():
        creator = UserFactory(email="creator@example.org")
        manager = UserFactory(email="manager@example.org")
        UserFactory(email="outsider@example.org")
        UserFactory(email="admin@example.org", is_admin=True)
        event = EventFactory(published=True, registration_mode="open", created_by_id=creator.id)
        organisation = OrganisationFactory()
        ContactFactory(organisation=organisation, email="alcaldia@example.org")
        db.session.flush()
        db.session.add(EventManager(event_id=event.id, user_id=manager.id))
        plan = invitation_services.plan_invitations(event, [organisation.id], True, [], "")
        invitation_services.send_invitations(event, plan, creator)
        registration_services.register(
            event, registration_services.RegistrantData(name="Rosa", email="rosa@example.org")
        )
        db.session.flush()
        invitation = db.session.scalar(
            select(OutboxMessage).where(OutboxMessage.topic == "invitation")
        )
        registration = db.session.scalar(
            select(OutboxMessage).where(OutboxMessage.topic.like("registration-%"))
        )
        failed = outbox.resend(registration)
        db.session.flush()
        failed.status = OutboxStatus.FAILED.value
        unscoped = outbox.enqueue(
            OutgoingMail(to_address="x@example.org", subject="Sin evento", text_body="secreto")
        )
        db.session.commit()
        return {
            "event": event.id,
            "invitation": invitation.id,
            "registration": registration.id,
            "failed": failed.id,
            "unscoped": unscoped.id,
        }


def _as(app, who: str):
    client = app.test_client()
    assert login(client, f"{who}@example.org").status_code == 302
    client.post("/language", data={"lang": "en"})
    return client


def test_every_mail_of_an_event_knows_its_event(app, world):
    with app.app_context():
        for key in ("invitation", "registration", "failed"):
            assert db.session.get(OutboxMessage, world[key]).event_id == world["event"]


def test_a_non_manager_sees_delivery_but_no_body_or_link(app, world):
    client = _as(app, "outsider")
    for key in ("invitation", "registration"):
        response = client.get(f"/outbox/{world[key]}")
        page = response.get_data(as_text=True)
        assert response.status_code == 200
        assert 'id="delivery"' in page and "To</dt>" in page  # status, recipient
        assert not PERSONAL_LINK.search(page), key
        assert 'id="text-body"' not in page and 'id="html-body"' not in page
        assert "List-Unsubscribe" not in page
        assert "shown only to the managers of its event" in page
        assert client.get(f"/outbox/{world[key]}/html").status_code == 403
    listing = client.get("/outbox/").get_data(as_text=True)
    assert "alcaldia@example.org" in listing and not PERSONAL_LINK.search(listing)


@pytest.mark.parametrize("who", ["creator", "manager", "admin"])
def test_managers_and_admins_read_the_body_with_its_links(app, world, who):
    client = _as(app, who)
    page = client.get(f"/outbox/{world['invitation']}").get_data(as_text=True)
    assert PERSONAL_LINK.search(page)
    assert "List-Unsubscribe" in page
    html = client.get(f"/outbox/{world['invitation']}/html")
    assert html.status_code == 200 and PERSONAL_LINK.search(html.get_data(as_text=True))


def test_a_message_about_no_event_is_for_admins_only(app, world):
    assert "secreto" not in _as(app, "creator").get(f"/outbox/{world['unscoped']}").get_data(
        as_text=True
    )
    assert "secreto" in _as(app, "admin").get(f"/outbox/{world['unscoped']}").get_data(as_text=True)


def _count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(OutboxMessage.id)))


def test_resending_stays_with_managers(app, world):
    before = _count(app)
    outsider = _as(app, "outsider")
    page = outsider.get(f"/outbox/{world['failed']}").get_data(as_text=True)
    assert "Send again" not in page
    assert outsider.post(f"/outbox/{world['failed']}/resend").status_code == 403
    response = outsider.post("/outbox/resend-failed", follow_redirects=True)
    assert "There are no failed messages to send again." in response.get_data(as_text=True)
    assert _count(app) == before

    manager = _as(app, "manager")
    assert manager.post(f"/outbox/{world['failed']}/resend").status_code == 302
    assert _count(app) == before + 1


def test_resend_all_by_a_manager_takes_only_their_events_messages(app, world):
    with app.app_context():
        other = outbox.enqueue(
            OutgoingMail(to_address="y@example.org", subject="Otro", text_body="otro")
        )
        other.status = OutboxStatus.FAILED.value
        db.session.commit()
    before = _count(app)
    response = _as(app, "manager").post("/outbox/resend-failed", follow_redirects=True)
    assert "1 failed message was queued again." in response.get_data(as_text=True)
    assert _count(app) == before + 1
    response = _as(app, "admin").post("/outbox/resend-failed", follow_redirects=True)
    assert "1 failed message was queued again." in response.get_data(as_text=True)


def test_a_co_organiser_removed_from_the_event_loses_the_bodies(app, world):
    manager = _as(app, "manager")
    assert PERSONAL_LINK.search(manager.get(f"/outbox/{world['invitation']}").get_data(True))
    with app.app_context():
        db.session.execute(
            update(EventManager)
            .where(EventManager.event_id == world["event"])
            .values(event_id=EventFactory().id)
        )
        db.session.commit()
    assert not PERSONAL_LINK.search(manager.get(f"/outbox/{world['invitation']}").get_data(True))
