"""Events that confirm the address before the place is taken: holds, links, expiry, promotion."""

import re
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy

import pytest
from sqlalchemy import select, update

from eventhub.events.models import Event
from eventhub.extensions import db
from eventhub.invitations import services as invitations
from eventhub.invitations.models import Invitation
from eventhub.mail.models import OutboxMessage
from eventhub.mail.worker import deliver_due
from eventhub.registrations import services
from eventhub.registrations.models import Registration
from tests.factories import EventFactory, UserFactory
from tests.test_events import event_form


def confirm_event(app, capacity: int | None = 2, **fields) -> int:
    with app.app_context():
        event = EventFactory(
            published=True,
            registration_mode="open",
            confirm_email=True,
            capacity=capacity,
            **fields,
        )
        db.session.commit()
        return event.id


def register(client, event_id: int, email: str, name: str = "Ana Pérez"):
    data = {"name": name, "email": email, "organisation_id": ""}
    return client.post(f"/events/{event_id}/register", data=data)


def row(app, email: str) -> Registration:
    with app.app_context():
        return db.session.scalars(select(Registration).where(Registration.email == email)).one()


def statuses(app, event_id: int) -> dict[str, str]:
    with app.app_context():
        rows = db.session.execute(
            select(Registration.email, Registration.status).where(Registration.event_id == event_id)
        ).all()
        return dict(rows)


def link_in_mail(app, email: str) -> str:
    with app.app_context():
        message = db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.to_address == email)
            .order_by(OutboxMessage.id.desc())
        ).first()
        return re.search(r"http://eventhub\.test(/r/[\w-]+)", message.text_body).group(1)


def topics(app, email: str) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(OutboxMessage.topic)
                .where(OutboxMessage.to_address == email)
                .order_by(OutboxMessage.id)
            )
        )


def expire(app, *emails: str) -> None:
    """As if the hold time had passed for these registrations."""
    with app.app_context():
        db.session.execute(
            update(Registration)
            .where(Registration.email.in_(emails))
            .values(hold_expires_at=datetime.now(UTC) - timedelta(minutes=1))
        )
        db.session.commit()


def free_places(app, event_id: int) -> int | None:
    with app.app_context():
        return services.free_places(db.session.get(Event, event_id))


def test_organisers_turn_the_setting_on_in_the_event_form(app, organiser_client):
    page = organiser_client.get("/events/new").get_data(as_text=True)
    assert 'name="confirm_email"' in page
    response = organiser_client.post(
        "/events/new", data=event_form(registration_mode="open", confirm_email="y")
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalars(select(Event.confirm_email)).one() is True


def test_registering_holds_a_place_and_the_link_goes_only_to_the_address(app, client):
    event_id = confirm_event(app, capacity=2)
    response = register(client, event_id, "ana@example.org")
    # Not the personal page: whoever typed the address must not get its link.
    assert response.status_code == 302
    assert response.headers["Location"] == f"/events/{event_id}"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "ana@example.org" in page and "60 minutos" in page
    assert "/r/" not in page
    ana = row(app, "ana@example.org")
    assert ana.status == "held" and ana.hold_expires_at > datetime.now(UTC)
    assert topics(app, "ana@example.org") == ["registration-confirm"]
    assert free_places(app, event_id) == 1  # the hold counts against the capacity


def test_get_shows_a_button_and_only_the_post_confirms(app, client):
    event_id = confirm_event(app)
    register(client, event_id, "ana@example.org")
    link = link_in_mail(app, "ana@example.org")
    visitor = app.test_client()  # the mail is read elsewhere: another browser
    for _ in range(2):  # mail scanners follow links
        page = visitor.get(link).get_data(as_text=True)
        assert 'id="confirm-form"' in page and f'action="{link}/confirm"' in page
    assert row(app, "ana@example.org").status == "held"
    response = visitor.post(f"{link}/confirm")
    assert response.status_code == 302 and response.headers["Location"] == link
    assert row(app, "ana@example.org").status == "confirmed"
    assert topics(app, "ana@example.org") == ["registration-confirm", "registration-confirmed"]
    assert visitor.post(f"{link}/confirm").status_code == 302  # twice: nothing changes
    assert topics(app, "ana@example.org") == ["registration-confirm", "registration-confirmed"]
    assert 'id="confirm-form"' not in visitor.get(link).get_data(as_text=True)


def test_the_confirmation_mail_is_in_the_registrants_language(make_app, smtp_sink):
    app = make_app(**smtp_sink.app_config(), REGISTRATION_HOLD_MINUTES=30)
    event_id = confirm_event(app, title="Mesa abierta")
    english, spanish = app.test_client(), app.test_client()
    with english.session_transaction() as session:
        session["lang"] = "en"
    register(english, event_id, "ann@example.org", "Ann")
    register(spanish, event_id, "ana@example.org", "Ana")
    with app.app_context():
        deliver_due()
    by_address = {}
    for envelope in smtp_sink.envelopes:
        parsed = message_from_bytes(envelope.original_content, policy=policy.default)
        by_address[envelope.rcpt_tos[0]] = parsed
    ann, ana = by_address["ann@example.org"], by_address["ana@example.org"]
    assert ann["Subject"] == "Confirm your address to register: Mesa abierta"
    assert ana["Subject"] == "Confirme su dirección para inscribirse: Mesa abierta"
    ann_text = ann.get_body(("plain",)).get_content()
    assert "Confirm my address:" in ann_text and "We keep a place for you until" in ann_text
    assert "http://eventhub.test/r/" in ann_text
    assert "Confirmar mi dirección" in ana.get_body(("html",)).get_content()


def test_a_full_event_takes_the_address_then_the_waiting_list(app, client):
    event_id = confirm_event(app, capacity=1)
    register(client, event_id, "ana@example.org")
    register(client, event_id, "bruno@example.org")
    assert statuses(app, event_id) == {
        "ana@example.org": "held",
        "bruno@example.org": "unconfirmed",
    }
    client.post(link_in_mail(app, "bruno@example.org") + "/confirm")
    assert row(app, "bruno@example.org").status == "waiting"
    client.post(link_in_mail(app, "ana@example.org") + "/confirm")
    assert statuses(app, event_id) == {
        "ana@example.org": "confirmed",
        "bruno@example.org": "waiting",
    }


def test_an_expired_hold_frees_its_place_without_any_job(app, client):
    event_id = confirm_event(app, capacity=1)
    register(client, event_id, "ana@example.org")
    assert free_places(app, event_id) == 0
    expire(app, "ana@example.org")
    assert free_places(app, event_id) == 1  # counted exactly, nothing ran
    # A GET still changes nothing, even on an expired hold.
    link = link_in_mail(app, "ana@example.org")
    assert client.get(link).status_code == 200
    assert row(app, "ana@example.org").status == "held"
    # The next person takes the freed place; the expired one is recorded as such.
    register(client, event_id, "bruno@example.org")
    assert statuses(app, event_id) == {"ana@example.org": "expired", "bruno@example.org": "held"}
    assert "El plazo para confirmar" in client.get(link).get_data(as_text=True)
    # Confirming late still works: a place if one is free, else the waiting list.
    client.post(f"{link}/confirm")
    assert row(app, "ana@example.org").status == "waiting"


def test_expired_holds_move_the_waiting_list_up_lazily(app, client):
    event_id = confirm_event(app, capacity=1)
    register(client, event_id, "ana@example.org")
    register(client, event_id, "bruno@example.org")
    client.post(link_in_mail(app, "bruno@example.org") + "/confirm")  # waiting
    expire(app, "ana@example.org")
    register(client, event_id, "carla@example.org")
    # Bruno was waiting first: he gets Ana's place before Carla is counted.
    assert statuses(app, event_id) == {
        "ana@example.org": "expired",
        "bruno@example.org": "confirmed",
        "carla@example.org": "unconfirmed",
    }
    assert topics(app, "bruno@example.org")[-1] == "registration-promoted"
    assert topics(app, "ana@example.org") == ["registration-confirm"]  # never mailed again


def test_the_cli_releases_expired_holds_and_promotes(app, client, runner):
    event_id = confirm_event(app, capacity=1)
    register(client, event_id, "ana@example.org")
    register(client, event_id, "bruno@example.org")
    client.post(link_in_mail(app, "bruno@example.org") + "/confirm")
    result = runner.invoke(args=["registrations", "expire"])
    assert result.exit_code == 0 and "promoted from the waiting list: 0" in result.output
    assert row(app, "ana@example.org").status == "held"
    expire(app, "ana@example.org")
    result = runner.invoke(args=["registrations", "expire"])
    assert result.exit_code == 0, result.output
    assert "Events with expired holds: 1; promoted from the waiting list: 1." in result.output
    assert statuses(app, event_id) == {
        "ana@example.org": "expired",
        "bruno@example.org": "confirmed",
    }
    assert topics(app, "bruno@example.org")[-1] == "registration-promoted"


def test_registering_again_resends_the_link_and_keeps_one_hold(app, client):
    event_id = confirm_event(app)
    register(client, event_id, "ana@example.org")
    response = register(client, event_id, "ANA@example.org")
    assert response.headers["Location"] == f"/events/{event_id}"
    assert topics(app, "ana@example.org") == ["registration-confirm", "registration-confirm"]
    assert statuses(app, event_id) == {"ana@example.org": "held"}
    assert free_places(app, event_id) == 1


def test_cancelling_a_hold_frees_the_place_for_the_waiting_list(app, client):
    event_id = confirm_event(app, capacity=1)
    register(client, event_id, "ana@example.org")
    register(client, event_id, "bruno@example.org")
    client.post(link_in_mail(app, "bruno@example.org") + "/confirm")
    client.post(link_in_mail(app, "ana@example.org") + "/cancel")
    assert statuses(app, event_id) == {
        "ana@example.org": "cancelled",
        "bruno@example.org": "confirmed",
    }


def test_moderated_events_hold_no_place_and_wait_for_approval_after_confirming(app, client):
    event_id = confirm_event(app, capacity=1, requires_approval=True)
    register(client, event_id, "ana@example.org")
    assert row(app, "ana@example.org").status == "unconfirmed"
    assert free_places(app, event_id) == 1
    client.post(link_in_mail(app, "ana@example.org") + "/confirm")
    assert row(app, "ana@example.org").status == "pending"


@pytest.mark.parametrize("hold_minutes", [5])
def test_the_hold_time_is_a_setting(make_app, hold_minutes):
    app = make_app(REGISTRATION_HOLD_MINUTES=hold_minutes)
    event_id = confirm_event(app)
    before = datetime.now(UTC)
    register(app.test_client(), event_id, "ana@example.org")
    expires = row(app, "ana@example.org").hold_expires_at
    assert before + timedelta(minutes=4) < expires <= datetime.now(UTC) + timedelta(minutes=5)


def test_an_invitation_link_proves_the_address_a_hold_waits_for(app, client):
    event_id = confirm_event(app, capacity=1)
    register(client, event_id, "ana@example.org")
    with app.app_context(), app.test_request_context():
        event = db.session.get(Event, event_id)
        organiser = UserFactory()
        plan = invitations.plan_invitations(event, [], False, [], "Ana <ana@example.org>")
        assert [r.email for r in plan.recipients] == ["ana@example.org"]  # not registered yet
        invitations.send_invitations(event, plan, organiser)
        db.session.commit()
        invitation = db.session.scalars(select(Invitation)).one()
        invitations.accept(invitation, "Ana Pérez")
        db.session.commit()
    assert statuses(app, event_id) == {"ana@example.org": "confirmed"}
    assert free_places(app, event_id) == 0
